package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sfmcp/sfmcp/internal/sfid"
)

// testOrgContract drives one client through the calls every Salesforce-like
// org must answer the same way: record CRUD, upsert by external id, a query
// and describe. It needs only what the emulator's sample org has (Account
// with External_Id__c, Lead), so it can run against the emulator as well as
// against the in-memory fake below.
func testOrgContract(t *testing.T, c *Client) {
	t.Helper()
	ctx := context.Background()
	tag := fmt.Sprintf("%08x", rand.Uint32())
	name := "sfmcp contract " + tag

	id, err := c.CreateRecord(ctx, "Account", map[string]any{"Name": name})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(id) != 18 || !sfid.Valid(id) || sfid.Prefix(id) != "001" {
		t.Fatalf("create returned id %q", id)
	}
	readName := func(id string) string {
		t.Helper()
		raw, err := c.GetRecord(ctx, "Account", id, []string{"Name"})
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		var rec struct{ Name string }
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		return rec.Name
	}
	if got := readName(id[:15]); got != name {
		t.Errorf("get Name = %q, want %q", got, name)
	}
	if err := c.UpdateRecord(ctx, "Account", id, map[string]any{"Name": name + " (renamed)"}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got := readName(id); got != name+" (renamed)" {
		t.Errorf("Name after update = %q", got)
	}

	page, err := c.QueryPage(ctx, "SELECT Id, Name FROM Account WHERE Id = "+QuoteSOQL(id), false)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if page.TotalSize != 1 || len(page.Records) != 1 || !strings.Contains(string(page.Records[0]), id) {
		t.Errorf("query page = %+v", page)
	}

	ext := "ext-" + tag
	first, err := c.UpsertRecord(ctx, "Account", "External_Id__c", ext, map[string]any{"Name": name + " upserted"})
	if err != nil || !first.Created || !sfid.Valid(first.ID) {
		t.Fatalf("first upsert = %+v, %v; want created", first, err)
	}
	second, err := c.UpsertRecord(ctx, "Account", "External_Id__c", ext, map[string]any{"Name": name + " upserted again"})
	if err != nil || second.Created || second.ID != first.ID {
		t.Fatalf("second upsert = %+v, %v; want an update of %s", second, err, first.ID)
	}

	lead, err := c.DescribeSObject(ctx, "Lead")
	if err != nil {
		t.Fatalf("describe Lead: %v", err)
	}
	if lead.Name != "Lead" || lead.KeyPrefix != "00Q" || len(lead.Fields) == 0 {
		t.Errorf("describe Lead = %s %s with %d fields", lead.Name, lead.KeyPrefix, len(lead.Fields))
	}

	for _, del := range []string{id, first.ID} {
		if err := c.DeleteRecord(ctx, "Account", del); err != nil {
			t.Fatalf("delete %s: %v", del, err)
		}
	}
	if _, err := c.GetRecord(ctx, "Account", id, nil); !IsNotFound(err) {
		t.Errorf("get after delete: %v, want not found", err)
	}
}

func TestOrgContractAgainstFake(t *testing.T) {
	t.Parallel()
	srv, _ := newFakeOrg(t, newMemoryOrg(t).ServeHTTP)
	testOrgContract(t, newTestClient(t, srv.URL))
}

// memoryOrg is a tiny Salesforce-shaped org for Accounts, enough for
// testOrgContract: sobject CRUD, upsert by External_Id__c, queries of the
// form "... FROM Account WHERE Id = '<id>'", and the Lead describe.
type memoryOrg struct {
	leadDescribe string

	mu      sync.Mutex
	seq     uint64
	records map[string]map[string]any // by 18-character id
}

func newMemoryOrg(t *testing.T) *memoryOrg {
	return &memoryOrg{leadDescribe: readTestdata(t, "describe_Lead.json"), records: map[string]map[string]any{}}
}

var (
	accountPath = regexp.MustCompile(`^/services/data/v[0-9]+\.0/sobjects/Account(?:/([^/]+))?(?:/([^/]+))?$`)
	whereID     = regexp.MustCompile(`WHERE Id = '([A-Za-z0-9]+)'`)
)

func (o *memoryOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "/sobjects/Lead/describe") {
		writeJSON(w, 200, o.leadDescribe)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/query") {
		o.query(w, r)
		return
	}
	m := accountPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeSFError(w, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeSFError(w, 400, "JSON_PARSER_ERROR", "bad JSON")
			return
		}
		delete(body, "attributes")
	}
	switch {
	case r.Method == http.MethodPost && m[1] == "":
		id := o.insert(body)
		writeJSON(w, 201, fmt.Sprintf(`{"id":%q,"success":true,"errors":[]}`, id))
	case m[2] != "" && m[1] == "External_Id__c" && r.Method == http.MethodPatch:
		for id, rec := range o.records {
			if rec["External_Id__c"] == m[2] {
				for k, v := range body {
					rec[k] = v
				}
				writeJSON(w, 200, fmt.Sprintf(`{"id":%q,"success":true,"errors":[],"created":false}`, id))
				return
			}
		}
		body["External_Id__c"] = m[2]
		writeJSON(w, 201, fmt.Sprintf(`{"id":%q,"success":true,"errors":[],"created":true}`, o.insert(body)))
	case m[1] != "" && m[2] == "":
		id, err := sfid.Normalize(m[1])
		rec, ok := o.records[id]
		if err != nil || !ok {
			writeSFError(w, 404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+m[1])
			return
		}
		switch r.Method {
		case http.MethodGet:
			out := map[string]any{"attributes": map[string]any{"type": "Account", "url": r.URL.Path}}
			for k, v := range rec {
				out[k] = v
			}
			b, _ := json.Marshal(out)
			writeJSON(w, 200, string(b))
		case http.MethodPatch:
			for k, v := range body {
				rec[k] = v
			}
			w.WriteHeader(204)
		case http.MethodDelete:
			delete(o.records, id)
			w.WriteHeader(204)
		}
	default:
		writeSFError(w, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed")
	}
}

func (o *memoryOrg) insert(body map[string]any) string {
	o.seq++
	id, _ := sfid.New("001", "000", o.seq)
	body["Id"] = id
	o.records[id] = body
	return id
}

func (o *memoryOrg) query(w http.ResponseWriter, r *http.Request) {
	q, _ := url.ParseQuery(r.URL.RawQuery)
	m := whereID.FindStringSubmatch(q.Get("q"))
	var recs []string
	if m != nil {
		if id, err := sfid.Normalize(m[1]); err == nil {
			if rec, ok := o.records[id]; ok {
				b, _ := json.Marshal(map[string]any{"attributes": map[string]any{"type": "Account"}, "Id": id, "Name": rec["Name"]})
				recs = append(recs, string(b))
			}
		}
	}
	writeJSON(w, 200, fmt.Sprintf(`{"totalSize":%d,"done":true,"records":[%s]}`, len(recs), strings.Join(recs, ",")))
}
