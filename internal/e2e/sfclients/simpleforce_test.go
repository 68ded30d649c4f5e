package sfclients_test

import (
	"testing"

	"github.com/simpleforce/simpleforce"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestSimpleforce drives the Go client simpleforce, unmodified: a session
// login, a query followed through nextRecordsUrl, create/get/update/delete
// and describe.
func TestSimpleforce(t *testing.T) {
	s := emulatortest.New(t)
	seedContacts(t, s, 2100)
	want := countContacts(t, s)
	c := simpleforce.NewClient(s.URL, "sfmcp-simpleforce", "62.0")
	c.SetSidLoc(s.Token.AccessToken, s.URL)

	res, err := c.Query("SELECT Id, LastName FROM Contact")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	seen, pages := len(res.Records), 1
	for !res.Done {
		if res, err = c.Query(res.NextRecordsURL); err != nil {
			t.Fatalf("next page: %v", err)
		}
		seen += len(res.Records)
		pages++
	}
	if res.TotalSize != want || seen != want || pages != 2 {
		t.Errorf("query: totalSize %d, %d records in %d pages; the org has %d", res.TotalSize, seen, pages, want)
	}

	obj := c.SObject("Account").Set("Name", "simpleforce Co").Set("Industry", "Energy").Create()
	if obj == nil || obj.ID() == "" {
		t.Fatal("create failed")
	}
	id := obj.ID()
	got := c.SObject("Account").Get(id)
	if got == nil || got.StringField("Name") != "simpleforce Co" {
		t.Fatalf("get: %v", got)
	}
	if c.SObject("Account").Set("Id", id).Set("Industry", "Banking").Update() == nil {
		t.Fatal("update failed")
	}
	if got = c.SObject("Account").Get(id); got == nil || got.StringField("Industry") != "Banking" {
		t.Errorf("after update: %v", got)
	}
	// simpleforce's Delete(id) puts the object's own Id in the URL, not
	// the argument, so the object must carry it.
	if err := c.SObject("Account").Set("Id", id).Delete(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got = c.SObject("Account").Get(id); got != nil {
		t.Errorf("a deleted record is still read: %v", got)
	}

	meta := c.SObject("Contact").Describe()
	if meta == nil || (*meta)["name"] != "Contact" {
		t.Fatalf("describe: %v", meta)
	}
	global, err := c.DescribeGlobal()
	if err != nil || global == nil || len((*global)["sobjects"].([]any)) == 0 {
		t.Errorf("describe global: %v", err)
	}
}
