package soql

import (
	"context"
	"strconv"
	"testing"
)

func bigSource(n int) *memSource {
	m := newMem()
	owner := id("005", 1)
	m.add("User", Record{"Id": owner, "Name": "Owner"})
	industries := []any{"Technology", "Retail", nil}
	for i := 0; i < n; i++ {
		m.add("Account", Record{"Id": id("001", uint64(i+1)), "Name": "Account " + strconv.Itoa(n-i), "Industry": industries[i%3],
			"NumberOfEmployees": float64(i % 500), "OwnerId": owner, "CreatedDate": "2024-06-12T09:30:00.000+0000"})
	}
	return m
}

func benchQuery(b *testing.B, text string) {
	m := bigSource(100000)
	q, err := Compile(text, testSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := q.Execute(ctx, m, opts())
		if err != nil {
			b.Fatal(err)
		}
		if q.IsAggregate() {
			continue
		}
		for lo := 0; lo < len(res.IDs); lo += 2000 {
			rows, err := q.Page(ctx, m, res.IDs[lo:min(lo+2000, len(res.IDs))], opts())
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range rows {
				if _, err := r.AppendJSON(nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

func BenchmarkPlain100k(b *testing.B) { benchQuery(b, "SELECT Id, Name, Industry FROM Account") }

func BenchmarkFilterSort100k(b *testing.B) {
	benchQuery(b, "SELECT Id, Name, Owner.Name FROM Account WHERE Industry = 'Technology' AND CreatedDate = TODAY ORDER BY Name DESC")
}

func BenchmarkGroupBy100k(b *testing.B) {
	benchQuery(b, "SELECT Industry, COUNT(Id), SUM(NumberOfEmployees) FROM Account GROUP BY Industry")
}
