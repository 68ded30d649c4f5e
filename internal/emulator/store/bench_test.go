package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkInsertEncoded stores 100,000 encoded Accounts of the size a Bulk
// insert writes (~500 bytes), 5,000 a transaction as an ingest job commits
// them, in a file-backed and an in-memory store: the store's share of a
// Bulk insert, without the emulator's rules.
//
//	go test -run '^$' -bench InsertEncoded -benchtime 1x ./internal/emulator/store/
func BenchmarkInsertEncoded(b *testing.B) {
	const rows, perTx = 100_000, 5_000
	for _, file := range []bool{true, false} {
		name := "memory"
		if file {
			name = "file"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				path := ""
				if file {
					path = filepath.Join(b.TempDir(), "org.db")
				}
				s, err := Open(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				recs := make([]EncodedRecord, perTx)
				b.ResetTimer()
				var used time.Duration
				for n := 0; n < rows; n += perTx {
					b.StopTimer()
					for k := range recs {
						id := fmt.Sprintf("001EMU%09dYBA", n+k)
						recs[k] = EncodedRecord{ID: id, Data: fmt.Appendf(nil,
							`{"CreatedById":"005EMU000000001YBA","CreatedDate":"2026-12-05T18:28:12.234+0000","Description":"Row %d, with a comma","Id":"%s","Industry":"Energy","IsCustomerPortal":false,"IsDeleted":false,"IsPartner":false,"LastModifiedById":"005EMU000000001YBA","LastModifiedDate":"2026-12-05T18:28:12.234+0000","Name":"Bench Account %d","NumberOfEmployees":%d,"OwnerId":"005EMU000000001YBA","Phone":"+1 555 0100","SystemModstamp":"2026-12-05T18:28:12.234+0000","Website":"https://example.com/%d"}`,
							n+k, id, n+k, (n+k)%5000, n+k)}
					}
					b.StartTimer()
					cpu := cpuTime()
					err := s.Update(ctx, func(tx *Tx) error { return tx.InsertEncoded(ctx, "Account", recs) })
					if err != nil {
						b.Fatal(err)
					}
					used += cpuTime() - cpu
				}
				b.StopTimer()
				b.ReportMetric(float64(used.Nanoseconds())/1000/rows, "cpu-µs/row")
				s.Close()
				if path != "" {
					os.Remove(path)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(rows*b.N), "µs/row")
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
