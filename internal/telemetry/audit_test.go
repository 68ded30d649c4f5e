package telemetry

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestAuditLogSharedByWriters: several writers, each with its own open
// file as separate processes would have, append short and long (past
// PIPE_BUF) lines at once; every line comes out whole.
func TestAuditLogSharedByWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		a, err := OpenAuditLog(path)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				args := []ArgumentSize{{Name: "soql", Bytes: i}}
				if i%3 == 0 { // a line longer than PIPE_BUF
					args = append(args, ArgumentSize{Name: strings.Repeat("x", 5000), Bytes: w})
				}
				if err := a.Write(AuditRecord{Time: time.Now(), CorrelationID: "c", Tool: "t", Arguments: args, Outcome: "ok"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	lines := readLines(t, path)
	if len(lines) != writers*each {
		t.Fatalf("%d lines, want %d", len(lines), writers*each)
	}
	for i, l := range lines {
		var rec AuditRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d is not whole: %v", i, err)
		}
	}
}

// TestAuditLogSurvivesRotation: after the file is renamed away (logrotate
// without copytruncate), lines go to a new file at the path, found by the
// writer itself or on Reopen (SIGHUP).
func TestAuditLogSurvivesRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	a, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	now := time.Now()
	a.now = func() time.Time { return now }
	write := func(id string) {
		t.Helper()
		if err := a.Write(AuditRecord{CorrelationID: id, Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	write("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write("within-a-second") // not checked yet: still the old file
	now = now.Add(2 * time.Second)
	write("after")
	if got := readLines(t, path+".1"); len(got) != 2 || !strings.Contains(got[1], "within-a-second") {
		t.Errorf("rotated file: %q", got)
	}
	if got := readLines(t, path); len(got) != 1 || !strings.Contains(got[0], `"after"`) {
		t.Errorf("new file: %q", got)
	}

	// SIGHUP's path: Reopen at once, no wait.
	if err := os.Rename(path, path+".2"); err != nil {
		t.Fatal(err)
	}
	if err := a.Reopen(); err != nil {
		t.Fatal(err)
	}
	write("after-reopen")
	if got := readLines(t, path); len(got) != 1 || !strings.Contains(got[0], "after-reopen") {
		t.Errorf("file after Reopen: %q", got)
	}
}

func TestOpenAuditLogUnwritable(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAuditLog(filepath.Join(plain, "audit.jsonl")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("OpenAuditLog below a file: %v", err)
	}
}
