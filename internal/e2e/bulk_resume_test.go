package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// TestBulkKillResume kills the sfmcp binary with SIGKILL (no chance to
// clean up) at each point of a split load where a job exists that the run
// may not have finished with, then runs `sfmcp bulk resume` and counts the
// org's rows: every input row exactly once, no duplicates, and results files
// that account for every row.
func TestBulkKillResume(t *testing.T) {
	t.Parallel()
	const rows, failing = 1500, 15
	var b strings.Builder
	b.WriteString("Name,NumberOfEmployees\n")
	for i := range rows {
		if i%100 == 99 {
			fmt.Fprintf(&b, "Kill %04d,lots\n", i) // fails: not a number
		} else {
			fmt.Fprintf(&b, "Kill %04d,%d\n", i, i)
		}
	}
	content := b.String()

	for _, tt := range []struct {
		name  string
		fault emulator.Fault
		// killAt says, from the journal, when to kill.
		killAt func(parts []ops.JournalPart) bool
	}{
		{"during an upload", emulator.Fault{Method: http.MethodPut, LatencyMS: 150}, func(p []ops.JournalPart) bool {
			return closed(p) >= 3 && p[len(p)-1].State == ops.PartOpened
		}},
		{"while creating a job", emulator.Fault{Method: http.MethodPost, PathPrefix: "/services/data/", LatencyMS: 400}, func(p []ops.JournalPart) bool {
			return closed(p) >= 2 && p[len(p)-1].State == ops.PartIntent
		}},
		{"while closing a job", emulator.Fault{Method: http.MethodPatch, LatencyMS: 400}, func(p []ops.JournalPart) bool {
			return closed(p) >= 2 && p[len(p)-1].State == ops.PartUploaded
		}},
		{"while polling", emulator.Fault{Method: http.MethodGet, PathPrefix: "/services/data/", LatencyMS: 300}, func(p []ops.JournalPart) bool {
			return len(p) >= 10 && closed(p) == len(p)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
			env := bulkEnv(t, em)
			in := writeFile(t, "kill.csv", content)
			journal := strings.TrimSuffix(in, ".csv") + ".load-journal.json"
			em.AddFault(t, tt.fault)

			signalAt(t, env, journal, syscall.SIGKILL, tt.killAt, tt.name == "while polling", "bulk", "insert", "Account", "--file", in, "--max-upload-bytes", "2048")
			// A request the killed process had sent may still be served
			// (a delayed job creation makes a job no journal names).
			time.Sleep(time.Duration(tt.fault.LatencyMS)*time.Millisecond + 200*time.Millisecond)
			em.Admin(t, http.MethodDelete, "faults", nil)
			if _, err := os.Stat(journal); err != nil {
				t.Fatalf("no journal after kill -9: %v", err)
			}

			// The same command again refuses, pointing to resume, and sends nothing.
			jobsBefore := jobCount(t, em)
			fails(t, env, 1, "sfmcp bulk resume --journal", "bulk", "insert", "Account", "--file", in, "--max-upload-bytes", "2048")
			if n := jobCount(t, em); n != jobsBefore {
				t.Errorf("the refused rerun opened %d jobs", n-jobsBefore)
			}

			r := run(t, env, "", "bulk", "resume", "--journal", journal)
			want := fmt.Sprintf("%d + %d + 0 = %d rows", rows-failing, failing, rows)
			if r.code != 1 || !strings.Contains(r.err, want) {
				t.Fatalf("resume: exit %d (want 1: some rows fail), want %q\n%s", r.code, want, r.err)
			}
			t.Logf("resume said:\n%s", r.err)
			checkLoadedOnce(t, env, em, rows, failing)
			failed := readCSV(t, readFile(t, strings.TrimSuffix(in, ".csv")+".failed.csv"))
			if len(failed) != failing+1 {
				t.Errorf("failed file has %d rows, want %d", len(failed)-1, failing)
			}
			if _, err := os.Stat(strings.TrimSuffix(in, ".csv") + ".unprocessed.csv"); !os.IsNotExist(err) {
				t.Errorf("an unprocessed file after a complete resume: %v", err)
			}
			for _, p := range []string{journal, journal + ".lock"} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s left after the load finished", filepath.Base(p))
				}
			}
			// Finished: a second resume has nothing to do.
			fails(t, env, 1, "does not exist", "bulk", "resume", "--journal", journal)
		})
	}
}

// signalAt runs sfmcp with args and sends sig when the load's journal
// satisfies at; pause waits a little longer first. It returns stderr once
// the process has ended.
func signalAt(t *testing.T, env []string, journal string, sig syscall.Signal, at func([]ops.JournalPart) bool, pause bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("the load ended (%v) before the signal\n%s", err, errOut.String())
		default:
		}
		raw, err := os.ReadFile(journal)
		if err != nil {
			continue
		}
		var j ops.LoadJournal
		if json.Unmarshal(raw, &j) != nil || len(j.Parts) == 0 || !at(j.Parts) {
			continue
		}
		if pause {
			time.Sleep(300 * time.Millisecond)
		}
		_ = cmd.Process.Signal(sig)
		<-exited
		return errOut.String()
	}
	_ = cmd.Process.Kill()
	<-exited
	t.Fatalf("never reached the point to signal at\n%s", errOut.String())
	return ""
}

// TestBulkInterruptDuringUpload presses Ctrl-C while a split load uploads:
// the rows never sent go to the unprocessed file, the message points to
// `bulk resume`, and resume sends exactly those rows.
func TestBulkInterruptDuringUpload(t *testing.T) {
	t.Parallel()
	const rows = 1200
	var b strings.Builder
	b.WriteString("Name\n")
	for i := range rows {
		fmt.Fprintf(&b, "Int %04d\n", i)
	}
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	in := writeFile(t, "int.csv", b.String())
	journal := strings.TrimSuffix(in, ".csv") + ".load-journal.json"
	em.AddFault(t, emulator.Fault{Method: http.MethodPut, LatencyMS: 150})
	stderr := signalAt(t, env, journal, syscall.SIGINT, func(p []ops.JournalPart) bool {
		return closed(p) >= 2 && p[len(p)-1].State == ops.PartOpened
	}, false, "bulk", "insert", "Account", "--file", in, "--max-upload-bytes", "1024")
	em.Admin(t, http.MethodDelete, "faults", nil)
	if !strings.Contains(stderr, "sfmcp bulk resume --journal") || !strings.Contains(stderr, "never sent") {
		t.Fatalf("Ctrl-C during the upload said:\n%s", stderr)
	}
	j, err := ops.ReadLoadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	var taken int64
	for _, p := range j.Parts {
		if p.Taken() {
			taken += p.Rows
		}
	}
	unsent := readCSV(t, readFile(t, strings.TrimSuffix(in, ".csv")+".unprocessed.csv"))
	if int64(len(unsent)-1) != rows-taken || unsent[0][0] != "Name" || unsent[1][0] != fmt.Sprintf("Int %04d", taken) {
		t.Errorf("unprocessed file: %d rows from %q; want the %d never sent, from row %d", len(unsent)-1, unsent[1], rows-taken, taken)
	}
	r := run(t, env, "", "bulk", "resume", "--journal", journal)
	if r.code != 0 || !strings.Contains(r.err, fmt.Sprintf("%d + 0 + 0 = %d rows", rows, rows)) {
		t.Fatalf("resume: exit %d\n%s", r.code, r.err)
	}
	checkLoadedOnce(t, env, em, rows, 0)
	if _, err := os.Stat(strings.TrimSuffix(in, ".csv") + ".unprocessed.csv"); !os.IsNotExist(err) {
		t.Error("the unprocessed file outlived the resume that sent its rows")
	}
}

func closed(parts []ops.JournalPart) int {
	n := 0
	for _, p := range parts {
		if p.State == ops.PartClosed {
			n++
		}
	}
	return n
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkLoadedOnce counts the org's Accounts, deleted ones included: every
// row that can load is there exactly once, and the jobs that ran processed
// each input row once.
func checkLoadedOnce(t *testing.T, env []string, em *emulatortest.Server, rows, failing int) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "names.csv")
	ok(t, env, "bulk", "query", "--all", "--output", out, "SELECT Name FROM Account")
	names := readCSV(t, readFile(t, out))[1:]
	seen := map[string]int{}
	for _, n := range names {
		seen[n[0]]++
	}
	dups := 0
	for n, c := range seen {
		if c > 1 {
			dups++
			if dups < 5 {
				t.Errorf("%q loaded %d times", n, c)
			}
		}
	}
	if len(names) != rows-failing || dups > 0 {
		t.Errorf("%d Accounts (%d names twice or more); want %d, each once", len(names), dups, rows-failing)
	}
	status, body := em.Do(t, "GET", "/services/data/v62.0/jobs/ingest", nil)
	if status != 200 {
		t.Fatalf("list jobs: %d", status)
	}
	var list struct{ Records []struct{ ID, State string } }
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	var processed int64
	for _, j := range list.Records {
		_, body := em.Do(t, "GET", "/services/data/v62.0/jobs/ingest/"+j.ID, nil)
		var info struct{ NumberRecordsProcessed int64 }
		if err := json.Unmarshal(body, &info); err != nil {
			t.Fatal(err)
		}
		processed += info.NumberRecordsProcessed
	}
	if processed != int64(rows) {
		t.Errorf("the org's jobs processed %d rows in all; the input has %d", processed, rows)
	}
}
