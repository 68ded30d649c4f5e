package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// bulkEnv is orgEnv with fast Bulk polling.
func bulkEnv(t *testing.T, em *emulatortest.Server) []string {
	return append(orgEnv(t, em), "SFMCP_BULK_POLL=20ms")
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var jobIDPattern = regexp.MustCompile(`750[A-Za-z0-9]{15}`)

// jobStates maps the org's ingest jobs to their states.
func jobStates(t *testing.T, em *emulatortest.Server) map[string]string {
	t.Helper()
	status, body := em.Do(t, "GET", "/services/data/v62.0/jobs/ingest", nil)
	if status != 200 {
		t.Fatalf("list jobs: %d %s", status, body)
	}
	var res struct{ Records []struct{ ID, State string } }
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range res.Records {
		out[r.ID] = r.State
	}
	return out
}

// jobCount is how many ingest jobs the org has.
func jobCount(t *testing.T, em *emulatortest.Server) int { return len(jobStates(t, em)) }

// tricky is CSV that must load as is: a BOM, CRLF line endings, quoted
// commas, embedded newlines (CRLF inside a value too), doubled quotes, non-ASCII.
const tricky = "\xef\xbb\xbfName,Description,External_Id__c,NumberOfEmployees\r\n" +
	"\"Acme, Inc.\",\"first line\nsecond line\",BULK-1,10\r\n" +
	"\"The \"\"Quoted\"\" Co\",\"crlf\r\ninside\",BULK-2,20\r\n" +
	"Ünïcödé 日本 Ltd,\"ß, ø and €\",BULK-3,30\r\n"

func TestBulkRoundTrip(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)

	in := writeFile(t, "accounts.csv", tricky)
	r := run(t, env, "", "bulk", "insert", "Account", "--file", in)
	if r.code != 0 || !strings.Contains(r.err, "3 + 0 + 0 = 3 rows: every input row is accounted for") {
		t.Fatalf("insert: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(strings.TrimSuffix(in, ".csv") + ".failed.csv"); !os.IsNotExist(err) {
		t.Errorf("a failed file after a clean load: %v", err)
	}

	rows := readCSV(t, ok(t, env, "bulk", "query", "SELECT Id, Name, Description, External_Id__c, NumberOfEmployees FROM Account ORDER BY External_Id__c"))
	want := [][]string{
		{"Acme, Inc.", "first line\nsecond line", "BULK-1", "10"},
		{"The \"Quoted\" Co", "crlf\r\ninside", "BULK-2", "20"},
		{"Ünïcödé 日本 Ltd", "ß, ø and €", "BULK-3", "30"},
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != "Id,Name,Description,External_Id__c,NumberOfEmployees" {
		t.Fatalf("bulk query: %q", rows)
	}
	ids := map[string]string{}
	for i, w := range want {
		got := rows[i+1][1:]
		// encoding/csv reads a CRLF inside a quoted value as LF.
		w[1] = strings.ReplaceAll(w[1], "\r\n", "\n")
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q; want %q", i, got, w)
		}
		ids[w[2]] = rows[i+1][0]
	}

	// JSON lines, from standard input, converted on the fly.
	r = run(t, env, `{"Id":"`+ids["BULK-1"]+`","NumberOfEmployees":11,"Description":null}`+"\n", "bulk", "update", "Account", "--file", "-", "--format", "jsonl")
	if r.code != 0 {
		t.Fatalf("update from stdin: exit %d %s", r.code, r.err)
	}
	// Upsert: BULK-2 updated, BULK-4 created.
	up := writeFile(t, "upsert.csv", "External_Id__c,Name\nBULK-2,Renamed Co\nBULK-4,New Co\n")
	ok(t, env, "bulk", "upsert", "Account", "--external-id", "External_Id__c", "--file", up)
	lines := strings.Split(strings.TrimSpace(ok(t, env, "bulk", "query", "--json", "SELECT External_Id__c, Name, NumberOfEmployees, Description FROM Account ORDER BY External_Id__c")), "\n")
	if len(lines) != 4 {
		t.Fatalf("after upsert: %q", lines)
	}
	for i, w := range []string{
		`{"External_Id__c":"BULK-1","Name":"Acme, Inc.","NumberOfEmployees":"11","Description":null}`,
		// --json reads the CSV with encoding/csv, which turns CRLF inside a value into LF.
		`{"External_Id__c":"BULK-2","Name":"Renamed Co","NumberOfEmployees":"20","Description":"crlf\ninside"}`,
		`{"External_Id__c":"BULK-3","Name":"Ünïcödé 日本 Ltd","NumberOfEmployees":"30","Description":"ß, ø and €"}`,
		`{"External_Id__c":"BULK-4","Name":"New Co","NumberOfEmployees":null,"Description":null}`,
	} {
		if lines[i] != w {
			t.Errorf("JSON line %d:\n got %s\nwant %s", i, lines[i], w)
		}
	}

	// Delete two, then queryAll still sees them as deleted.
	del := writeFile(t, "delete.csv", "Id\n"+ids["BULK-1"]+"\n"+ids["BULK-3"]+"\n")
	// Off a terminal a delete needs --yes; without it nothing is deleted and no job is opened.
	before := jobCount(t, em)
	fails(t, env, 2, "pass --yes to confirm", "bulk", "delete", "Account", "--file", del)
	fails(t, env, 2, "pass --yes to confirm", "bulk", "hard-delete", "Account", "--file", del)
	if n := jobCount(t, em); n != before {
		t.Errorf("a refused delete opened %d jobs", n-before)
	}
	ok(t, env, "bulk", "delete", "Account", "--file", del, "--yes")
	if rows := readCSV(t, ok(t, env, "bulk", "query", "SELECT Id FROM Account")); len(rows) != 3 {
		t.Errorf("after delete: %d rows", len(rows)-1)
	}
	out := filepath.Join(t.TempDir(), "all.csv")
	ok(t, env, "bulk", "query", "--all", "--output", out, "SELECT Id, IsDeleted FROM Account WHERE IsDeleted = true")
	b, _ := os.ReadFile(out)
	if rows := readCSV(t, string(b)); len(rows) != 3 || rows[1][1] != "true" {
		t.Errorf("queryAll after delete: %q", rows)
	}
	if _, err := os.Stat(out + ".partial"); !os.IsNotExist(err) {
		t.Error("the partial file was left behind")
	}
}

func TestBulkFailedRowsAddUp(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	var b strings.Builder
	b.WriteString("Name,NumberOfEmployees\n")
	for i := range 100 {
		n := fmt.Sprint(i)
		if i%10 == 3 {
			n = "lots" // not a number: the row fails
		}
		fmt.Fprintf(&b, "Row %d,%s\n", i, n)
	}
	in := writeFile(t, "load.csv", b.String())
	dir := filepath.Join(t.TempDir(), "results")
	r := run(t, env, "", "bulk", "insert", "Account", "--file", in, "--results-dir", dir, "--json")
	if r.code != 1 {
		t.Fatalf("exit %d; want 1 when rows failed\n%s", r.code, r.err)
	}
	var sum struct {
		Rows, Successful, Failed, Unprocessed int64
		Balanced                              bool
		FailedFile                            string `json:"failed_file"`
	}
	if err := json.Unmarshal([]byte(r.out), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.out)
	}
	if sum.Rows != 100 || sum.Successful != 90 || sum.Failed != 10 || sum.Unprocessed != 0 || !sum.Balanced {
		t.Errorf("summary %+v", sum)
	}
	if !strings.Contains(r.err, "90 + 10 + 0 = 100 rows: every input row is accounted for") {
		t.Errorf("stderr: %s", r.err)
	}
	if sum.FailedFile != filepath.Join(dir, "load.failed.csv") {
		t.Errorf("failed file %q", sum.FailedFile)
	}
	data, err := os.ReadFile(sum.FailedFile)
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, string(data))
	if strings.Join(rows[0], ",") != "sf__Id,sf__Error,Name,NumberOfEmployees" || len(rows) != 11 {
		t.Fatalf("failed file: %q", rows)
	}
	for _, row := range rows[1:] {
		if row[3] != "lots" || !strings.Contains(row[1], "NumberOfEmployees") {
			t.Errorf("failed row %q", row)
		}
	}
	if n := readCSV(t, ok(t, env, "query", "SELECT COUNT() FROM Account")); n[0][0] != "90" {
		t.Errorf("count %q", n)
	}
}

func TestBulkSplitLoad(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true; o.BulkUploadLimit = 4 << 10 })
	env := bulkEnv(t, em)
	var b strings.Builder
	b.WriteString("Name,Description\n")
	for i := range 600 {
		fmt.Fprintf(&b, "\"Split %d\",\"a value, with a comma\nand a newline\"\n", i)
	}
	in := writeFile(t, "big.csv", b.String()) // about 30 kB, over the emulator's 4 kB limit

	// Without splitting under the limit Salesforce (here the emulator) refuses the upload.
	r := run(t, env, "", "bulk", "insert", "Account", "--file", in)
	if r.code != 1 || !strings.Contains(r.err, "REQUEST_ENTITY_TOO_LARGE") {
		t.Errorf("one 30 kB upload: exit %d %s", r.code, r.err)
	}
	if n := jobCount(t, em); n != 1 {
		t.Errorf("%d jobs after the refused upload", n)
	}
	status, body := em.Do(t, "GET", "/services/data/v62.0/jobs/ingest", nil)
	if status != 200 || !strings.Contains(string(body), `"state":"Aborted"`) {
		t.Errorf("the refused job was not aborted: %s", body)
	}

	r = run(t, env, "", "bulk", "insert", "Account", "--file", in, "--max-upload-bytes", "4000")
	if r.code != 0 {
		t.Fatalf("split load: exit %d %s", r.code, r.err)
	}
	jobs := jobIDPattern.FindAllString(strings.SplitN(r.err, "\n", 2)[0], -1)
	if len(jobs) < 8 {
		t.Errorf("%d jobs for 30 kB in 4 kB parts: %s", len(jobs), r.err)
	}
	if !strings.Contains(r.err, "600 + 0 + 0 = 600 rows") {
		t.Errorf("stderr: %s", r.err)
	}
	if n := readCSV(t, ok(t, env, "query", "SELECT COUNT() FROM Account")); n[0][0] != "600" {
		t.Errorf("count %q", n)
	}
}

func TestBulkAsyncStatusResults(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	in := writeFile(t, "a.csv", "Name\nOne\nTwo\nThree\n")
	id := strings.TrimSpace(ok(t, env, "bulk", "insert", "Account", "--file", in, "--async"))
	if !jobIDPattern.MatchString(id) {
		t.Fatalf("--async printed %q", id)
	}
	var st struct {
		State      string
		Successful int
		Done       bool
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if err := json.Unmarshal([]byte(ok(t, env, "bulk", "status", id, "--json")), &st); err != nil {
			t.Fatal(err)
		}
		if st.Done || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.State != "JobComplete" || st.Successful != 3 {
		t.Fatalf("status %+v", st)
	}
	if rows := readCSV(t, ok(t, env, "bulk", "status", id)); len(rows) != 2 || !slices.Contains(rows[1], "JobComplete") {
		t.Error("status table lacks the state")
	}
	rows := readCSV(t, ok(t, env, "bulk", "results", id))
	if len(rows) != 4 || rows[0][0] != "sf__Id" || rows[1][1] != "true" {
		t.Errorf("successful results: %q", rows)
	}
	if rows := readCSV(t, ok(t, env, "bulk", "results", id, "--failed")); len(rows) != 1 || rows[0][1] != "sf__Error" {
		t.Errorf("failed results: %q", rows)
	}
	// A query job's results, too.
	qid := strings.TrimSpace(ok(t, env, "bulk", "query", "--async", "SELECT Name FROM Account ORDER BY Name"))
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(ok(t, env, "bulk", "status", qid), "JobComplete") {
			break
		}
	}
	if got := ok(t, env, "bulk", "results", qid); got != "\"Name\"\n\"One\"\n\"Three\"\n\"Two\"\n" {
		t.Errorf("query results %q", got)
	}
	list := ok(t, env, "bulk", "list")
	if !strings.Contains(list, id) || !strings.Contains(list, qid) {
		t.Errorf("list lacks the jobs:\n%s", list)
	}
	fails(t, env, 2, "not a Bulk job id", "bulk", "status", "001000000000001AAA")
	fails(t, env, 1, "NOT_FOUND", "bulk", "status", "750000000000001AAA")
}

// slowLoad is enough rows that the emulator takes a few seconds.
func slowLoad(t *testing.T) string {
	var b strings.Builder
	b.WriteString("Name\n")
	for i := range 60000 {
		fmt.Fprintf(&b, "Slow %d\n", i)
	}
	return writeFile(t, "slow.csv", b.String())
}

func TestBulkAbort(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	id := strings.TrimSpace(ok(t, env, "bulk", "insert", "Account", "--file", slowLoad(t), "--async"))
	if out := ok(t, env, "bulk", "abort", id); !strings.Contains(out, "Aborted job "+id) {
		t.Errorf("abort: %q", out)
	}
	var st struct {
		State                          string
		Processed, Failed, Unprocessed int
	}
	if err := json.Unmarshal([]byte(ok(t, env, "bulk", "status", id, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.State != "Aborted" || st.Processed+st.Unprocessed != 60000 {
		t.Errorf("after abort: %+v (processed + unprocessed should be 60000)", st)
	}
	fails(t, env, 1, "already ended", "bulk", "abort", id)
}

// TestBulkInterrupt sends Ctrl-C (SIGINT) to a waiting load: the job keeps
// running and the command says how to follow it; with --abort-on-interrupt
// the job is aborted.
func TestBulkInterrupt(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	in := slowLoad(t)
	interrupt := func(args ...string) (string, int) {
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until a new job is uploaded and running, then press Ctrl-C.
		before := jobStates(t, em)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			running := false
			for id, state := range jobStates(t, em) {
				if _, old := before[id]; !old && state != "Open" {
					running = true
				}
			}
			if running {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return errOut.String(), code
	}
	stderr, code := interrupt("bulk", "insert", "Account", "--file", in)
	ids := jobIDPattern.FindAllString(stderr, -1)
	if code != 2 || len(ids) == 0 || !strings.Contains(stderr, "sfmcp bulk status "+ids[0]) || !strings.Contains(stderr, "keeps running") ||
		!strings.Contains(stderr, "sfmcp bulk resume --journal") {
		t.Fatalf("Ctrl-C: exit %d\n%s", code, stderr)
	}
	status := ok(t, env, "bulk", "status", ids[0])
	if strings.Contains(status, "Aborted") {
		t.Errorf("the job was aborted without --abort-on-interrupt:\n%s", status)
	}
	// Running the same command again refuses and points to resume; resume finishes the load.
	fails(t, env, 1, "sfmcp bulk resume --journal", "bulk", "insert", "Account", "--file", in)
	r := run(t, env, "", "bulk", "resume", "--journal", strings.TrimSuffix(in, ".csv")+".load-journal.json")
	if r.code != 0 || !strings.Contains(r.err, "60000 + 0 + 0 = 60000 rows") {
		t.Fatalf("resume: exit %d\n%s", r.code, r.err)
	}
	if n := readCSV(t, ok(t, env, "query", "SELECT COUNT() FROM Account")); n[0][0] != "60000" {
		t.Errorf("count after resume %q", n)
	}

	in2 := filepath.Join(t.TempDir(), "slow2.csv")
	b, _ := os.ReadFile(in)
	if err := os.WriteFile(in2, b, 0o644); err != nil {
		t.Fatal(err)
	}
	stderr, code = interrupt("bulk", "insert", "Account", "--file", in2, "--abort-on-interrupt")
	if code != 2 || !strings.Contains(stderr, "Aborted job") {
		t.Errorf("--abort-on-interrupt: exit %d\n%s", code, stderr)
	}
}

func TestBulkBadInput(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	for _, tt := range []struct {
		name, op, content, want string
		extra                   []string
		code                    int
	}{
		{"unknown field", "insert", "Name,Nmae__c\nx,y\n", `"Nmae__c" is not a field of Account`, nil, 1},
		{"unknown relationship", "insert", "Name,Parent.Nope__c\nx,y\n", `"Parent.Nope__c" is not a field of Account`, nil, 1},
		{"empty file", "insert", "", "the input has no data rows", nil, 1},
		{"header only", "insert", "Name\r\n", "the input has no data rows", nil, 1},
		{"ragged row", "insert", "Name,Phone\na,1\n\"b\nc\",2\nd\n", "line 5: the row has 1 field but the header has 2", nil, 1},
		{"unclosed quote", "insert", "Name\n\"abc\n", "line 2: a quoted value is never closed", nil, 1},
		{"delete without Id", "delete", "Name\nx\n", "a delete needs an Id column", nil, 1},
		{"hard delete without Id", "hardDelete", "Name\nx\n", "a hardDelete needs an Id column", nil, 1},
		{"update without Id", "update", "Name\nx\n", "an update needs an Id column", nil, 1},
		{"upsert without its column", "upsert", "Name\nx\n", "needs a column named External_Id__c", []string{"--external-id", "External_Id__c"}, 1},
		{"upsert on a field that is no external id", "upsert", "Name\nx\n", "Account.Name is not an external id field", []string{"--external-id", "Name"}, 1},
		{"JSON lines with a list", "insert", "{\"Name\":[\"x\"]}\n", "line 1: Name: a list has no CSV form", []string{"--format", "jsonl"}, 1},
		{"upsert without --external-id", "upsert", "Name\nx\n", "external_id_field: is required", nil, 2},
	} {
		in := writeFile(t, "in.csv", tt.content)
		verb := map[string]string{"hardDelete": "hard-delete"}[tt.op]
		if verb == "" {
			verb = tt.op
		}
		args := append([]string{"bulk", verb, "Account", "--file", in}, tt.extra...)
		r := run(t, env, "", args...)
		if r.code != tt.code || !strings.Contains(r.err, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tt.name, r.code, r.err, tt.code, tt.want)
		}
	}
	if n := jobCount(t, em); n != 0 {
		t.Errorf("bad input opened %d jobs", n)
	}
	fails(t, env, 2, "--file is required", "bulk", "insert", "Account")
	fails(t, env, 1, "no such file", "bulk", "insert", "Account", "--file", filepath.Join(t.TempDir(), "missing.csv"))
}

// accountingInput is n rows, one in ten failing (not a number), named
// "Acct i"; the rows that fail are returned by name.
func accountingInput(t *testing.T, n int) (string, map[string]bool) {
	t.Helper()
	var b strings.Builder
	b.WriteString("Name,NumberOfEmployees\n")
	bad := map[string]bool{}
	for i := range n {
		v := fmt.Sprint(i)
		if i%10 == 4 {
			v = "lots"
			bad[fmt.Sprintf("Acct %d", i)] = true
		}
		fmt.Fprintf(&b, "Acct %d,%s\n", i, v)
	}
	return writeFile(t, "acct.csv", b.String()), bad
}

// loadSummary is the --json summary of a bulk load.
type loadSummary struct {
	Rows, Successful, Failed, Unprocessed int64
	Balanced                              bool
	Jobs                                  []struct{ ID, State string }
	FailedFile                            string `json:"failed_file"`
	UnprocessedFile                       string `json:"unprocessed_file"`
}

// TestBulkMultiJobAccounting: a load split over several jobs, one of which
// Salesforce fails partway, with failed rows in every job. The summary must
// count the failed and the unprocessed rows as the files hold them, the
// successful ones as the org holds them, and every input row exactly once.
func TestBulkMultiJobAccounting(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	const n = 1200
	in, bad := accountingInput(t, n)
	em.AddFault(t, emulator.Fault{FailJobAfterRows: 200, Times: 1, Message: "InternalServerError : injected"})
	dir := filepath.Join(t.TempDir(), "results")
	r := run(t, env, "", "bulk", "insert", "Account", "--file", in, "--results-dir", dir, "--max-upload-bytes", "6000", "--json")
	if r.code != 1 {
		t.Fatalf("exit %d; want 1 (rows failed or unprocessed)\n%s", r.code, r.err)
	}
	if got := em.FaultsServed(t); got["job-failed"] != 1 {
		t.Fatalf("no job was failed by the fault: %v", got)
	}
	var sum loadSummary
	if err := json.Unmarshal([]byte(r.out), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.out)
	}
	if len(sum.Jobs) < 3 {
		t.Fatalf("%d jobs; the test needs a split load: %+v", len(sum.Jobs), sum)
	}
	// Where each input row ended: the org, the failed file, the unprocessed file.
	where := map[string][]string{}
	for _, row := range readCSV(t, ok(t, env, "query", "SELECT Name FROM Account"))[1:] {
		where[row[0]] = append(where[row[0]], "org")
	}
	fileRows := func(path, what string, col int) int64 {
		t.Helper()
		if path == "" {
			return 0
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, string(data))
		for _, row := range rows[1:] {
			where[row[col]] = append(where[row[col]], what)
		}
		return int64(len(rows) - 1)
	}
	failedRows := fileRows(sum.FailedFile, "failed", 2)
	unprocRows := fileRows(sum.UnprocessedFile, "unprocessed", 0)
	for i := range n {
		name := fmt.Sprintf("Acct %d", i)
		got := where[name]
		if len(got) != 1 {
			t.Errorf("row %q is in %v; want exactly one place", name, got)
			continue
		}
		if got[0] == "org" && bad[name] {
			t.Errorf("row %q should have failed", name)
		}
	}
	if int64(len(where)) != n {
		t.Errorf("%d distinct rows accounted for, want %d", len(where), n)
	}
	successful := int64(0)
	for _, w := range where {
		if w[0] == "org" {
			successful++
		}
	}
	if sum.Unprocessed == 0 || failedRows == 0 {
		t.Fatalf("the load has no unprocessed or no failed rows: %+v", sum)
	}
	if sum.Rows != n || sum.Unprocessed != unprocRows || sum.Failed != failedRows || sum.Successful != successful || !sum.Balanced {
		t.Errorf("summary %+v; files hold %d failed, %d unprocessed; the org %d", sum, failedRows, unprocRows, successful)
	}
	want := fmt.Sprintf("%d + %d + %d = %d rows: every input row is accounted for", successful, failedRows, unprocRows, n)
	if !strings.Contains(r.err, want) || !strings.Contains(r.err, "ended Failed: InternalServerError : injected") {
		t.Errorf("stderr lacks %q or the failed job:\n%s", want, r.err)
	}
}

// TestBulkResultsDoNotAddUp: Salesforce's failed results lose rows (an
// emulator fault truncates every failedResults answer). The load must not
// count the lost rows as successes nor say every row is accounted for: it
// says the results do not add up and exits non-zero.
func TestBulkResultsDoNotAddUp(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	env := bulkEnv(t, em)
	const n = 900
	in, bad := accountingInput(t, n)
	em.AddFault(t, emulator.Fault{PathSuffix: "/failedResults", Truncate: true, KeepLines: 1})
	dir := filepath.Join(t.TempDir(), "results")
	r := run(t, env, "", "bulk", "insert", "Account", "--file", in, "--results-dir", dir, "--max-upload-bytes", "6000", "--json")
	if r.code == 0 {
		t.Fatalf("exit 0 with truncated failed results\n%s", r.err)
	}
	if got := em.FaultsServed(t); got["truncate"] < 2 {
		t.Fatalf("the failed results were not truncated: %v", got)
	}
	var sum loadSummary
	if err := json.Unmarshal([]byte(r.out), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.out)
	}
	jobs := int64(len(sum.Jobs))
	if jobs < 2 || sum.Balanced || sum.Rows != n || sum.Failed != jobs || sum.Successful != n-int64(len(bad)) || sum.Unprocessed != 0 {
		t.Errorf("summary %+v; want %d successful, one failed row kept per job, not balanced", sum, n-len(bad))
	}
	want := fmt.Sprintf("the results do not add up: %d successful + %d failed + 0 unprocessed is not the %d rows sent", n-len(bad), jobs, n)
	if !strings.Contains(r.err, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.err)
	}
	if strings.Contains(r.err, "every input row is accounted for") {
		t.Errorf("stderr claims every row is accounted for:\n%s", r.err)
	}
}
