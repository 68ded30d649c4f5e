package sfclients_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestSFCLI logs the sf CLI in to the emulator with an access token and
// runs the commands people use most: org display, data query past one
// page, record create/get/update/delete, sobject describe/list, org list
// limits and the bulk import/export/upsert/delete commands.
func TestSFCLI(t *testing.T) {
	nodeBin := node(t)
	s := emulatortest.New(t)
	seedContacts(t, s, 2100)
	env := sfEnv(t, nodeBin)
	// sf keeps the instance URL with a trailing slash and asks for
	// //services/data/...: the emulator must serve that.
	login := sf(t, nodeBin, append(env, "SF_ACCESS_TOKEN="+s.Token.AccessToken),
		"org", "login", "access-token", "--instance-url", s.URL+"/", "--no-prompt", "--alias", "emu")
	user := decode[struct {
		Username string `json:"username"`
		OrgID    string `json:"orgId"`
	}](t, login.Result)
	if user.Username == "" || user.OrgID != s.Org().OrgID() {
		t.Fatalf("login: %s", login.Result)
	}
	org := []string{"--target-org", "emu"}

	display := decode[struct {
		ConnectedStatus string `json:"connectedStatus"`
		InstanceURL     string `json:"instanceUrl"`
	}](t, sf(t, nodeBin, env, append([]string{"org", "display"}, org...)...).Result)
	if display.ConnectedStatus != "Connected" {
		t.Errorf("org display: connectedStatus %q", display.ConnectedStatus)
	}

	want := countContacts(t, s)
	page := decode[struct {
		TotalSize int              `json:"totalSize"`
		Records   []map[string]any `json:"records"`
	}](t, sf(t, nodeBin, env, append([]string{"data", "query", "--query", "SELECT Id, LastName FROM Contact"}, org...)...).Result)
	if want <= 2000 || page.TotalSize != want || len(page.Records) != want {
		t.Errorf("data query: totalSize %d, %d records; the org has %d contacts", page.TotalSize, len(page.Records), want)
	}

	created := decode[struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}](t, sf(t, nodeBin, env, append([]string{"data", "create", "record", "--sobject", "Account", "--values", "Name='sf CLI Co' Industry=Energy"}, org...)...).Result)
	if !created.Success || !strings.HasPrefix(created.ID, "001") {
		t.Fatalf("create record: %+v", created)
	}
	sf(t, nodeBin, env, append([]string{"data", "update", "record", "--sobject", "Account", "--record-id", created.ID, "--values", "Industry=Banking"}, org...)...)
	got := decode[map[string]any](t, sf(t, nodeBin, env, append([]string{"data", "get", "record", "--sobject", "Account", "--where", "Name='sf CLI Co'"}, org...)...).Result)
	if got["Id"] != created.ID || got["Industry"] != "Banking" {
		t.Errorf("get record: %v", got)
	}
	sf(t, nodeBin, env, append([]string{"data", "delete", "record", "--sobject", "Account", "--record-id", created.ID}, org...)...)
	if status, body := s.Do(t, "GET", "/services/data/v62.0/sobjects/Account/"+created.ID, nil); status != 404 {
		t.Errorf("after delete record: %d %s", status, body)
	}

	describe := decode[struct {
		Name   string `json:"name"`
		Fields []any  `json:"fields"`
	}](t, sf(t, nodeBin, env, append([]string{"sobject", "describe", "--sobject", "Account"}, org...)...).Result)
	if describe.Name != "Account" || len(describe.Fields) < 10 {
		t.Errorf("sobject describe: %s with %d fields", describe.Name, len(describe.Fields))
	}
	list := decode[[]string](t, sf(t, nodeBin, env, append([]string{"sobject", "list", "--sobject", "all"}, org...)...).Result)
	if !strings.Contains(strings.Join(list, ","), "Contact") {
		t.Errorf("sobject list: %v", list)
	}
	limits := decode[[]struct {
		Name string `json:"name"`
		Max  int    `json:"max"`
	}](t, sf(t, nodeBin, env, append([]string{"org", "list", "limits"}, org...)...).Result)
	found := false
	for _, l := range limits {
		found = found || (l.Name == "DailyApiRequests" && l.Max > 0)
	}
	if !found {
		t.Errorf("org list limits: no DailyApiRequests in %v", limits)
	}

	// Bulk: import two accounts, export them, upsert by Id, delete them.
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte("Name,Industry\nsf Bulk One,Energy\nsf Bulk Two,Energy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	imp := decode[struct {
		SuccessfulRecords int `json:"successfulRecords"`
		FailedRecords     int `json:"failedRecords"`
	}](t, sf(t, nodeBin, env, append([]string{"data", "import", "bulk", "--sobject", "Account", "--file", in, "--wait", "5"}, org...)...).Result)
	if imp.SuccessfulRecords != 2 || imp.FailedRecords != 0 {
		t.Errorf("import bulk: %+v", imp)
	}
	exported := filepath.Join(dir, "out.csv")
	sf(t, nodeBin, env, append([]string{"data", "export", "bulk", "--query", "SELECT Id, Name FROM Account WHERE Name LIKE 'sf Bulk%' ORDER BY Name", "--output-file", exported, "--wait", "5"}, org...)...)
	rows := readCSV(t, exported)
	if len(rows) != 3 || rows[1][1] != "sf Bulk One" || rows[2][1] != "sf Bulk Two" {
		t.Fatalf("export bulk: %v", rows)
	}
	up := filepath.Join(dir, "up.csv")
	del := filepath.Join(dir, "del.csv")
	if err := os.WriteFile(up, []byte("Id,Industry\n"+rows[1][0]+",Chemicals\n"+rows[2][0]+",Chemicals\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(del, []byte("Id\n"+rows[1][0]+"\n"+rows[2][0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sf(t, nodeBin, env, append([]string{"data", "upsert", "bulk", "--sobject", "Account", "--file", up, "--external-id", "Id", "--wait", "5"}, org...)...)
	status, body := s.Do(t, "GET", "/services/data/v62.0/query?q=SELECT+count()+FROM+Account+WHERE+Industry='Chemicals'+AND+Name+LIKE+'sf+Bulk%25'", nil)
	if status != 200 || !strings.Contains(string(body), `"totalSize":2`) {
		t.Errorf("after upsert bulk: %d %s", status, body)
	}
	sf(t, nodeBin, env, append([]string{"data", "delete", "bulk", "--sobject", "Account", "--file", del, "--wait", "5"}, org...)...)
	status, body = s.Do(t, "GET", "/services/data/v62.0/query?q=SELECT+count()+FROM+Account+WHERE+Name+LIKE+'sf+Bulk%25'", nil)
	if status != 200 || !strings.Contains(string(body), `"totalSize":0`) {
		t.Errorf("after delete bulk: %d %s", status, body)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
