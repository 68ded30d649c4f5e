// Package e2e drives the built sfmcp binary against an emulator org, the way
// people and scripts use it: arguments in, stdout, stderr and exit code out.
package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// binary is the sfmcp built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sfmcp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sfmcp")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, "github.com/sfmcp/sfmcp/cmd/sfmcp")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build sfmcp:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	out, err string
	code     int
}

// env is the environment a run gets: nothing from the developer's shell but
// PATH, with config and data directories in the test's temp dir.
func baseEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"NO_COLOR=1",
		"SFMCP_RETRY_BASE_DELAY=2ms",
	}
}

// orgEnv points the binary at em through environment credentials.
func orgEnv(t *testing.T, em *emulatortest.Server) []string {
	return append(baseEnv(t),
		"SALESFORCE_ACCESS_TOKEN="+em.Token.AccessToken,
		"SALESFORCE_INSTANCE_URL="+em.URL,
	)
}

func run(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	// A guard against hangs, not a timing check: a 60,000-row bulk load
	// under -race on a busy 2-core machine took over a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("sfmcp %s: hung (killed after 3 minutes)", strings.Join(args, " "))
	}
	r := result{out: out.String(), err: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sfmcp %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// ok runs and requires exit 0.
func ok(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := run(t, env, "", args...)
	if r.code != 0 {
		t.Fatalf("sfmcp %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// fails runs and requires the exit code and a stderr containing want.
func fails(t *testing.T, env []string, code int, want string, args ...string) result {
	t.Helper()
	r := run(t, env, "", args...)
	if r.code != code || !strings.Contains(r.err, want) {
		t.Errorf("sfmcp %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), r.code, r.err, code, want)
	}
	return r
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, s)
	}
	return rows
}

func TestQueryFormatsAndPaging(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.PageSize = 200 })
	env := orgEnv(t, em)
	n := emulator.SampleSizes.Contacts // 500 rows: three pages of 200

	// Piped without flags: CSV, parents flattened, every page followed.
	rows := readCSV(t, ok(t, env, "query", "SELECT Id, Name, Account.Name FROM Contact ORDER BY Id"))
	if strings.Join(rows[0], ",") != "Id,Name,Account.Name" || len(rows) != n+1 {
		t.Fatalf("CSV: header %v, %d rows; want %d", rows[0], len(rows)-1, n)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Fatalf("%s twice", r[0])
		}
		seen[r[0]] = true
	}
	if got := readCSV(t, ok(t, env, "query", "--csv", "SELECT Id FROM Contact")); len(got) != n+1 {
		t.Errorf("--csv: %d rows", len(got)-1)
	}

	var recs []map[string]any
	if err := json.Unmarshal([]byte(ok(t, env, "query", "--json", "SELECT Id, Account.Name FROM Contact")), &recs); err != nil || len(recs) != n {
		t.Fatalf("--json: %d records, %v", len(recs), err)
	}
	if _, ok := recs[0]["attributes"]; !ok {
		t.Error("--json lost Salesforce's attributes")
	}

	names := strings.Fields(ok(t, env, "query", "--jq", ".[].Id", "SELECT Id FROM Account"))
	if len(names) != emulator.SampleSizes.Accounts {
		t.Errorf("--jq: %d lines", len(names))
	}

	if got := readCSV(t, ok(t, env, "query", "--limit", "250", "SELECT Id FROM Contact")); len(got) != 251 {
		t.Errorf("--limit 250: %d rows", len(got)-1)
	}
	if got := strings.TrimSpace(ok(t, env, "query", "SELECT COUNT() FROM Contact")); got != fmt.Sprint(n) {
		t.Errorf("COUNT(): %q", got)
	}
	// The query from stdin.
	r := run(t, env, "SELECT Id FROM Account LIMIT 3", "query", "-")
	if r.code != 0 || len(readCSV(t, r.out)) != 4 {
		t.Errorf("query -: exit %d %q %s", r.code, r.out, r.err)
	}
}

func TestRecordLifecycleAndQueryAll(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)

	id := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=E2E Corp", "NumberOfEmployees=42", "AnnualRevenue=1000.5"))
	if len(id) != 18 || !strings.HasPrefix(id, "001") {
		t.Fatalf("create printed %q", id)
	}
	got := ok(t, env, "record", "get", "Account", id, "--fields", "Name,NumberOfEmployees,AnnualRevenue")
	// Piped: one CSV row under a header of the field names.
	if rows := readCSV(t, got); len(rows) != 2 || strings.Join(rows[0], ",") != "Name,NumberOfEmployees,AnnualRevenue" ||
		strings.Join(rows[1], ",") != "E2E Corp,42,1000.5" {
		t.Errorf("get: %q", got)
	}
	ok(t, env, "record", "update", "Account", id, "Industry=Energy", "NumberOfEmployees:=43")
	var rec map[string]any
	if err := json.Unmarshal([]byte(ok(t, env, "record", "get", "Account", id, "--json")), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["Industry"] != "Energy" || rec["NumberOfEmployees"] != 43.0 {
		t.Errorf("after update: %v %v", rec["Industry"], rec["NumberOfEmployees"])
	}
	// --data from stdin.
	r := run(t, env, `{"Name":"From stdin","Phone":"0123"}`, "record", "create", "Account", "--data", "-", "--json")
	var saved struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.out), &saved) != nil || !saved.Success {
		t.Errorf("create --data -: exit %d %q %s", r.code, r.out, r.err)
	}

	ok(t, env, "record", "delete", "Account", id)
	q := "SELECT Id, IsDeleted FROM Account WHERE Id = '" + id + "'"
	if rows := readCSV(t, ok(t, env, "query", q)); len(rows) > 1 {
		t.Errorf("deleted record still queried: %v", rows)
	}
	rows := readCSV(t, ok(t, env, "query", "--all", q))
	if len(rows) != 2 || rows[1][0] != id || rows[1][1] != "true" {
		t.Errorf("--all: %v", rows)
	}
	fails(t, env, 1, "Error: ENTITY_IS_DELETED: ", "record", "get", "Account", id) // as Salesforce answers

	// Upsert: created, then updated, the same id.
	first := strings.Fields(ok(t, env, "record", "upsert", "Account", "External_Id__c", "E2E-1", "Name=Upserted"))
	second := strings.Fields(ok(t, env, "record", "upsert", "Account", "External_Id__c", "E2E-1", "Name=Upserted again"))
	if len(first) != 2 || first[1] != "created" || len(second) != 2 || second[1] != "updated" || first[0] != second[0] {
		t.Errorf("upsert: %v then %v", first, second)
	}
	var up struct {
		ID      string `json:"id"`
		Created bool   `json:"created"`
	}
	if err := json.Unmarshal([]byte(ok(t, env, "record", "upsert", "Account", "External_Id__c", "E2E-1", "Name=Third", "--json")), &up); err != nil || up.Created || up.ID != first[0] {
		t.Errorf("upsert --json: %+v %v", up, err)
	}

	// Search finds the upserted record.
	rows = readCSV(t, ok(t, env, "search", "FIND {Third} IN NAME FIELDS RETURNING Account(Id, Name)"))
	if len(rows) != 2 || rows[1][0] != "Account" || rows[1][1] != first[0] {
		t.Errorf("search: %v", rows)
	}
}

func TestDescribeAndLimits(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)

	list := ok(t, env, "describe")
	for _, name := range []string{"Account", "Contact", "Lead"} {
		if !strings.Contains(list, "\n"+name+",") {
			t.Errorf("describe lacks %s:\n%s", name, list)
		}
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(ok(t, env, "describe", "--json")), &objs); err != nil || len(objs) < 5 {
		t.Errorf("describe --json: %d %v", len(objs), err)
	}

	trimmed := ok(t, env, "describe", "Lead", "--json")
	full := ok(t, env, "describe", "Lead", "--full")
	var tr, fu map[string]any
	if json.Unmarshal([]byte(trimmed), &tr) != nil || json.Unmarshal([]byte(full), &fu) != nil {
		t.Fatalf("describe JSON:\n%.300s\n%.300s", trimmed, full)
	}
	if tr["keyPrefix"] != "00Q" || fu["keyPrefix"] != "00Q" {
		t.Errorf("keyPrefix %v / %v", tr["keyPrefix"], fu["keyPrefix"])
	}
	if _, ok := fu["childRelationships"]; !ok {
		t.Error("--full lacks childRelationships")
	}
	if _, ok := tr["childRelationships"]; ok || len(trimmed)*2 > len(full) {
		t.Errorf("trimmed describe is %d bytes against %d full", len(trimmed), len(full))
	}
	fields := readCSV(t, ok(t, env, "describe", "Lead", "--fields", "--csv"))
	if fields[0][0] != "name" || len(fields) < 10 {
		t.Errorf("--fields --csv: %v", fields[0])
	}
	if rows := readCSV(t, ok(t, env, "describe", "Account")); rows[0][0] != "name" || len(rows) < 10 {
		t.Errorf("describe Account piped is not its fields as CSV: %v", rows[0])
	}

	limits := readCSV(t, ok(t, env, "limits", "--csv"))
	if strings.Join(limits[0], ",") != "name,max,remaining,used" || len(limits) < 5 {
		t.Errorf("limits --csv: %v", limits[:1])
	}
	if !strings.Contains(ok(t, env, "limits"), "\nDailyApiRequests,") {
		t.Error("limits lacks DailyApiRequests")
	}
	// --jq runs over the data: a Developer Edition org allows 15000 API
	// requests a day, and this run has used some.
	if got := ok(t, env, "limits", "--jq", `.[] | select(.name == "DailyApiRequests") | .max`); strings.TrimSpace(got) != "15000" {
		t.Errorf("limits --jq .max = %q, want 15000", got)
	}
	got := strings.Fields(ok(t, env, "limits", "--jq", `.[] | select(.name == "DailyApiRequests") | .remaining, .used`))
	if len(got) != 2 {
		t.Fatalf("limits --jq remaining, used: %q", got)
	}
	remaining, _ := strconv.Atoi(got[0])
	used, _ := strconv.Atoi(got[1])
	if used < 1 || remaining+used != 15000 {
		t.Errorf("limits --jq: remaining %q, used %q; want them to sum to 15000 with some used", got[0], got[1])
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)

	fails(t, env, 1, "Error: MALFORMED_QUERY: ", "query", "SELEKT Id FROM Account")
	fails(t, env, 1, "Error: INVALID_FIELD: ", "query", "SELECT foo FROM Lead")
	fails(t, env, 1, "No such column 'foo' on entity 'Lead'", "query", "SELECT foo FROM Lead")
	fails(t, env, 1, "Error: INVALID_TYPE: ", "query", "SELECT Id FROM Nope__c")
	fails(t, env, 1, "Error: NOT_FOUND: ", "describe", "Nope__c")
	fails(t, env, 1, "Error: NOT_FOUND: ", "record", "get", "Account", "001000000000000AAA")
	fails(t, env, 1, "Error: INVALID_FIELD", "record", "create", "Account", "Name=x", "Nope__c=1")
	// Usage mistakes exit 2 before anything is sent.
	fails(t, env, 2, "is not a Salesforce id", "record", "get", "Account", "not-an-id")
	fails(t, env, 2, "not an API name", "describe", "Acc/ount")
	fails(t, env, 2, "want Field=value", "record", "create", "Account", "Name")
	fails(t, env, 2, "", "query")
	fails(t, env, 2, "--csv cannot be combined", "query", "--csv", "--json", "SELECT Id FROM Account")
	// No login at all: exit 4.
	fails(t, baseEnv(t), 4, "no Salesforce login", "query", "SELECT Id FROM Account")
}

func TestExpiredSession(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	em.ExpireSessions(t)

	// Without a refresh token: exit 4 and a hint to log in.
	fails(t, orgEnv(t, em), 4, "set a new SALESFORCE_ACCESS_TOKEN", "query", "SELECT Id FROM Account LIMIT 1")

	// With one: the binary renews the session and succeeds.
	env := append(orgEnv(t, em),
		"SALESFORCE_REFRESH_TOKEN="+em.Token.RefreshToken,
		"SALESFORCE_CLIENT_ID="+emulatortest.ClientID,
		"SALESFORCE_LOGIN_URL="+em.URL,
	)
	if rows := readCSV(t, ok(t, env, "query", "SELECT Id FROM Account LIMIT 1")); len(rows) != 2 {
		t.Errorf("after refresh: %v", rows)
	}

	// A refresh token Salesforce refuses: exit 4, no token in the message.
	bad := append(orgEnv(t, em), "SALESFORCE_REFRESH_TOKEN=bogus-refresh", "SALESFORCE_CLIENT_ID="+emulatortest.ClientID, "SALESFORCE_LOGIN_URL="+em.URL)
	r := fails(t, bad, 4, "", "query", "SELECT Id FROM Account LIMIT 1")
	if strings.Contains(r.err, "bogus-refresh") || strings.Contains(r.err, em.Token.AccessToken) {
		t.Errorf("a token leaked into stderr: %s", r.err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)

	em.AddFault(t, emulator.Fault{Status: 429, Times: 2, PathPrefix: "/services/data"})
	if rows := readCSV(t, ok(t, env, "query", "SELECT Id FROM Account LIMIT 2")); len(rows) != 3 {
		t.Errorf("after two 429s: %v", rows)
	}
	if served := em.FaultsServed(t); served["429"] != 2 {
		t.Errorf("the emulator served %v; want two 429s before the answer", served)
	}

	em.AddFault(t, emulator.Fault{Status: 500, PathPrefix: "/services/data"})
	start := time.Now()
	fails(t, env, 1, "gave up after 4 attempts", "query", "SELECT Id FROM Account LIMIT 2")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("500 forever took %v", d)
	}
	if served := em.FaultsServed(t); served["500"] != 4 {
		t.Errorf("the emulator served %v; want four 500s (four attempts)", served)
	}
}

func TestServerGone(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	env := append(baseEnv(t), "SALESFORCE_ACCESS_TOKEN=00Dx!gone", "SALESFORCE_INSTANCE_URL="+url)
	start := time.Now()
	r := fails(t, env, 1, "cannot reach Salesforce at "+url, "query", "SELECT Id FROM Account")
	if !strings.Contains(r.err, "refused") {
		t.Errorf("stderr does not say the connection was refused: %s", r.err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestLocalEmulatorKeepsData(t *testing.T) {
	t.Parallel()
	env := baseEnv(t)
	id := strings.TrimSpace(ok(t, env, "--emulator", "record", "create", "Account", "Name=Persisted Co"))
	rows := readCSV(t, ok(t, env, "--emulator", "query", "SELECT Id, Name FROM Account WHERE Name = 'Persisted Co'"))
	if len(rows) != 2 || rows[1][0] != id {
		t.Errorf("the record created in one run is not there in the next: %v (id %s)", rows, id)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
