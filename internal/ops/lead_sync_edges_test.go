package ops

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestConvertedStatusIsTheAPIName: the emulator's converted lead status
// has been relabelled (MasterLabel "Converted", ApiName "Closed - Converted"),
// as an admin can in Setup. A conversion sets, and reports, the API name;
// the API name is what create and update refuse as a converted status.
func TestConvertedStatusIsTheAPIName(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	// The premise: without a label that differs, nothing below could tell
	// which of the two the syncer reads.
	page, err := c.QueryFirstPage(ctx, "SELECT ApiName, MasterLabel FROM LeadStatus WHERE IsConverted = true", salesforce.QueryOptions{})
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("converted statuses: %v %v", page, err)
	}
	var st struct{ ApiName, MasterLabel string }
	if err := json.Unmarshal(page.Records[0], &st); err != nil || st.ApiName != "Closed - Converted" || st.MasterLabel != "Converted" {
		t.Fatalf("the org's converted status: %+v %v", st, err)
	}

	s := NewLeadSyncer(LeadSyncConfig{})
	out := mustSync(t, s, c, SyncLeadInput{Email: "relabel@example.com", LastName: "Relabel", Status: "scheduled"})
	if out.Action != ActionConverted || out.StatusSet != "Closed - Converted" {
		t.Fatalf("conversion: %+v", out)
	}
	got, err := GetLead(ctx, c, GetLeadInput{LeadID: out.LeadID})
	if err != nil || got.Lead.Status != "Closed - Converted" || !got.Lead.IsConverted {
		t.Fatalf("converted lead: %+v %v", got.Lead, err)
	}
	// The API name is a converted status: create and update refuse it.
	if _, err := s.CreateLead(ctx, c, CreateLeadInput{Email: "relabel-create@example.com", LastName: "R", Status: "closed - converted"}); err == nil ||
		!strings.Contains(err.Error(), "converted status") {
		t.Errorf("create with the converted status: %v", err)
	}
	if _, err := GetLead(ctx, c, GetLeadInput{Email: "relabel-create@example.com"}); err == nil {
		t.Error("the refused lead was created")
	}
}

// TestConvertIntoAccountReusesItsContact: a conversion given only an
// account reuses the account's contact with the lead's email instead of
// creating a second one; without such a contact it creates one.
func TestConvertIntoAccountReusesItsContact(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	s := NewLeadSyncer(LeadSyncConfig{})
	acc, err := c.CreateRecord(ctx, "Account", map[string]any{"Name": "Reuse Co"})
	if err != nil {
		t.Fatal(err)
	}
	con, err := c.CreateRecord(ctx, "Contact", map[string]any{"LastName": "Known", "Email": "Known@Reuse.example", "AccountId": acc})
	if err != nil {
		t.Fatal(err)
	}
	out := mustSync(t, s, c, SyncLeadInput{Email: "known@reuse.example", LastName: "Known", Status: "scheduled", AccountID: acc})
	if out.Action != ActionConverted || out.AccountID != acc || out.ContactID != con {
		t.Fatalf("into the account with a contact of that email: %+v; want account %s, contact %s", out, acc, con)
	}
	page, err := c.QueryFirstPage(ctx, "SELECT Id FROM Contact WHERE AccountId = '"+acc+"'", salesforce.QueryOptions{})
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("contacts of the account after the conversion: %d (%v), want the one", len(page.Records), err)
	}
	other := mustSync(t, s, c, SyncLeadInput{Email: "stranger@reuse.example", LastName: "Stranger", Status: "scheduled", AccountID: acc})
	if other.Action != ActionConverted || other.AccountID != acc || other.ContactID == "" || other.ContactID == con {
		t.Fatalf("into the account without such a contact: %+v", other)
	}
}

// TestSettleDuplicatesKeepsItsLead: when the created lead is the only (or
// oldest) one, it is kept as read back, with its fields; when the email's
// query does not return it at all (deleted meanwhile), it is kept by id
// rather than failing.
func TestSettleDuplicatesKeepsItsLead(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	id, err := c.CreateRecord(ctx, "Lead", map[string]any{"LastName": "Only", "Company": "Solo", "Email": "solo@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	kept, removed, err := settleDuplicates(ctx, c, "solo@example.com", id)
	if err != nil || removed != "" || kept.ID != id || kept.LastName != "Only" || kept.Company != "Solo" {
		t.Fatalf("the only lead: %+v removed %q %v", kept, removed, err)
	}
	gone, err := c.CreateRecord(ctx, "Lead", map[string]any{"LastName": "Gone", "Company": "Solo", "Email": "gone@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRecord(ctx, "Lead", gone); err != nil {
		t.Fatal(err)
	}
	kept, removed, err = settleDuplicates(ctx, c, "gone@example.com", gone)
	if err != nil || removed != "" || kept.ID != gone || kept.Email != "gone@example.com" {
		t.Fatalf("a lead the query no longer returns: %+v removed %q %v", kept, removed, err)
	}
}

// keyLocker records the keys of the lead locks taken through it.
type keyLocker struct {
	mu   sync.Mutex
	keys []string
}

func (l *keyLocker) Lock(_ context.Context, key string) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	return func() {}, nil
}

func (l *keyLocker) taken() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.keys...)
}

// TestLockLeadKey: a write to a lead named by id holds the lock of its
// email, the one a sync of that email takes, so the two run one at a time;
// only a lead without an email is locked by its id.
func TestLockLeadKey(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	locker := &keyLocker{}
	s := NewLeadSyncer(LeadSyncConfig{Locker: locker})
	synced := mustSync(t, s, c, SyncLeadInput{Email: "Locked@Example.com", LastName: "Locked"})
	noEmail, err := c.CreateRecord(ctx, "Lead", map[string]any{"LastName": "Anonymous", "Company": "None"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{synced.LeadID, noEmail} {
		if _, err := s.UpdateLeadStatus(ctx, c, UpdateLeadStatusInput{Status: "Working - Contacted", LeadID: id}); err != nil {
			t.Fatalf("update status of %s: %v", id, err)
		}
	}
	keys := locker.taken()
	want := []string{
		leadLockKey(c.InstanceURL(), "locked@example.com"), // the sync
		leadLockKey(c.InstanceURL(), "locked@example.com"), // the update by id: the same lock
		leadLockKey(c.InstanceURL(), "id:"+noEmail),
	}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Fatalf("lock keys %q, want %q", keys, want)
	}
}
