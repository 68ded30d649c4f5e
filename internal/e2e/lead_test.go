package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// syncPiped runs `lead sync` piped and returns the lead id and action it printed.
func syncPiped(t *testing.T, env []string, args ...string) (id, action string) {
	t.Helper()
	out := strings.TrimSpace(ok(t, env, append([]string{"lead", "sync"}, args...)...))
	id, action, found := strings.Cut(out, "\t")
	if !found || !strings.HasPrefix(id, "00Q") {
		t.Fatalf("lead sync %v printed %q", args, out)
	}
	return id, action
}

func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

func TestLeadSyncIdempotencyTable(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	base := []string{"--email", "Grace.Hopper@Navy.example", "--last-name", "Hopper", "--company", "US Navy"}
	steps := []struct {
		extra  []string
		action string
	}{
		{nil, "created"},
		{nil, "unchanged"},
		{[]string{"--phone", "+1 555 0101"}, "updated"},
		{[]string{"--phone", "+1 555 0101"}, "unchanged"},
		{[]string{"--status", "scheduled"}, "converted"},
		{[]string{"--status", "scheduled"}, "already_converted"},
		{[]string{"--status", "objected", "--first-name", "Grace"}, "already_converted"},
	}
	var leadID string
	for i, st := range steps {
		id, action := syncPiped(t, env, append(append([]string{}, base...), st.extra...)...)
		if action != st.action {
			t.Fatalf("step %d: %s; want %s", i, action, st.action)
		}
		if leadID == "" {
			leadID = id
		} else if id != leadID {
			t.Fatalf("step %d: lead %s; want %s", i, id, leadID)
		}
	}
	// --json: the result with the ids; the correlation_id envelope is MCP's.
	res := jsonObject(t, ok(t, env, append(append([]string{"lead", "sync"}, base...), "--status", "scheduled", "--json")...))
	if res["action"] != "already_converted" || res["success"] != true || res["account_id"] == "" || res["contact_id"] == "" ||
		res["correlation_id"] != nil {
		t.Errorf("--json: %v", res)
	}
	// Exactly one lead has the email, in any case.
	lead := jsonObject(t, ok(t, env, "lead", "get", "grace.hopper@navy.example", "--json"))
	if lead["Id"] != leadID || lead["IsConverted"] != true || lead["Phone"] != "+1 555 0101" || lead["correlation_id"] != nil {
		t.Errorf("get: %v", lead)
	}
	fails(t, env, 1, "CANNOT_UPDATE_CONVERTED_LEAD", "lead", "update", leadID, "Title=Admiral")
	fails(t, env, 1, "CANNOT_UPDATE_CONVERTED_LEAD", "lead", "status", leadID, "objected")
	if out := ok(t, env, "lead", "status", leadID, "scheduled"); !strings.Contains(out, "already_converted") {
		t.Errorf("status scheduled on a converted lead: %q", out)
	}
}

func TestLeadConvertIntoExistingAccount(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	acc := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=Existing Customer Ltd"))
	other := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=Someone Else"))
	con := strings.TrimSpace(ok(t, env, "record", "create", "Contact", "LastName=Other", "AccountId="+other))

	// A contact of another account is refused before anything is written.
	r := run(t, env, "", "lead", "sync", "--email", "merge@customer.example", "--last-name", "Merge",
		"--status", "scheduled", "--account-id", acc, "--contact-id", con, "--json")
	// The CLI names the flag; a failed command prints nothing on stdout, --json or not.
	if r.code != 1 || !strings.Contains(r.err, "--contact-id") || r.out != "" {
		t.Fatalf("mismatched contact: exit %d %q %s", r.code, r.out, r.err)
	}
	fails(t, env, 1, "NOT_FOUND", "lead", "get", "merge@customer.example")

	res := jsonObject(t, ok(t, env, "lead", "sync", "--email", "merge@customer.example", "--last-name", "Merge",
		"--status", "scheduled", "--account-id", acc, "--create-opportunity", "--json"))
	if res["action"] != "converted" || res["account_id"] != acc || res["opportunity_id"] == nil {
		t.Fatalf("into the account: %v", res)
	}
	// The company name finds the account too (exact match, no new account).
	res = jsonObject(t, ok(t, env, "lead", "sync", "--email", "second@customer.example", "--last-name", "Second",
		"--company", "Existing Customer Ltd", "--status", "scheduled", "--json"))
	if res["account_id"] != acc {
		t.Errorf("by company name: %v", res)
	}
	n := strings.TrimSpace(ok(t, env, "query", "SELECT COUNT() FROM Account WHERE Name = 'Existing Customer Ltd'"))
	if n != "1" {
		t.Errorf("%s accounts named like the company", n)
	}
}

func TestLeadCommandsLifecycle(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.PageSize = 200 })
	env := orgEnv(t, em)

	created := jsonObject(t, ok(t, env, "lead", "create", "--email", "o'brien@example.com", "--last-name", "O'Brien",
		"--first-name", "Siobhan", "--lead-source", "Web", "--json"))
	id, _ := created["lead_id"].(string)
	if created["action"] != "created" || !strings.HasPrefix(id, "00Q") {
		t.Fatalf("create: %v", created)
	}
	fails(t, env, 1, "already has the email", "lead", "create", "--email", "O'BRIEN@example.com", "--last-name", "Again")
	got := ok(t, env, "lead", "get", "o'brien@example.com")
	if rows := readCSV(t, got); len(rows) != 2 || !slices.Contains(rows[1], "o'brien@example.com") ||
		!slices.Contains(rows[1], "[not provided]") || !slices.Contains(rows[1], "Open - Not Contacted") {
		t.Errorf("get: %q", got)
	}
	if out := ok(t, env, "lead", "update", "o'brien@example.com", "Title=CEO", "Status=Working - Contacted"); !strings.Contains(out, id) {
		t.Errorf("update printed %q", out)
	}
	if st := ok(t, env, "lead", "get", id, "--jq", ".Status"); strings.TrimSpace(st) != `"Working - Contacted"` && strings.TrimSpace(st) != "Working - Contacted" {
		t.Errorf("status after update: %q", st)
	}
	if out := ok(t, env, "lead", "status", id, "objected"); out != id+"\tstatus_set\n" {
		t.Errorf("status objected: %q", out)
	}
	if out := ok(t, env, "lead", "status", "o'brien@example.com", "objected"); out != id+"\tunchanged\n" {
		t.Errorf("status objected again: %q", out)
	}
	// List: CSV piped, filters, the cursor across pages.
	rows := readCSV(t, ok(t, env, "lead", "list", "--email", "O'Brien@example.com"))
	if len(rows) != 2 || rows[0][0] != "Id" || rows[1][0] != id {
		t.Fatalf("list by email: %v", rows)
	}
	// --json is the array of leads, like query --json; the cursor goes to stderr.
	args := []string{"lead", "list", "--limit", "200", "--json"}
	seen := map[string]bool{}
	for pages := 1; ; pages++ {
		r := run(t, env, "", args...)
		var leads []map[string]any
		if err := json.Unmarshal([]byte(r.out), &leads); err != nil || r.code != 0 {
			t.Fatalf("list --json: exit %d %v %q", r.code, err, r.err)
		}
		for _, l := range leads {
			seen[l["Id"].(string)] = true
		}
		_, cur, more := strings.Cut(strings.TrimSpace(r.err), "--cursor ")
		if !more {
			break
		}
		if strings.Contains(cur, "/") || pages > 3 {
			t.Fatalf("cursor %q", cur)
		}
		args = []string{"lead", "list", "--limit", "200", "--cursor", cur, "--json"}
	}
	if len(seen) != emulator.SampleSizes.Leads+1 {
		t.Errorf("listed %d leads", len(seen))
	}
	r := run(t, env, "", "lead", "list", "--limit", "5")
	if r.code != 0 || len(readCSV(t, r.out)) != 6 || !strings.Contains(r.err, "--cursor lc1.") {
		t.Errorf("list --limit 5: exit %d %q %q", r.code, r.out, r.err)
	}
	closed := readCSV(t, ok(t, env, "lead", "list", "--status", "Closed - Not Converted", "--limit", "200"))
	status := slices.Index(closed[0], "Status")
	for _, l := range closed[1:] {
		if l[status] != "Closed - Not Converted" {
			t.Fatalf("status filter let %v through", l)
		}
	}
	fails(t, env, 2, "cursor", "lead", "list", "--cursor", "https://evil.example/services/data/v62.0/query/01gEMU000000001-200")

	if out := ok(t, env, "lead", "delete", id); out != id+"\tdeleted\n" {
		t.Errorf("delete: %q", out)
	}
	fails(t, env, 1, "NOT_FOUND", "lead", "get", id)
}

func TestLeadBadInputs(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	acc := strings.TrimSpace(ok(t, env, "record", "create", "Account", "Name=Not a lead"))
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"email", []string{"lead", "sync", "--email", `quo"te@example.com`, "--last-name", "X"}},
		{"email", []string{"lead", "sync", "--email", `back\slash@example.com`, "--last-name", "X"}},
		{"has no @", []string{"lead", "sync", "--email", "nobody.example.com", "--last-name", "X"}},
		{"email", []string{"lead", "sync", "--email", "x' OR Email != '", "--last-name", "X"}},
		{"--last-name", []string{"lead", "sync", "--email", "a@example.com"}},
		{"--last-name", []string{"lead", "sync", "--email", "a@example.com", "--last-name", "  "}},
		{"status", []string{"lead", "sync", "--email", "a@example.com", "--last-name", "X", "--status", "converted"}},
		{"not a Lead id", []string{"lead", "get", acc}},
		{"not a Lead id", []string{"lead", "delete", acc}},
		{"not a Lead id", []string{"lead", "status", acc, "scheduled"}},
		{"--account-id", []string{"lead", "sync", "--email", "a@example.com", "--last-name", "X", "--status", "scheduled", "--account-id", "00QEMU000000001"}},
		{"field values: IsConverted cannot be set", []string{"lead", "update", "a@example.com", "IsConverted=true"}},
	} {
		fails(t, env, 2, tc.want, tc.args...)
	}
	// Statuses the org does not have are refused at run time, naming the field.
	fails(t, env, 1, "not a Lead.Status value", "lead", "create", "--email", "s@example.com", "--last-name", "S", "--status", "Maybe Later")
	fails(t, env, 1, "NOT_FOUND", "lead", "get", "s@example.com") // nothing half-written
	fails(t, env, 1, "status", "lead", "status", "missing@example.com", "Bogus")

	// Valid unusual emails work and match exactly.
	for _, email := range []string{"o'brien@example.com", "josé.müller@exämple.com", "a%b_c+d@example.com"} {
		id, action := syncPiped(t, env, "--email", email, "--last-name", "Unusual")
		if action != "created" {
			t.Fatalf("%s: %s", email, action)
		}
		if got := strings.TrimSpace(ok(t, env, "lead", "get", email, "--jq", ".Email")); strings.Trim(got, `"`) != email {
			t.Errorf("%s stored as %s", email, got)
		}
		if _, again := syncPiped(t, env, "--email", email, "--last-name", "Unusual"); again != "unchanged" {
			t.Errorf("%s again: %s (lead %s)", email, again, id)
		}
	}
}

func TestLeadCraftedEmailsCannotBreakOutOfSOQL(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	// Valid addresses that would end the SOQL literal (and widen the match to
	// every lead) if the value were pasted between quotes unescaped.
	for _, email := range []string{"x'OR'1'='1@example.com", "a%'OR'Name'LIKE'%@example.com", "%@example.com", "_@example.com"} {
		id, action := syncPiped(t, env, "--email", email, "--last-name", "Crafted")
		if action != "created" {
			t.Fatalf("%s matched an existing lead: %s %s", email, id, action)
		}
		got := jsonObject(t, ok(t, env, "lead", "get", email, "--json"))
		if got["Id"] != id || got["Email"] != email {
			t.Errorf("%s: %v", email, got)
		}
		rows := readCSV(t, ok(t, env, "lead", "list", "--email", email))
		if len(rows) != 2 || rows[1][0] != id {
			t.Errorf("list --email %s: %v", email, rows)
		}
	}
	n := strings.TrimSpace(ok(t, env, "query", "SELECT COUNT() FROM Lead WHERE LastName = 'Crafted'"))
	if n != "4" {
		t.Errorf("%s crafted leads", n)
	}
}

func TestLeadSOAPFaultIsReported(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	env := orgEnv(t, em)
	id, _ := syncPiped(t, env, "--email", "fault@example.com", "--last-name", "Fault")
	em.AddFault(t, emulator.Fault{PathPrefix: "/services/Soap/", Status: 500, ErrorCode: "UNKNOWN_EXCEPTION", Message: "injected", Times: 1})
	r := run(t, env, "", "lead", "status", id, "scheduled", "--json")
	if r.code != 1 || r.out != "" || !strings.Contains(r.err, "UNKNOWN_EXCEPTION") || !strings.Contains(r.err, "injected") {
		t.Errorf("fault: exit %d %q %q", r.code, r.out, r.err)
	}
	// Nothing was converted; the next try converts.
	if _, action := syncPiped(t, env, "--email", "fault@example.com", "--last-name", "Fault", "--status", "scheduled"); action != "converted" {
		t.Errorf("after the fault: %s", action)
	}
	// An expired session without a refresh token: exit 4.
	em.ExpireSessions(t)
	fails(t, env, 4, "", "lead", "sync", "--email", "fault@example.com", "--last-name", "Fault")
}
