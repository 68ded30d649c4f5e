package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// LeadSyncConfig holds the org-specific choices of lead sync.
type LeadSyncConfig struct {
	// ConvertedStatus is the Status a conversion sets; "" means the org's
	// first lead status with IsConverted = true (looked up once per org).
	ConvertedStatus string
	// NotConvertedStatus is the Status "objected" sets; "" means
	// DefaultNotConvertedStatus. It must be a Lead.Status picklist value.
	NotConvertedStatus string
	// Locker serializes the writes of one email beyond this process, before
	// anything is created: a FileLeadLocker for the processes of one
	// machine, a RedisLeadLocker for replicas sharing a Redis. nil: only
	// this process's own lock.
	Locker LeadLocker
}

// DefaultNotConvertedStatus is the status "objected" sets unless configured.
const DefaultNotConvertedStatus = "Closed - Not Converted"

// The environment variables of the two statuses, named in messages; the
// fronts read them (or the config file's keys) through internal/config.
const (
	EnvLeadConvertedStatus    = "SFMCP_LEAD_CONVERTED_STATUS"
	EnvLeadNotConvertedStatus = "SFMCP_LEAD_NOT_CONVERTED_STATUS"
)

// LeadSyncer runs the lead operations that write. It serializes the
// operations on one email address within the process (a lock per org and
// normalized email), and beyond it through cfg.Locker, and caches each
// org's converted lead status. Create one per process and share it: two
// LeadSyncers do not see each other's in-process locks.
type LeadSyncer struct {
	cfg   LeadSyncConfig
	locks keyedMutex

	mu        sync.Mutex
	converted map[string][]string // instance URL → statuses with IsConverted, in sort order
}

// NewLeadSyncer returns a LeadSyncer for cfg.
func NewLeadSyncer(cfg LeadSyncConfig) *LeadSyncer {
	return &LeadSyncer{cfg: cfg, locks: keyedMutex{m: map[string]*keyLock{}}, converted: map[string][]string{}}
}

// orNew lets a nil *LeadSyncer stand for a fresh one per call.
func (s *LeadSyncer) orNew() *LeadSyncer {
	if s == nil {
		return NewLeadSyncer(LeadSyncConfig{})
	}
	return s
}

// keyedMutex is a set of mutexes by key; a key's entry lives while someone
// holds or waits for it.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds one token while locked
	refs int
}

// lock takes key's lock, or gives up when ctx ends.
func (k *keyedMutex) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	l := k.m[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	release := func() {
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// lock serializes the writes of key (a normalized email, or "id:" and a
// lead id) in c's org: this process's lock first, then the Locker's.
func (s *LeadSyncer) lock(ctx context.Context, c *salesforce.Client, key string) (func(), error) {
	k := leadLockKey(c.InstanceURL(), key)
	unlock, err := s.locks.lock(ctx, k)
	if err != nil || s.cfg.Locker == nil {
		return unlock, err
	}
	release, err := s.cfg.Locker.Lock(ctx, k)
	if err != nil {
		unlock()
		return nil, err
	}
	return func() { release(); unlock() }, nil
}

func withCorrelation(ctx context.Context) context.Context {
	if CorrelationID(ctx) != "" {
		return ctx
	}
	return WithCorrelationID(ctx, NewCorrelationID())
}

// --- statuses ----------------------------------------------------------------

// convertedStatuses returns the org's lead statuses with IsConverted = true.
func (s *LeadSyncer) convertedStatuses(ctx context.Context, c *salesforce.Client) ([]string, error) {
	key := c.InstanceURL()
	s.mu.Lock()
	cached, ok := s.converted[key]
	s.mu.Unlock()
	if ok {
		return cached, nil
	}
	page, err := c.QueryFirstPage(ctx, "SELECT ApiName, MasterLabel FROM LeadStatus WHERE IsConverted = true ORDER BY SortOrder", salesforce.QueryOptions{})
	if err != nil {
		return nil, fmt.Errorf("look up the converted lead status: %w", err)
	}
	var out []string
	for _, raw := range page.Records {
		var st struct{ ApiName, MasterLabel string }
		if err := json.Unmarshal(raw, &st); err != nil {
			return nil, fmt.Errorf("decode lead status: %w", err)
		}
		if st.ApiName == "" {
			st.ApiName = st.MasterLabel
		}
		out = append(out, st.ApiName)
	}
	s.mu.Lock()
	s.converted[key] = out
	s.mu.Unlock()
	return out, nil
}

// convertedStatus is the Status a conversion sets.
func (s *LeadSyncer) convertedStatus(ctx context.Context, c *salesforce.Client) (string, error) {
	if s.cfg.ConvertedStatus != "" {
		return s.cfg.ConvertedStatus, nil
	}
	list, err := s.convertedStatuses(ctx, c)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("the org has no lead status with IsConverted = true; set %s", EnvLeadConvertedStatus)
	}
	return list[0], nil
}

// statusValue finds status among the org's Lead.Status picklist values
// (without regard to case) and returns it as the org spells it.
func statusValue(ctx context.Context, c *salesforce.Client, status string) (string, bool, error) {
	d, err := c.DescribeSObject(ctx, "Lead")
	if err != nil {
		return "", false, err
	}
	for _, f := range d.Fields {
		if f.Name != "Status" {
			continue
		}
		for _, pv := range f.PicklistValues {
			if pv.Active && strings.EqualFold(pv.Value, strings.TrimSpace(status)) {
				return pv.Value, true, nil
			}
		}
	}
	return "", false, nil
}

// statusValues lists the org's active Lead.Status values, for messages.
func statusValues(ctx context.Context, c *salesforce.Client) []string {
	d, err := c.DescribeSObject(ctx, "Lead")
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range d.Fields {
		if f.Name == "Status" {
			for _, pv := range f.PicklistValues {
				if pv.Active {
					out = append(out, pv.Value)
				}
			}
		}
	}
	return out
}

// notConvertedStatus is the Status "objected" sets, checked against the picklist.
func (s *LeadSyncer) notConvertedStatus(ctx context.Context, c *salesforce.Client) (string, error) {
	want := s.cfg.NotConvertedStatus
	if want == "" {
		want = DefaultNotConvertedStatus
	}
	v, ok, err := statusValue(ctx, c, want)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("the org's Lead.Status has no value %q for objected leads; set %s to one of: %s",
			want, EnvLeadNotConvertedStatus, strings.Join(statusValues(ctx, c), ", "))
	}
	return v, nil
}

// plainStatus checks a Status given for create or update: one of the org's
// picklist values, and not a converted one (conversion is status scheduled).
func (s *LeadSyncer) plainStatus(ctx context.Context, c *salesforce.Client, field, status string) (string, error) {
	v, ok, err := statusValue(ctx, c, status)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", inputErrorf(field, "%q is not a Lead.Status value of this org (%s; or scheduled / objected)",
			clip(status, 60), strings.Join(statusValues(ctx, c), ", "))
	}
	conv, err := s.convertedStatuses(ctx, c)
	if err != nil {
		return "", err
	}
	for _, cs := range conv {
		if strings.EqualFold(cs, v) {
			return "", inputErrorf(field, "%q is a converted status: use status scheduled to convert the lead", v)
		}
	}
	return v, nil
}

// --- sync ----------------------------------------------------------------------

// SyncLead creates or updates the lead with in.Email, then applies in.Status.
//
// Guarantees: all arguments (and the statuses and merge targets they name)
// are checked before anything is written. Within the process, syncs and
// other writes of one email run one at a time. Across processes, a sync that
// creates a lead queries the email again afterwards; when it finds an older
// lead it deletes the one it created and applies its fields to the older
// one (reported in duplicate_removed), so concurrent creators converge on one lead.
func (s *LeadSyncer) SyncLead(ctx context.Context, c *salesforce.Client, in SyncLeadInput) (SyncLeadOutput, error) {
	ctx = withCorrelation(ctx)
	out, err := s.syncLead(ctx, c, in)
	return out, leadFail(ctx, err)
}

func (s *LeadSyncer) syncLead(ctx context.Context, c *salesforce.Client, in SyncLeadInput) (SyncLeadOutput, error) {
	in.normalize()
	if err := in.Validate(); err != nil {
		return SyncLeadOutput{}, err
	}
	unlock, err := s.lock(ctx, c, normEmail(in.Email))
	if err != nil {
		return SyncLeadOutput{}, err
	}
	defer unlock()

	// Everything the org must confirm, before any write.
	var targetStatus string
	switch in.Status {
	case LeadStatusObjected:
		if targetStatus, err = s.notConvertedStatus(ctx, c); err != nil {
			return SyncLeadOutput{}, err
		}
	case LeadStatusScheduled:
		if targetStatus, err = s.convertedStatus(ctx, c); err != nil {
			return SyncLeadOutput{}, err
		}
	}
	merge, err := checkMergeTargets(ctx, c, in.AccountID, in.ContactID)
	if err != nil {
		return SyncLeadOutput{}, err
	}

	fields := leadFieldsInput{in.Email, in.LastName, in.FirstName, in.Company, in.Phone, in.LeadSource}
	out := SyncLeadOutput{Success: true}
	leads, err := findLeadsByEmail(ctx, c, in.Email)
	if err != nil {
		return SyncLeadOutput{}, err
	}
	var lead Lead
	if len(leads) == 0 {
		body := fields.body()
		if in.Company == "" {
			body["Company"] = DefaultLeadCompany
		}
		if in.Status == LeadStatusObjected {
			body["Status"] = targetStatus
			out.StatusSet = targetStatus
		}
		id, err := c.CreateRecord(ctx, "Lead", body)
		if err != nil {
			return SyncLeadOutput{}, err
		}
		out.Action, out.LeadID = ActionCreated, id
		kept, removed, err := settleDuplicates(ctx, c, in.Email, id)
		if err != nil {
			return SyncLeadOutput{}, err
		}
		lead = kept
		if removed != "" {
			// Another process created the lead first: ours is gone, theirs
			// gets this sync's fields.
			out.DuplicateRemoved, out.StatusSet = removed, ""
			leads = []Lead{kept}
		}
	}
	if len(leads) > 0 {
		lead = leads[0]
		for _, l := range leads[1:] {
			out.OtherLeadIDs = append(out.OtherLeadIDs, l.ID)
		}
		out.LeadID = lead.ID
		if lead.IsConverted {
			return alreadyConverted(out, lead), nil
		}
		changes := fieldChanges(lead, fields)
		if in.Status == LeadStatusObjected && lead.Status != targetStatus {
			changes["Status"] = targetStatus
			out.StatusSet = targetStatus
		}
		if len(changes) == 0 {
			out.Action = ActionUnchanged
		} else {
			if err := c.UpdateRecord(ctx, "Lead", lead.ID, changes); err != nil {
				return SyncLeadOutput{}, err
			}
			out.Action = ActionUpdated
			for k := range changes {
				out.Changed = append(out.Changed, k)
			}
			sort.Strings(out.Changed)
		}
	}
	if in.Status == LeadStatusScheduled {
		res, err := s.convert(ctx, c, lead, in.Email, in.Company, targetStatus, merge, in.CreateOpportunity)
		if err != nil {
			return SyncLeadOutput{}, err
		}
		if res.already != nil {
			return alreadyConverted(out, *res.already), nil
		}
		out.Action, out.StatusSet = ActionConverted, targetStatus
		out.AccountID, out.ContactID, out.OpportunityID = res.AccountID, res.ContactID, res.OpportunityID
	}
	out.Message = syncMessage(out)
	return out, nil
}

func alreadyConverted(out SyncLeadOutput, lead Lead) SyncLeadOutput {
	out.Action, out.LeadID = ActionAlreadyConverted, lead.ID
	out.Changed, out.StatusSet = nil, ""
	out.AccountID, out.ContactID, out.OpportunityID = lead.ConvertedAccountID, lead.ConvertedContactID, lead.ConvertedOpportunityID
	out.Message = syncMessage(out)
	return out
}

func syncMessage(out SyncLeadOutput) string {
	var m string
	switch out.Action {
	case ActionCreated:
		m = "Created lead " + out.LeadID
	case ActionUpdated:
		m = "Updated " + strings.Join(out.Changed, ", ") + " of lead " + out.LeadID
	case ActionUnchanged:
		m = "Lead " + out.LeadID + " is already up to date; nothing was written"
	case ActionConverted:
		m = "Converted lead " + out.LeadID + " (account " + out.AccountID + ", contact " + out.ContactID + ")"
	case ActionAlreadyConverted:
		m = "Lead " + out.LeadID + " was already converted (account " + out.AccountID + ", contact " + out.ContactID + "); nothing was written"
	default:
		m = out.Action + " lead " + out.LeadID
	}
	if out.StatusSet != "" && out.Action != ActionConverted {
		m += "; status set to " + out.StatusSet
	}
	if out.DuplicateRemoved != "" {
		m += "; deleted duplicate lead " + out.DuplicateRemoved + " created concurrently"
	}
	return m
}

// fieldChanges returns the given fields whose values differ from the lead's.
// Empty inputs leave fields alone; the email only differs by case when the
// lead matched, so it is never rewritten.
func fieldChanges(l Lead, f leadFieldsInput) map[string]any {
	ch := map[string]any{}
	for _, p := range []struct {
		name, cur, want string
	}{{"LastName", l.LastName, f.LastName}, {"FirstName", l.FirstName, f.FirstName}, {"Company", l.Company, f.Company},
		{"Phone", l.Phone, f.Phone}, {"LeadSource", l.LeadSource, f.LeadSource}} {
		if p.want != "" && p.want != p.cur {
			ch[p.name] = p.want
		}
	}
	return ch
}

// settleDuplicates runs after this process created lead id: if the email
// now has an older lead (another process won the race), id is deleted and
// the older lead returned; otherwise id stays and the newer duplicates are
// left for their creators, who run the same check, to delete.
func settleDuplicates(ctx context.Context, c *salesforce.Client, email, id string) (kept Lead, removed string, err error) {
	leads, err := findLeadsByEmail(ctx, c, email)
	if err != nil {
		return Lead{}, "", fmt.Errorf("created lead %s, then the duplicate check failed: %w", id, err)
	}
	var mine *Lead
	for i := range leads {
		if sfid.Equal(leads[i].ID, id) {
			mine = &leads[i]
		}
	}
	if len(leads) == 0 || sfid.Equal(leads[0].ID, id) || mine == nil {
		if mine != nil {
			return *mine, "", nil
		}
		return Lead{ID: id, Email: email}, "", nil
	}
	if err := c.DeleteRecord(ctx, "Lead", id); err != nil {
		return Lead{}, "", fmt.Errorf("lead %s duplicates the older lead %s, and deleting it failed: %w", id, leads[0].ID, err)
	}
	return leads[0], id, nil
}

// mergeTargets are the account and contact a conversion merges into.
type mergeTargets struct {
	AccountID, ContactID string
}

// checkMergeTargets confirms that account_id and contact_id exist and that
// the contact belongs to the account; a contact alone brings its account.
func checkMergeTargets(ctx context.Context, c *salesforce.Client, accountID, contactID string) (mergeTargets, error) {
	var m mergeTargets
	if accountID != "" {
		id, _ := sfid.Normalize(accountID)
		if _, err := c.GetRecord(ctx, "Account", id, []string{"Id"}); err != nil {
			if salesforce.IsNotFound(err) {
				return m, inputErrorf("account_id", "no account has the id %s", accountID)
			}
			return m, err
		}
		m.AccountID = id
	}
	if contactID != "" {
		id, _ := sfid.Normalize(contactID)
		raw, err := c.GetRecord(ctx, "Contact", id, []string{"Id", "AccountId"})
		if err != nil {
			if salesforce.IsNotFound(err) {
				return m, inputErrorf("contact_id", "no contact has the id %s", contactID)
			}
			return m, err
		}
		var con struct{ AccountId string }
		_ = json.Unmarshal(raw, &con)
		switch {
		case con.AccountId == "":
			return m, inputErrorf("contact_id", "contact %s has no account; a lead can only merge into a contact of an account", id)
		case m.AccountID != "" && !sfid.Equal(con.AccountId, m.AccountID):
			return m, inputErrorf("contact_id", "contact %s belongs to account %s, not to account_id %s", id, con.AccountId, m.AccountID)
		}
		m.AccountID, m.ContactID = con.AccountId, id
	}
	return m, nil
}

type convertOutcome struct {
	salesforce.LeadConvertResult
	already *Lead // the lead turned out to be converted already
}

// convert converts lead through SOAP convertLead. Without merge targets it
// reuses, rather than duplicates, a contact with the lead's email (and its
// account) or else an account named exactly like the company.
func (s *LeadSyncer) convert(ctx context.Context, c *salesforce.Client, lead Lead, email, company, status string, m mergeTargets, withOpp bool) (convertOutcome, error) {
	if m.AccountID == "" && m.ContactID == "" {
		var err error
		if m, err = findMergeTargets(ctx, c, email, company); err != nil {
			return convertOutcome{}, err
		}
	} else if m.ContactID == "" {
		if id, err := contactInAccount(ctx, c, email, m.AccountID); err != nil {
			return convertOutcome{}, err
		} else if id != "" {
			m.ContactID = id
		}
	}
	lc := salesforce.LeadConvert{LeadID: lead.ID, ConvertedStatus: status, DoNotCreateOpportunity: !withOpp,
		AccountID: m.AccountID, ContactID: m.ContactID}
	res, err := c.ConvertLead(ctx, []salesforce.LeadConvert{lc})
	if err != nil {
		return convertOutcome{}, err
	}
	r := res[0]
	if !r.Success {
		if len(r.Errors) > 0 && r.Errors[0].ErrorCode == "CANNOT_UPDATE_CONVERTED_LEAD" {
			// Converted by someone else meanwhile: report it as it is now.
			leads, err := resolveLeads(ctx, c, lead.ID, "")
			if err == nil && leads[0].IsConverted {
				return convertOutcome{already: &leads[0]}, nil
			}
		}
		return convertOutcome{}, fmt.Errorf("convert lead %s: %w", lead.ID, r.Err())
	}
	return convertOutcome{LeadConvertResult: r}, nil
}

// findMergeTargets looks for an existing contact with email (which brings
// its account), else an account whose name is company.
func findMergeTargets(ctx context.Context, c *salesforce.Client, email, company string) (mergeTargets, error) {
	page, err := c.QueryFirstPage(ctx, "SELECT Id, AccountId, Email FROM Contact WHERE Email = "+salesforce.QuoteSOQL(email)+
		" AND AccountId != null ORDER BY CreatedDate, Id LIMIT 10", salesforce.QueryOptions{})
	if err != nil {
		return mergeTargets{}, err
	}
	for _, raw := range page.Records {
		var con struct{ Id, AccountId, Email string }
		if json.Unmarshal(raw, &con) == nil && strings.EqualFold(con.Email, email) && con.AccountId != "" {
			return mergeTargets{AccountID: con.AccountId, ContactID: con.Id}, nil
		}
	}
	if company == "" || company == DefaultLeadCompany {
		return mergeTargets{}, nil
	}
	page, err = c.QueryFirstPage(ctx, "SELECT Id, Name FROM Account WHERE Name = "+salesforce.QuoteSOQL(company)+
		" ORDER BY CreatedDate, Id LIMIT 10", salesforce.QueryOptions{})
	if err != nil {
		return mergeTargets{}, err
	}
	for _, raw := range page.Records {
		var acc struct{ Id, Name string }
		if json.Unmarshal(raw, &acc) == nil && strings.EqualFold(acc.Name, company) {
			return mergeTargets{AccountID: acc.Id}, nil
		}
	}
	return mergeTargets{}, nil
}

// contactInAccount finds a contact with email in the account, or "".
func contactInAccount(ctx context.Context, c *salesforce.Client, email, accountID string) (string, error) {
	page, err := c.QueryFirstPage(ctx, "SELECT Id, Email FROM Contact WHERE Email = "+salesforce.QuoteSOQL(email)+
		" AND AccountId = "+salesforce.QuoteSOQL(accountID)+" ORDER BY CreatedDate, Id LIMIT 10", salesforce.QueryOptions{})
	if err != nil {
		return "", err
	}
	for _, raw := range page.Records {
		var con struct{ Id, Email string }
		if json.Unmarshal(raw, &con) == nil && strings.EqualFold(con.Email, email) {
			return con.Id, nil
		}
	}
	return "", nil
}

// --- create, update, status ------------------------------------------------------

// CreateLead creates a lead, refusing an email another lead already has.
func (s *LeadSyncer) CreateLead(ctx context.Context, c *salesforce.Client, in CreateLeadInput) (SaveLeadOutput, error) {
	ctx = withCorrelation(ctx)
	out, err := s.createLead(ctx, c, in)
	return out, leadFail(ctx, err)
}

func (s *LeadSyncer) createLead(ctx context.Context, c *salesforce.Client, in CreateLeadInput) (SaveLeadOutput, error) {
	trimAll(&in.Email, &in.LastName, &in.FirstName, &in.Company, &in.Phone, &in.LeadSource, &in.Status)
	if err := in.Validate(); err != nil {
		return SaveLeadOutput{}, err
	}
	fields := leadFieldsInput{in.Email, in.LastName, in.FirstName, in.Company, in.Phone, in.LeadSource}
	body := fields.body()
	if in.Company == "" {
		body["Company"] = DefaultLeadCompany
	}
	var status string
	if in.Status != "" {
		var err error
		if status, err = s.plainStatus(ctx, c, "status", in.Status); err != nil {
			return SaveLeadOutput{}, err
		}
		body["Status"] = status
	}
	unlock, err := s.lock(ctx, c, normEmail(in.Email))
	if err != nil {
		return SaveLeadOutput{}, err
	}
	defer unlock()
	existing, err := findLeadsByEmail(ctx, c, in.Email)
	if err != nil {
		return SaveLeadOutput{}, err
	}
	if len(existing) > 0 {
		return SaveLeadOutput{}, &InputError{Field: "email", Use: "salesforce_sync_lead",
			Message: fmt.Sprintf("lead %s already has the email %s: update it", existing[0].ID, existing[0].Email)}
	}
	id, err := c.CreateRecord(ctx, "Lead", body)
	if err != nil {
		return SaveLeadOutput{}, err
	}
	kept, removed, err := settleDuplicates(ctx, c, in.Email, id)
	if err != nil {
		return SaveLeadOutput{}, err
	}
	if removed != "" {
		return SaveLeadOutput{}, inputErrorf("email", "lead %s was created with the email %s at the same time; the new lead %s was deleted", kept.ID, in.Email, removed)
	}
	return SaveLeadOutput{Success: true, Action: ActionCreated, LeadID: id, StatusSet: status, Message: "Created lead " + id}, nil
}

// UpdateLead changes fields of one lead.
func (s *LeadSyncer) UpdateLead(ctx context.Context, c *salesforce.Client, in UpdateLeadInput) (SaveLeadOutput, error) {
	ctx = withCorrelation(ctx)
	out, err := s.updateLead(ctx, c, in)
	return out, leadFail(ctx, err)
}

func (s *LeadSyncer) updateLead(ctx context.Context, c *salesforce.Client, in UpdateLeadInput) (SaveLeadOutput, error) {
	if err := in.Validate(); err != nil {
		return SaveLeadOutput{}, err
	}
	data := make(map[string]any, len(in.Fields))
	var status string
	for k, v := range in.Fields {
		if strings.EqualFold(k, "Status") {
			sv, ok := v.(string)
			if !ok {
				return SaveLeadOutput{}, inputErrorf("fields", "Status must be a string")
			}
			var err error
			if status, err = s.plainStatus(ctx, c, "fields.Status", sv); err != nil {
				return SaveLeadOutput{}, err
			}
			v = status
		}
		if sv, ok := v.(string); ok && strings.EqualFold(k, "Email") {
			v = strings.TrimSpace(sv)
		}
		data[k] = v
	}
	lead, unlock, err := s.lockLead(ctx, c, in.LeadID, in.Email)
	if err != nil {
		return SaveLeadOutput{}, err
	}
	defer unlock()
	if lead.IsConverted {
		return SaveLeadOutput{}, convertedLeadError(lead)
	}
	if err := c.UpdateRecord(ctx, "Lead", lead.ID, data); err != nil {
		return SaveLeadOutput{}, err
	}
	return SaveLeadOutput{Success: true, Action: ActionUpdated, LeadID: lead.ID, StatusSet: status, Message: "Updated lead " + lead.ID}, nil
}

func convertedLeadError(l Lead) error {
	msg := fmt.Sprintf("lead %s is converted (account %s, contact %s) and can no longer be changed", l.ID, l.ConvertedAccountID, l.ConvertedContactID)
	return &salesforce.APIError{StatusCode: 400, ErrorCode: "CANNOT_UPDATE_CONVERTED_LEAD", Message: msg,
		Errors: []salesforce.ErrorDetail{{ErrorCode: "CANNOT_UPDATE_CONVERTED_LEAD", Message: msg}}}
}

// lockLead resolves the lead named by id or email and holds its email's
// lock; it reads the lead again under the lock.
func (s *LeadSyncer) lockLead(ctx context.Context, c *salesforce.Client, leadID, email string) (Lead, func(), error) {
	leads, err := resolveLeads(ctx, c, leadID, email)
	if err != nil {
		return Lead{}, nil, err
	}
	key := normEmail(leads[0].Email)
	if key == "" {
		key = "id:" + leads[0].ID
	}
	unlock, err := s.lock(ctx, c, key)
	if err != nil {
		return Lead{}, nil, err
	}
	fresh, err := resolveLeads(ctx, c, leads[0].ID, "")
	if err != nil {
		unlock()
		return Lead{}, nil, err
	}
	return fresh[0], unlock, nil
}

// UpdateLeadStatus sets a lead's status: scheduled converts, objected sets
// the not-converted status, other picklist values are set as they are.
func (s *LeadSyncer) UpdateLeadStatus(ctx context.Context, c *salesforce.Client, in UpdateLeadStatusInput) (SaveLeadOutput, error) {
	ctx = withCorrelation(ctx)
	out, err := s.updateLeadStatus(ctx, c, in)
	return out, leadFail(ctx, err)
}

func (s *LeadSyncer) updateLeadStatus(ctx context.Context, c *salesforce.Client, in UpdateLeadStatusInput) (SaveLeadOutput, error) {
	if err := in.Validate(); err != nil {
		return SaveLeadOutput{}, err
	}
	kind := strings.ToLower(strings.TrimSpace(in.Status))
	var target string
	var err error
	switch kind {
	case LeadStatusScheduled:
		target, err = s.convertedStatus(ctx, c)
	case LeadStatusObjected:
		target, err = s.notConvertedStatus(ctx, c)
	default:
		target, err = s.plainStatus(ctx, c, "status", in.Status)
	}
	if err != nil {
		return SaveLeadOutput{}, err
	}
	lead, unlock, err := s.lockLead(ctx, c, in.LeadID, in.Email)
	if err != nil {
		return SaveLeadOutput{}, err
	}
	defer unlock()
	out := SaveLeadOutput{Success: true, LeadID: lead.ID}
	if lead.IsConverted {
		if kind != LeadStatusScheduled {
			return SaveLeadOutput{}, convertedLeadError(lead)
		}
		out.Action = ActionAlreadyConverted
		out.AccountID, out.ContactID, out.OpportunityID = lead.ConvertedAccountID, lead.ConvertedContactID, lead.ConvertedOpportunityID
		out.Message = "Lead " + lead.ID + " was already converted; nothing was written"
		return out, nil
	}
	if kind == LeadStatusScheduled {
		res, err := s.convert(ctx, c, lead, lead.Email, lead.Company, target, mergeTargets{}, false)
		if err != nil {
			return SaveLeadOutput{}, err
		}
		if res.already != nil {
			out.Action = ActionAlreadyConverted
			out.AccountID, out.ContactID, out.OpportunityID = res.already.ConvertedAccountID, res.already.ConvertedContactID, res.already.ConvertedOpportunityID
			out.Message = "Lead " + lead.ID + " was already converted; nothing was written"
			return out, nil
		}
		out.Action, out.StatusSet = ActionConverted, target
		out.AccountID, out.ContactID, out.OpportunityID = res.AccountID, res.ContactID, res.OpportunityID
		out.Message = "Converted lead " + lead.ID
		return out, nil
	}
	if lead.Status == target {
		out.Action = ActionUnchanged
		out.Message = "Lead " + lead.ID + " already has status " + target + "; nothing was written"
		return out, nil
	}
	if err := c.UpdateRecord(ctx, "Lead", lead.ID, map[string]any{"Status": target}); err != nil {
		return SaveLeadOutput{}, err
	}
	out.Action, out.StatusSet = ActionStatusSet, target
	out.Message = "Set the status of lead " + lead.ID + " to " + target
	return out, nil
}
