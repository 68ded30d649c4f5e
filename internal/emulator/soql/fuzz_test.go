package soql

import (
	"context"
	"errors"
	"testing"
)

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"SELECT Id FROM Account",
		"select count() from XYZZY",
		"SELECT Name, (SELECT LastName FROM Contacts WHERE Email != null ORDER BY LastName LIMIT 2) FROM Account WHERE Name LIKE 'a\\%%' ORDER BY Name DESC NULLS LAST LIMIT 5 OFFSET 1",
		"SELECT Industry, COUNT(Id) c FROM Account GROUP BY Industry HAVING COUNT(Id) > 1 ORDER BY COUNT(Id)",
		"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND CreatedDate = LAST_N_DAYS:5",
		"SELECT Id FROM Opportunity WHERE CloseDate > 2024-01-31 OR CreatedDate < 2024-01-31T10:00:00+01:00",
		"SELECT Owner.Name FROM Lead WHERE Owner.Name = 'x' AND NOT (IsConverted = true)",
		"SELECT FIELDS(ALL) FROM Account LIMIT 200",
		"SELECT Id FROM Account WHERE Name IN ('a', 'b') AND Regions__c INCLUDES ('a;b')",
		"SELECT Id FROM Account WHERE Name = 'unterminated",
		"SELECT Id FROM Account WHERE Name = '\\u00e9\\q'",
	} {
		f.Add(s)
	}
	sch := testSchema(f)
	m := fixture()
	f.Fuzz(func(t *testing.T, text string) {
		q, err := Compile(text, sch)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || q != nil {
				t.Fatalf("Compile(%q) = %v, %v: want nil and an *Error", text, q, err)
			}
			return
		}
		if q == nil {
			t.Fatalf("Compile(%q): nil query and nil error", text)
		}
		// A compiled query must run without panicking.
		res, err := q.Execute(context.Background(), m, opts())
		if err != nil {
			return
		}
		q.Columns()
		if !q.IsAggregate() && !q.IsCountOnly() {
			if _, err := q.Page(context.Background(), m, res.IDs, opts()); err != nil {
				t.Fatalf("Page(%q): %v", text, err)
			}
		}
	})
}
