package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestFailedCommandPrintsNothing: whatever the output format, a command that
// fails writes nothing to stdout (no "[]", no CSV header) and exits non-zero
// with the reason on stderr.
func TestFailedCommandPrintsNothing(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	for _, format := range [][]string{nil, {"--json"}, {"--csv"}, {"--jq", "."}} {
		for _, args := range [][]string{
			{"query", "SELEC x"},
			{"query", "SELECT Nope FROM Account"},
			{"search", "FIND {a} RETURNING Account(Name)"},
			{"describe", "NoSuchObject"},
			{"lead", "list", "--status", "x", "--cursor", "nope"},
		} {
			if format != nil && format[0] == "--csv" && args[0] == "lead" {
				continue
			}
			r := run(t, env, "", append(append([]string{}, args...), format...)...)
			if r.code == 0 || r.out != "" || !strings.HasPrefix(r.err, "Error: ") {
				t.Errorf("sfmcp %s %s: exit %d, stdout %q, stderr %q; want a failure with nothing on stdout",
					strings.Join(args, " "), strings.Join(format, " "), r.code, r.out, r.err)
			}
		}
	}
	// lead get --json of an unknown email: the error on stderr, not a JSON body on stdout.
	r := run(t, env, "", "lead", "get", "nobody@nowhere.example", "--json")
	if r.code != 1 || r.out != "" || !strings.Contains(r.err, "NOT_FOUND") {
		t.Errorf("lead get --json unknown: exit %d %q %q", r.code, r.out, r.err)
	}
}

// TestOutputOffATerminal: the one rule — piped, every tabular command prints
// CSV with a header row, exactly what --csv prints.
func TestOutputOffATerminal(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	contact := strings.TrimSpace(ok(t, env, "query", "--jq", ".[0].Id", "SELECT Id FROM Contact WHERE AccountId != null ORDER BY Id LIMIT 1"))
	contact = strings.Trim(contact, `"`)
	for _, c := range []struct {
		args   []string
		header string
	}{
		{[]string{"describe"}, "name,label,keyPrefix,custom"},
		{[]string{"describe", "Account"}, "name,type,label,length"},
		{[]string{"describe", "Account", "--fields"}, "name,type,label,length"},
		{[]string{"limits"}, "name,max,remaining,used"},
		{[]string{"bulk", "list"}, ""},
		{[]string{"record", "get", "Contact", contact, "--fields", "Name,Email,Account.Name"}, "Name,Email,Account.Name"},
		{[]string{"query", "SELECT Id, Name FROM Account LIMIT 3"}, "Id,Name"},
		{[]string{"lead", "list", "--limit", "3"}, "Id,FirstName,LastName"},
	} {
		piped := ok(t, env, c.args...)
		withFlag := ok(t, env, append(append([]string{}, c.args...), "--csv")...)
		// (limits count this run's own requests, so compare shapes, not values)
		if p, w := strings.Split(piped, "\n"), strings.Split(withFlag, "\n"); len(p) != len(w) || p[0] != w[0] {
			t.Errorf("sfmcp %s: piped output differs from --csv:\n%s\nvs\n%s", strings.Join(c.args, " "), piped, withFlag)
		}
		rows := readCSV(t, piped)
		if c.header == "" {
			continue
		}
		if len(rows) < 2 || !strings.HasPrefix(strings.Join(rows[0], ","), c.header) {
			t.Errorf("sfmcp %s: not CSV under a %q header:\n%s", strings.Join(c.args, " "), c.header, piped)
		}
		for _, row := range rows {
			if len(row) != len(rows[0]) {
				t.Errorf("sfmcp %s: ragged CSV %q", strings.Join(c.args, " "), rows)
			}
		}
	}
	// org list too, with no logins: nothing on stdout but a header-less
	// empty list (the note goes to stderr).
	if r := run(t, baseEnv(t), "", "org", "list"); r.code != 0 || r.out != "" || !strings.Contains(r.err, "No logins") {
		t.Errorf("org list without logins: exit %d %q %q", r.code, r.out, r.err)
	}
}

// TestSearchCSVUnion: a search over several objects prints every object's
// columns after an "sobject" column, with no value dropped and no warning.
func TestSearchCSVUnion(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	acc := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=Zyxwv Holdings", "Phone=+1 555 0100"))
	con := strings.TrimSpace(ok(t, env, "record", "create", "Contact", "LastName=Zyxwv", "Email=z@zyxwv.example", "AccountId="+acc))
	r := run(t, env, "", "search", "--csv", "FIND {Zyxwv} RETURNING Account(Id, Name, Phone), Contact(Id, LastName, Email)")
	if r.code != 0 || strings.Contains(r.err, "warning") {
		t.Fatalf("search: exit %d, stderr %q", r.code, r.err)
	}
	rows := readCSV(t, r.out)
	if len(rows) != 3 || rows[0][0] != "sobject" {
		t.Fatalf("search CSV: %q", rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, name := range []string{"Id", "Name", "Phone", "LastName", "Email"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("search CSV header %q lacks %s", rows[0], name)
		}
	}
	byType := map[string][]string{}
	for _, row := range rows[1:] {
		byType[row[0]] = row
	}
	if a := byType["Account"]; a == nil || a[col["Id"]] != acc || a[col["Name"]] != "Zyxwv Holdings" || a[col["Phone"]] != "+1 555 0100" || a[col["Email"]] != "" {
		t.Errorf("account row: %q", a)
	}
	if c := byType["Contact"]; c == nil || c[col["Id"]] != con || c[col["LastName"]] != "Zyxwv" || c[col["Email"]] != "z@zyxwv.example" || c[col["Name"]] != "" {
		t.Errorf("contact row: %q", c)
	}
	// --json keeps Salesforce's records as they came.
	var found struct {
		SearchRecords []map[string]any `json:"searchRecords"`
	}
	var asArray []map[string]any
	out := ok(t, env, "search", "--json", "FIND {Zyxwv} RETURNING Account(Id), Contact(Id)")
	if json.Unmarshal([]byte(out), &asArray) != nil && (json.Unmarshal([]byte(out), &found) != nil || len(found.SearchRecords) != 2) {
		t.Errorf("search --json: %s", out)
	}
}

// TestLeadListAndGetData: lead list prints every field some lead has without
// a warning, and --json is the data (an array of leads, one lead), not MCP's
// correlation_id envelope.
func TestLeadListAndGetData(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	r := run(t, env, "", "lead", "list", "--limit", "20")
	if r.code != 0 || strings.Contains(r.err, "warning") || strings.Contains(r.err, "LeadSource") {
		t.Fatalf("lead list: exit %d, stderr %q", r.code, r.err)
	}
	rows := readCSV(t, r.out)
	if len(rows) != 21 || !strings.Contains(strings.Join(rows[0], ","), "LeadSource") {
		t.Errorf("lead list: header %q, %d rows", rows[0], len(rows)-1)
	}
	var leads []map[string]any
	if err := json.Unmarshal([]byte(ok(t, env, "lead", "list", "--limit", "2", "--json")), &leads); err != nil || len(leads) != 2 {
		t.Fatalf("lead list --json is not an array of 2 leads: %v", err)
	}
	id, _ := leads[0]["Id"].(string)
	for _, ref := range []string{id, leads[0]["Email"].(string)} {
		lead := jsonObject(t, ok(t, env, "lead", "get", ref, "--json"))
		if lead["Id"] != id || lead["correlation_id"] != nil || lead["success"] != nil {
			t.Errorf("lead get %s --json: %v", ref, lead)
		}
	}
	if got := strings.TrimSpace(ok(t, env, "lead", "get", id, "--jq", ".Id")); got != id {
		t.Errorf("lead get --jq .Id = %s", got)
	}
}

// TestErrorsNameTheCLI: the core's input errors reach the command line in its
// own terms (flags, arguments, commands), never MCP's argument and tool names.
func TestErrorsNameTheCLI(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	email := "neutral@errors.example"
	syncPiped(t, env, "--email", email, "--last-name", "Neutral")
	for _, c := range []struct {
		code int
		want string
		args []string
	}{
		{1, "--email: lead 00Q", []string{"lead", "create", "--email", email, "--last-name", "Again"}},
		{1, "or use `sfmcp lead sync`", []string{"lead", "create", "--email", email, "--last-name", "Again"}},
		{2, "<lead-id|email>: \"123\" is not a Salesforce id", []string{"lead", "get", "123"}},
		{1, "Status: \"Bogus\" is not a Lead.Status value", []string{"lead", "update", email, "Status=Bogus"}},
		{2, "--email: \"bad\" has no @", []string{"lead", "sync", "--email", "bad", "--last-name", "X"}},
		{2, "--cursor: is not a cursor from an earlier list of leads", []string{"lead", "list", "--cursor", "zz"}},
		{2, "<id>: \"12\" is not a Salesforce id", []string{"record", "get", "Account", "12"}},
	} {
		r := fails(t, env, c.code, c.want, c.args...)
		for _, mcp := range []string{"salesforce_", "lead_id:", "fields.", "record_id", "next_cursor"} {
			if strings.Contains(r.err, mcp) {
				t.Errorf("sfmcp %s: %q speaks MCP (%s)", strings.Join(c.args, " "), r.err, mcp)
			}
		}
	}
}

// TestRecordGetParentFields: record get --fields takes parent paths, as its
// own example shows, and refuses what is not a field path.
func TestRecordGetParentFields(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	acc := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=Parent Path Ltd"))
	con := strings.TrimSpace(ok(t, env, "record", "create", "Contact", "LastName=Child", "Email=c@pp.example", "AccountId="+acc))
	rec := jsonObject(t, ok(t, env, "record", "get", "Contact", con, "--fields", "Name,Email,Account.Name", "--json"))
	parent, _ := rec["Account"].(map[string]any)
	if rec["Email"] != "c@pp.example" || parent == nil || parent["Name"] != "Parent Path Ltd" {
		t.Errorf("record get --fields Account.Name --json: %v", rec)
	}
	rows := readCSV(t, ok(t, env, "record", "get", "Contact", con, "-f", "Name", "-f", "Account.Name"))
	if len(rows) != 2 || strings.Join(rows[0], ",") != "Name,Account.Name" || rows[1][1] != "Parent Path Ltd" {
		t.Errorf("record get -f Name -f Account.Name: %q", rows)
	}
	fails(t, env, 2, "--fields: \"Account..Name\" is not a field API name", "record", "get", "Contact", con, "--fields", "Account..Name")
	fails(t, env, 1, "INVALID_FIELD", "record", "get", "Contact", con, "--fields", "Account.Nope")
	fails(t, env, 1, "NOT_FOUND", "record", "get", "Contact", "003000000000000AAA", "--fields", "Account.Name")
}

// TestTargetOrgFlag: -o/--target-org selects the org on every command, as in
// sf, and --org still does; an unknown alias is an authentication error
// (exit 4) that names it.
func TestTargetOrgFlag(t *testing.T) {
	t.Parallel()
	env := baseEnv(t)
	for _, args := range [][]string{
		{"query", "-o", "nope", "SELECT Id FROM Account"},
		{"query", "--target-org", "nope", "SELECT Id FROM Account"},
		{"query", "--org", "nope", "SELECT Id FROM Account"},
		{"limits", "-o", "nope"},
		{"bulk", "list", "-o", "nope"},
		{"lead", "get", "-o", "nope", "a@b.example"},
	} {
		r := fails(t, env, 4, `no Salesforce login for org "nope"`, args...)
		if r.out != "" {
			t.Errorf("sfmcp %s printed %q", strings.Join(args, " "), r.out)
		}
	}
	// -o is never anything else: bulk results takes --output, not -o.
	fails(t, env, 2, "--output", "bulk", "results", "750000000000000AAA", "--output")
}

// TestVerboseLogsRequests: -v logs each HTTP request on stderr (method,
// path, status, duration) and never the token; stdout stays the data.
func TestVerboseLogsRequests(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	r := run(t, env, "", "query", "-v", "SELECT Id FROM Account LIMIT 1")
	if r.code != 0 || len(readCSV(t, r.out)) != 2 {
		t.Fatalf("query -v: exit %d %q %q", r.code, r.out, r.err)
	}
	if !regexp.MustCompile(`(?m)^HTTP GET 127\.0\.0\.1:\d+/services/data/v[0-9.]+/query\?q=SELECT\+Id\+FROM\+Account\+LIMIT\+1 200 \d+(\.\d+)?m?s`).MatchString(r.err) {
		t.Errorf("query -v stderr lacks the request line: %q", r.err)
	}
	if strings.Contains(r.err, em.Token.AccessToken) || strings.Contains(r.out, "HTTP GET") {
		t.Errorf("query -v: token in the log or log on stdout: %q %q", r.out, r.err)
	}
	// A refused request is logged with its status too.
	r = run(t, env, "", "query", "--verbose", "SELECT Nope FROM Account")
	if r.code != 1 || !strings.Contains(r.err, "/query?q=SELECT+Nope+FROM+Account 400 ") {
		t.Errorf("refused query -v: exit %d %q", r.code, r.err)
	}
	// Without -v, nothing is logged.
	if r = run(t, env, "", "limits"); strings.Contains(r.err, "HTTP ") {
		t.Errorf("limits without -v logged: %q", r.err)
	}
}
