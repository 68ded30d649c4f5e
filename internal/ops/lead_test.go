package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store/redistest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"o'brien@example.com", "a%b_c+tag@example.com", "josé@exämple.com", "x'OR'1'='1@example.com",
		"a%'OR'Name'LIKE'%@example.com", "first.last@sub.example.co.uk"} {
		if err := checkEmail("email", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "no-at-sign", "two@@example.com", "a@b@example.com", `quo"te@example.com`, `back\slash@example.com`,
		"sp ace@example.com", "tab\t@example.com", "x' OR Email != '@example.com", "@example.com", "user@localhost", "user@-bad.com",
		"a..b@example.com", "user@example..com", strings.Repeat("a", 80) + "@example.com"} {
		err := checkEmail("email", bad)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "email" {
			t.Errorf("%q accepted or wrong error: %v", bad, err)
		}
	}
}

func TestLeadInputValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    Input
		field string
	}{
		{"sync no last name", SyncLeadInput{Email: "a@example.com"}, "last_name"},
		{"sync bad email", SyncLeadInput{Email: "nope", LastName: "x"}, "email"},
		{"sync bad status", SyncLeadInput{Email: "a@example.com", LastName: "x", Status: "converted"}, "status"},
		{"sync account id of a contact", SyncLeadInput{Email: "a@example.com", LastName: "x", Status: "scheduled", AccountID: "003000000000001"}, "account_id"},
		{"sync merge without scheduled", SyncLeadInput{Email: "a@example.com", LastName: "x", AccountID: "001000000000001"}, "status"},
		{"get neither", GetLeadInput{}, "lead_id"},
		{"get both", GetLeadInput{LeadID: "00Q000000000001", Email: "a@example.com"}, "lead_id"},
		{"get account id", GetLeadInput{LeadID: "001000000000001"}, "lead_id"},
		{"delete account id", DeleteLeadInput{LeadID: "001000000000001AAA"}, "lead_id"},
		{"delete garbage", DeleteLeadInput{LeadID: "x' OR Id != '"}, "lead_id"},
		{"update no fields", UpdateLeadInput{LeadID: "00Q000000000001"}, "fields"},
		{"update converted flag", UpdateLeadInput{LeadID: "00Q000000000001", Fields: map[string]any{"IsConverted": true}}, "fields"},
		{"update bad email", UpdateLeadInput{LeadID: "00Q000000000001", Fields: map[string]any{"Email": "no"}}, "fields.Email"},
		{"update bad field name", UpdateLeadInput{LeadID: "00Q000000000001", Fields: map[string]any{"Bad Name": 1}}, "fields"},
		{"status missing", UpdateLeadStatusInput{LeadID: "00Q000000000001"}, "status"},
		{"list limit", ListLeadsInput{Limit: 201}, "limit"},
		{"list raw URL cursor", ListLeadsInput{Cursor: "https://evil.example/services/data/v62.0/query/01g-200"}, "cursor"},
		{"create no email", CreateLeadInput{LastName: "x"}, "email"},
	} {
		err := tc.in.Validate()
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%s: %v; want an error on %s", tc.name, err, tc.field)
		}
	}
}

func leadOrg(t *testing.T) (*emulatortest.Server, *salesforce.Client) {
	t.Helper()
	return newOrg(t)
}

func mustSync(t *testing.T, s *LeadSyncer, c *salesforce.Client, in SyncLeadInput) SyncLeadOutput {
	t.Helper()
	out, err := s.SyncLead(context.Background(), c, in)
	if err != nil {
		t.Fatalf("sync %+v: %v", in, err)
	}
	return out
}

func TestSyncLeadIdempotencyTable(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	s := NewLeadSyncer(LeadSyncConfig{})
	base := SyncLeadInput{Email: "Table.Case@Example.com", LastName: "Table", Company: "Table Co"}
	steps := []struct {
		in     SyncLeadInput
		action string
	}{
		{base, ActionCreated},
		{base, ActionUnchanged},
		{SyncLeadInput{Email: "table.case@example.com", LastName: "Table", Company: "Table Co"}, ActionUnchanged}, // other case, same lead
		{SyncLeadInput{Email: base.Email, LastName: "Table", Company: "Table Co", Phone: "+1 555 0100"}, ActionUpdated},
		{SyncLeadInput{Email: base.Email, LastName: "Table", Status: "scheduled"}, ActionConverted},
		{SyncLeadInput{Email: base.Email, LastName: "Table", Status: "scheduled"}, ActionAlreadyConverted},
		{SyncLeadInput{Email: base.Email, LastName: "Changed", Status: "objected"}, ActionAlreadyConverted},
	}
	var leadID, accountID string
	for i, st := range steps {
		out := mustSync(t, s, c, st.in)
		if out.Action != st.action || !out.Success || out.Message == "" {
			t.Fatalf("step %d: action %q (%+v); want %q", i, out.Action, out, st.action)
		}
		if leadID == "" {
			leadID = out.LeadID
		} else if out.LeadID != leadID {
			t.Fatalf("step %d: lead %s, want %s", i, out.LeadID, leadID)
		}
		switch st.action {
		case ActionUpdated:
			if strings.Join(out.Changed, ",") != "Phone" {
				t.Errorf("changed %v", out.Changed)
			}
		case ActionConverted:
			if out.AccountID == "" || out.ContactID == "" || out.OpportunityID != "" || out.StatusSet != "Closed - Converted" {
				t.Errorf("converted: %+v", out)
			}
			accountID = out.AccountID
		case ActionAlreadyConverted:
			if out.AccountID != accountID || out.ContactID == "" || len(out.Changed) != 0 {
				t.Errorf("already converted: %+v", out)
			}
		}
	}
	got, err := GetLead(context.Background(), c, GetLeadInput{LeadID: leadID})
	if err != nil || !got.Lead.IsConverted || got.Lead.LastName != "Table" || got.Lead.Phone != "+1 555 0100" {
		t.Errorf("lead after the table: %+v %v", got.Lead, err)
	}
}

func TestSyncLeadObjectedAndStatuses(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	s := NewLeadSyncer(LeadSyncConfig{})
	in := SyncLeadInput{Email: "objector@example.com", LastName: "Obj", Status: "objected"}
	out := mustSync(t, s, c, in)
	if out.Action != ActionCreated || out.StatusSet != "Closed - Not Converted" {
		t.Fatalf("first: %+v", out)
	}
	if again := mustSync(t, s, c, in); again.Action != ActionUnchanged || again.StatusSet != "" {
		t.Fatalf("again: %+v", again)
	}
	got, _ := GetLead(context.Background(), c, GetLeadInput{Email: "OBJECTOR@example.com"})
	if got.Lead.Status != "Closed - Not Converted" || got.Lead.Company != DefaultLeadCompany || got.Lead.IsConverted {
		t.Errorf("objected lead: %+v", got.Lead)
	}
	// A not-converted status the picklist lacks is refused before anything is written.
	bad := NewLeadSyncer(LeadSyncConfig{NotConvertedStatus: "Nope"})
	_, err := bad.SyncLead(context.Background(), c, SyncLeadInput{Email: "never@example.com", LastName: "N", Status: "objected"})
	if err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("bad configured status: %v", err)
	}
	if _, err := GetLead(context.Background(), c, GetLeadInput{Email: "never@example.com"}); !salesforce.IsNotFound(err) {
		t.Errorf("a lead was written despite the error: %v", err)
	}
	// update_lead_status: a picklist value, objected, then scheduled twice.
	st, err := s.UpdateLeadStatus(context.Background(), c, UpdateLeadStatusInput{Status: "working - contacted", Email: "objector@example.com"})
	if err != nil || st.Action != ActionStatusSet || st.StatusSet != "Working - Contacted" {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := s.UpdateLeadStatus(context.Background(), c, UpdateLeadStatusInput{Status: "Closed - Converted", LeadID: st.LeadID}); err == nil {
		t.Error("a converted status was set without converting")
	}
	if _, err := s.UpdateLeadStatus(context.Background(), c, UpdateLeadStatusInput{Status: "Bogus", LeadID: st.LeadID}); err == nil {
		t.Error("an unknown status was accepted")
	}
	conv, err := s.UpdateLeadStatus(context.Background(), c, UpdateLeadStatusInput{Status: "Scheduled", LeadID: st.LeadID})
	if err != nil || conv.Action != ActionConverted || conv.ContactID == "" {
		t.Fatalf("scheduled: %+v %v", conv, err)
	}
	again, err := s.UpdateLeadStatus(context.Background(), c, UpdateLeadStatusInput{Status: "scheduled", LeadID: st.LeadID})
	if err != nil || again.Action != ActionAlreadyConverted || again.ContactID != conv.ContactID {
		t.Fatalf("scheduled again: %+v %v", again, err)
	}
	_, err = s.UpdateLead(context.Background(), c, UpdateLeadInput{LeadID: st.LeadID, Fields: map[string]any{"Phone": "1"}})
	var apiErr *salesforce.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != "CANNOT_UPDATE_CONVERTED_LEAD" {
		t.Errorf("update of a converted lead: %v", err)
	}
}

func TestSyncLeadConvertsIntoExistingRecords(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	s := NewLeadSyncer(LeadSyncConfig{})
	acc, err := c.CreateRecord(ctx, "Account", map[string]any{"Name": "O'Reilly & Sons"})
	if err != nil {
		t.Fatal(err)
	}
	// By company name (exact, with a quote in it).
	out := mustSync(t, s, c, SyncLeadInput{Email: "buyer@oreilly.example", LastName: "Buyer", Company: "O'Reilly & Sons", Status: "scheduled", CreateOpportunity: true})
	if out.Action != ActionConverted || out.AccountID != acc || out.OpportunityID == "" {
		t.Fatalf("by company: %+v (account %s)", out, acc)
	}
	// By contact email: the contact made above is reused.
	out2 := mustSync(t, s, c, SyncLeadInput{Email: "BUYER@oreilly.example", LastName: "Buyer", Status: "scheduled"})
	if out2.Action != ActionAlreadyConverted {
		t.Fatalf("same email again: %+v", out2)
	}
	other, _ := c.CreateRecord(ctx, "Account", map[string]any{"Name": "Elsewhere"})
	con, _ := c.CreateRecord(ctx, "Contact", map[string]any{"LastName": "Known", "Email": "known@x.example", "AccountId": other})
	out3 := mustSync(t, s, c, SyncLeadInput{Email: "known@x.example", LastName: "Known", Company: "Whatever", Status: "scheduled"})
	if out3.AccountID != other || out3.ContactID != con {
		t.Fatalf("by contact email: %+v", out3)
	}
	// Explicit ids: the contact must belong to the account.
	_, err = s.SyncLead(ctx, c, SyncLeadInput{Email: "explicit@x.example", LastName: "E", Status: "scheduled", AccountID: acc, ContactID: con})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "contact_id" {
		t.Fatalf("mismatched contact: %v", err)
	}
	var le *LeadError
	if !errors.As(err, &le) || le.CorrelationID == "" || le.Body().Success || le.Body().Details[0].Field != "contact_id" {
		t.Fatalf("error body: %+v", err)
	}
	if _, err := GetLead(ctx, c, GetLeadInput{Email: "explicit@x.example"}); !salesforce.IsNotFound(err) {
		t.Errorf("half-written lead: %v", err)
	}
	out4 := mustSync(t, s, c, SyncLeadInput{Email: "explicit@x.example", LastName: "E", Status: "scheduled", AccountID: acc})
	if out4.AccountID != acc || out4.ContactID == "" || out4.ContactID == con {
		t.Fatalf("into account: %+v", out4)
	}
}

func TestSyncLeadCraftedEmailsMatchNothingElse(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	s := NewLeadSyncer(LeadSyncConfig{})
	for _, email := range []string{"x'OR'1'='1@example.com", "a%'OR'Name'LIKE'%@example.com", "o'brien@example.com", "_%@example.com"} {
		out := mustSync(t, s, c, SyncLeadInput{Email: email, LastName: "Crafted"})
		if out.Action != ActionCreated {
			t.Fatalf("%s: %+v (matched an existing lead)", email, out)
		}
		got, err := GetLead(context.Background(), c, GetLeadInput{Email: email})
		if err != nil || got.Lead.Email != email || got.Lead.ID != out.LeadID || len(got.OtherLeadIDs) != 0 {
			t.Fatalf("%s: %+v %v", email, got, err)
		}
	}
	list, err := ListLeads(context.Background(), c, ListLeadsInput{Email: "_%@example.com"})
	if err != nil || list.Count != 1 {
		t.Errorf("list by a wildcard-looking email: %+v %v", list, err)
	}
}

func TestSyncLeadConcurrentSameEmail(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	s := NewLeadSyncer(LeadSyncConfig{})
	var wg sync.WaitGroup
	actions := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "race@example.com"
			if i%2 == 1 {
				email = "RACE@example.com"
			}
			out, err := s.SyncLead(context.Background(), c, SyncLeadInput{Email: email, LastName: "Race"})
			actions[i], errs[i] = out.Action, err
		}()
	}
	wg.Wait()
	created := 0
	for i := range 50 {
		if errs[i] != nil {
			t.Fatalf("sync %d: %v", i, errs[i])
		}
		if actions[i] == ActionCreated {
			created++
		}
	}
	leads, err := findLeadsByEmail(context.Background(), c, "race@example.com")
	if err != nil || len(leads) != 1 || created != 1 {
		t.Fatalf("%d leads, %d created, %v", len(leads), created, err)
	}
	// Nothing was created and then removed: deleted rows count too.
	if n := leadRowsEver(t, c, "race@example.com"); n != 1 {
		t.Fatalf("%d leads with the email counting deleted ones (queryAll); want 1: duplicates were created and then removed", n)
	}
}

// leadRowsEver counts the leads with email, deleted ones included (queryAll).
func leadRowsEver(t *testing.T, c *salesforce.Client, email string) int {
	t.Helper()
	res, err := c.QueryPage(context.Background(), "SELECT Id, IsDeleted FROM Lead WHERE Email = "+salesforce.QuoteSOQL(email), true)
	if err != nil {
		t.Fatal(err)
	}
	return res.TotalSize
}

// TestSyncLeadLockersAcrossSyncers runs 50 syncs of one email through 50
// LeadSyncers—as 50 processes would, none seeing the others' in-process
// locks—sharing only a LeadLocker: files, a real redis-server, or a real
// 3-master Redis Cluster named by the same redis+cluster:// URL the OAuth
// store takes. Exactly one lead is created, and none created then deleted
// (queryAll).
func TestSyncLeadLockersAcrossSyncers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rc, err := NewRedisClient(context.Background(), rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	cluster := redistest.StartCluster(t)
	cc, err := NewRedisClient(context.Background(), cluster.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	for _, tt := range []struct {
		name   string
		locker func() LeadLocker
	}{
		{"file", func() LeadLocker { return FileLeadLocker{Dir: t.TempDir()} }},
		{"redis", func() LeadLocker { return RedisLeadLocker{Client: rc, Prefix: "test:" + t.Name() + ":"} }},
		{"redis cluster", func() LeadLocker { return RedisLeadLocker{Client: cc} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := leadOrg(t)
			locker := tt.locker()
			var wg sync.WaitGroup
			errs := make([]error, 50)
			removed := make([]string, 50)
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := NewLeadSyncer(LeadSyncConfig{Locker: locker})
					out, err := s.SyncLead(context.Background(), c, SyncLeadInput{Email: "lock@example.com", LastName: fmt.Sprint("Lock ", i)})
					errs[i], removed[i] = err, out.DuplicateRemoved
				}()
			}
			wg.Wait()
			for i := range 50 {
				if errs[i] != nil {
					t.Fatalf("sync %d: %v", i, errs[i])
				}
				if removed[i] != "" {
					t.Errorf("sync %d created a duplicate and removed it (%s)", i, removed[i])
				}
			}
			if n := leadRowsEver(t, c, "lock@example.com"); n != 1 {
				t.Fatalf("%d leads with the email counting deleted ones; want 1", n)
			}
		})
	}
}

func TestRedisLeadLockerRenewsAndReleases(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rc, err := NewRedisClient(context.Background(), rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	l := RedisLeadLocker{Client: rc, TTL: 900 * time.Millisecond}
	ctx := context.Background()
	unlock, err := l.Lock(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	// Held past several TTLs (renewed), a second taker waits.
	short, cancel := context.WithTimeout(ctx, 2700*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(short, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock while held: %v", err)
	}
	unlock()
	unlock2, err := l.Lock(ctx, "k")
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
	keys, _ := rc.Keys(ctx, "sfmcp:leadlock:*").Result()
	if len(keys) != 0 {
		t.Errorf("keys left: %v", keys)
	}
}

func TestSyncLeadDuplicateCheckAcrossProcesses(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	// Another process's lead already exists when ours is created: the
	// syncers below do not share locks, as two processes would not.
	older, err := c.CreateRecord(ctx, "Lead", map[string]any{"LastName": "Old", "Company": "X", "Email": "dup@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := c.CreateRecord(ctx, "Lead", map[string]any{"LastName": "New", "Company": "X", "Email": "dup@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	kept, removed, err := settleDuplicates(ctx, c, "dup@example.com", mine)
	if err != nil || kept.ID != older || removed != mine {
		t.Fatalf("kept %s removed %s (%v); want %s and %s", kept.ID, removed, err, older, mine)
	}
	leads, _ := findLeadsByEmail(ctx, c, "dup@example.com")
	if len(leads) != 1 || leads[0].ID != older {
		t.Fatalf("after settling: %+v", leads)
	}
	// The older lead's creator keeps its lead.
	kept, removed, err = settleDuplicates(ctx, c, "dup@example.com", older)
	if err != nil || kept.ID != older || removed != "" {
		t.Fatalf("older: %s %q %v", kept.ID, removed, err)
	}
}

func TestLeadCRUDAndList(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	s := NewLeadSyncer(LeadSyncConfig{})
	created, err := s.CreateLead(ctx, c, CreateLeadInput{Email: "crud@example.com", LastName: "Crud", Status: "working - contacted"})
	if err != nil || created.StatusSet != "Working - Contacted" {
		t.Fatalf("create: %+v %v", created, err)
	}
	if _, err := s.CreateLead(ctx, c, CreateLeadInput{Email: "CRUD@example.com", LastName: "Again"}); err == nil {
		t.Error("a second lead with the same email was created")
	}
	if _, err := s.CreateLead(ctx, c, CreateLeadInput{Email: "x@example.com", LastName: "X", Status: "Nonsense"}); err == nil {
		t.Error("an unknown status was accepted")
	}
	up, err := s.UpdateLead(ctx, c, UpdateLeadInput{Email: "crud@example.com", Fields: map[string]any{"Title": "CEO", "Status": "Closed - Not Converted"}})
	if err != nil || up.LeadID != created.LeadID {
		t.Fatalf("update: %+v %v", up, err)
	}
	got, _ := GetLead(ctx, c, GetLeadInput{LeadID: created.LeadID})
	if got.Lead.Status != "Closed - Not Converted" {
		t.Errorf("status after update: %q", got.Lead.Status)
	}
	// The sample org has 300 leads: page through them 200 at a time.
	seen := map[string]bool{}
	in := ListLeadsInput{Limit: 200}
	for pages := 0; ; pages++ {
		out, err := ListLeads(ctx, c, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range out.Leads {
			if seen[l.ID] {
				t.Fatalf("%s twice", l.ID)
			}
			seen[l.ID] = true
		}
		if out.NextCursor == "" {
			break
		}
		if strings.Contains(out.NextCursor, "/") || pages > 5 {
			t.Fatalf("cursor %q", out.NextCursor)
		}
		in.Cursor = out.NextCursor
	}
	if len(seen) < 301 {
		t.Errorf("listed %d leads", len(seen))
	}
	def, _ := ListLeads(ctx, c, ListLeadsInput{})
	if def.Count != DefaultLeadLimit {
		t.Errorf("default limit: %d", def.Count)
	}
	open, err := ListLeads(ctx, c, ListLeadsInput{Status: "Closed - Not Converted", Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range open.Leads {
		if l.Status != "Closed - Not Converted" {
			t.Fatalf("status filter let %s through", l.Status)
		}
	}
	if _, err := ListLeads(ctx, c, ListLeadsInput{Status: "Working - Contacted", Cursor: def.NextCursor}); err == nil {
		t.Error("a cursor was reused with other filters")
	}
	del, err := DeleteLead(ctx, c, DeleteLeadInput{LeadID: created.LeadID})
	if err != nil || del.Action != ActionDeleted {
		t.Fatalf("delete: %v", err)
	}
	_, err = GetLead(ctx, c, GetLeadInput{LeadID: created.LeadID})
	var le *LeadError
	if !salesforce.IsNotFound(err) || !errors.As(err, &le) {
		t.Errorf("after delete: %v", err)
	}
	b, _ := json.Marshal(le.Body())
	if !strings.Contains(string(b), `"success":false`) || !strings.Contains(string(b), `"correlation_id":"`) || !strings.Contains(string(b), `"details":[{`) {
		t.Errorf("error body %s", b)
	}
}

func TestLeadOpsFaultAndCorrelation(t *testing.T) {
	t.Parallel()
	em, c := leadOrg(t)
	s := NewLeadSyncer(LeadSyncConfig{})
	mustSync(t, s, c, SyncLeadInput{Email: "fault@example.com", LastName: "F"})
	em.ExpireSessions(t) // no refresh token: the SOAP call's fault is an auth failure
	ctx := WithCorrelationID(context.Background(), "cid-123")
	_, err := s.SyncLead(ctx, c, SyncLeadInput{Email: "fault@example.com", LastName: "F", Status: "scheduled"})
	var le *LeadError
	if !errors.As(err, &le) || le.CorrelationID != "cid-123" || !salesforce.IsAuthError(err) {
		t.Fatalf("got %T %v", err, err)
	}
	if b := le.Body(); b.ErrorCode != "AUTHENTICATION_REQUIRED" || b.CorrelationID != "cid-123" {
		t.Errorf("body %+v", b)
	}
}

func TestLeadSyncerBindAndCatalogue(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, e := range Catalogue() {
		names[e.Meta.Name] = true
	}
	for _, e := range LeadEntries(nil) {
		if !names[e.Meta.Name] {
			t.Errorf("%s is not in the catalogue", e.Meta.Name)
		}
	}
	bound := NewLeadSyncer(LeadSyncConfig{}).Bind(Catalogue())
	if len(bound) != len(Catalogue()) {
		t.Fatal("Bind changed the catalogue's length")
	}
	want := map[string][]string{
		"salesforce_sync_lead":          {"email", "last_name", "first_name", "company", "phone", "lead_source", "status"},
		"salesforce_list_leads":         {"limit", "status", "email", "cursor"},
		"salesforce_get_lead":           {"email", "lead_id"},
		"salesforce_create_lead":        {"email", "last_name"},
		"salesforce_update_lead":        {"lead_id", "email", "fields"},
		"salesforce_delete_lead":        {"lead_id"},
		"salesforce_update_lead_status": {"status", "lead_id", "email"},
	}
	for _, e := range LeadEntries(nil) {
		have := map[string]bool{}
		for i := range e.Input.NumField() {
			name, _, _ := strings.Cut(e.Input.Field(i).Tag.Get("json"), ",")
			have[name] = true
		}
		for _, a := range want[e.Meta.Name] {
			if !have[a] {
				t.Errorf("%s lacks argument %s", e.Meta.Name, a)
			}
		}
	}
}

// countingLocker counts the lead locks taken through it.
type countingLocker struct{ n atomic.Int32 }

func (l *countingLocker) Lock(context.Context, string) (func(), error) {
	l.n.Add(1)
	return func() {}, nil
}

// TestLeadOpsUseTheirSyncer: the lead operations run on the syncer they
// were declared with (its locker, its statuses), and a nil syncer stands
// for a fresh one.
func TestLeadOpsUseTheirSyncer(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	locker := &countingLocker{}
	s := NewLeadSyncer(LeadSyncConfig{Locker: locker})
	if _, err := SyncLeadOp(s).Run(ctx, c, SyncLeadInput{Email: "syncer-a@example.com", LastName: "A"}); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateLeadOp(s).Run(ctx, c, CreateLeadInput{Email: "syncer-b@example.com", LastName: "B"}); err != nil {
		t.Fatal(err)
	}
	if n := locker.n.Load(); n != 2 {
		t.Errorf("the syncer's locker took %d locks for two writes, want 2", n)
	}
	if out, err := SyncLeadOp(nil).Run(ctx, c, SyncLeadInput{Email: "syncer-c@example.com", LastName: "C"}); err != nil || out.LeadID == "" {
		t.Errorf("sync with a nil syncer: %+v %v", out, err)
	}
}

// TestLeadStatusRefusalsListTheOrgsValues: a status the org does not have
// is refused with the org's active Lead.Status values, and only those.
func TestLeadStatusRefusalsListTheOrgsValues(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	const values = "Open - Not Contacted, Working - Contacted, Closed - Converted, Closed - Not Converted"
	_, err := NewLeadSyncer(LeadSyncConfig{}).CreateLead(ctx, c, CreateLeadInput{Email: "status-list@example.com", LastName: "S", Status: "Bogus"})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "("+values+"; or scheduled / objected)") {
		t.Errorf("create with status Bogus: %v", err)
	}
	s := NewLeadSyncer(LeadSyncConfig{NotConvertedStatus: "Gone Away"})
	if _, err := s.CreateLead(ctx, c, CreateLeadInput{Email: "status-list2@example.com", LastName: "S"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateLeadStatus(ctx, c, UpdateLeadStatusInput{Email: "status-list2@example.com", Status: "objected"})
	if err == nil || !strings.HasSuffix(err.Error(), "to one of: "+values) {
		t.Errorf("objected with a not-converted status the org lacks: %v", err)
	}
}

// TestKeyedMutex: a key's lock excludes while it is held or waited for,
// however its holders come and go, and its entry goes with the last of them.
func TestKeyedMutex(t *testing.T) {
	t.Parallel()
	k := keyedMutex{m: map[string]*keyLock{}}
	ctx := context.Background()
	refs := func() int {
		k.mu.Lock()
		defer k.mu.Unlock()
		if l := k.m["x"]; l != nil {
			return l.refs
		}
		return 0
	}
	unlockA, err := k.lock(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func())
	go func() {
		u, _ := k.lock(ctx, "x")
		got <- u
	}()
	for refs() != 2 {
		time.Sleep(time.Millisecond)
	}
	unlockA()
	unlockB := <-got
	// B holds the lock it waited for: C waits, here until it gives up.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if u, err := k.lock(cctx, "x"); err == nil {
		u()
		t.Error("C took the lock B holds")
	}
	unlockB()
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) != 0 {
		t.Errorf("entries left after every holder and waiter went: %v", k.m)
	}
}

func TestSyncMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		out  SyncLeadOutput
		want string
	}{
		{SyncLeadOutput{Action: ActionCreated, LeadID: "00Q1", StatusSet: "Closed - Not Converted"}, "Created lead 00Q1; status set to Closed - Not Converted"},
		{SyncLeadOutput{Action: ActionCreated, LeadID: "00Q1"}, "Created lead 00Q1"},
		{SyncLeadOutput{Action: ActionConverted, LeadID: "00Q1", AccountID: "001A", ContactID: "003C", StatusSet: "Closed - Converted"},
			"Converted lead 00Q1 (account 001A, contact 003C)"},
		{SyncLeadOutput{Action: ActionCreated, LeadID: "00Q1", DuplicateRemoved: "00Q2"}, "Created lead 00Q1; deleted duplicate lead 00Q2 created concurrently"},
	} {
		if got := syncMessage(tc.out); got != tc.want {
			t.Errorf("syncMessage(%+v) = %q, want %q", tc.out, got, tc.want)
		}
	}
}
