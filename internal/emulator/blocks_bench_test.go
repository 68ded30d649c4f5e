package emulator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// BenchmarkBulkChildrenOfBlockedParents: a Bulk insert of 20,000 Contacts
// naming their Accounts checks each AccountId with tx.Get; the parents are
// Bulk-inserted (blocks) or rows (a ParentId column keeps the Account
// insert off the block path). A transaction keeps the block it read last,
// so the children of one block read it once (without: 7.7 s against 0.9 s).
//
//	go test -run '^$' -bench ChildrenOfBlockedParents -benchtime 1x ./internal/emulator/
func BenchmarkBulkChildrenOfBlockedParents(b *testing.B) {
	const nAcct, nContact = 2560, 20000
	run := func(b *testing.B, header string) {
		for range b.N {
			b.StopTimer()
			s := emulatortest.New(b, func(o *emulator.Options) { o.NoSampleData = true })
			c := newBulk(b, s)
			c.patience = 4 * waitLimit
			var csv strings.Builder
			csv.WriteString(header + "\n")
			desc := strings.Repeat("d", 400)
			for i := range nAcct {
				if header == "Name,Description" {
					fmt.Fprintf(&csv, "A%d,%s\n", i, desc)
				} else {
					fmt.Fprintf(&csv, "A%d,%s,\n", i, desc)
				}
			}
			job, _ := c.ingest(map[string]any{"object": "Account", "operation": "insert"}, csv.String())
			var accts []string
			for _, r := range c.results(job, "successfulResults")[1:] {
				accts = append(accts, r[0])
			}
			csv.Reset()
			csv.WriteString("LastName,AccountId\n")
			for i := range nContact {
				fmt.Fprintf(&csv, "C%d,%s\n", i, accts[i%nAcct])
			}
			b.StartTimer()
			_, info := c.ingest(map[string]any{"object": "Contact", "operation": "insert"}, csv.String())
			if num(info["numberRecordsFailed"]) != 0 {
				b.Fatalf("contacts: %v", info)
			}
		}
	}
	b.Run("parents=rows", func(b *testing.B) { run(b, "Name,Description,ParentId") })
	b.Run("parents=blocks", func(b *testing.B) { run(b, "Name,Description") })
}
