package ops

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// ToolsetLeads holds the lead-sync server's tools.
const ToolsetLeads Toolset = "leads"

// Lead statuses of the lead-sync contract: "scheduled" converts the lead,
// "objected" only sets its status.
const (
	LeadStatusScheduled = "scheduled"
	LeadStatusObjected  = "objected"
)

// DefaultLeadCompany is the Company a lead gets when none is given: the
// field is required, and the lead-sync server used this value.
const DefaultLeadCompany = "[not provided]"

// Lead list bounds.
const (
	DefaultLeadLimit = 50
	MaxLeadLimit     = 200
)

// Lead is a lead as the lead tools return it.
type Lead struct {
	ID                     string `json:"Id"`
	FirstName              string `json:"FirstName,omitempty"`
	LastName               string `json:"LastName"`
	Email                  string `json:"Email,omitempty"`
	Company                string `json:"Company,omitempty"`
	Phone                  string `json:"Phone,omitempty"`
	LeadSource             string `json:"LeadSource,omitempty"`
	Status                 string `json:"Status"`
	IsConverted            bool   `json:"IsConverted"`
	ConvertedAccountID     string `json:"ConvertedAccountId,omitempty"`
	ConvertedContactID     string `json:"ConvertedContactId,omitempty"`
	ConvertedOpportunityID string `json:"ConvertedOpportunityId,omitempty"`
	CreatedDate            string `json:"CreatedDate,omitempty"`
	LastModifiedDate       string `json:"LastModifiedDate,omitempty"`
	// HiddenFields names the fields this server hides (--deny-fields);
	// their values above are left empty.
	HiddenFields []string `json:"hidden_fields,omitempty"`
}

// leadFields is the SELECT list that fills a Lead.
const leadFields = "Id, FirstName, LastName, Email, Company, Phone, LeadSource, Status, IsConverted, " +
	"ConvertedAccountId, ConvertedContactId, ConvertedOpportunityId, CreatedDate, LastModifiedDate"

// --- validation ------------------------------------------------------------

// emailForbidden are characters an unquoted address cannot hold; quoted
// local parts are refused as a whole (Salesforce rejects most of them).
const emailForbidden = "\"\\(),:;<>[] "

// checkEmail accepts one plain address (name@domain.tld). Quotes in the
// local part (o'brien@...), %, _, + and non-ASCII letters are fine; double
// quotes, backslashes, spaces, control characters and a missing or second
// @ are not.
func checkEmail(field, v string) error {
	switch {
	case v == "":
		return inputErrorf(field, "is required")
	case !utf8.ValidString(v):
		return inputErrorf(field, "is not valid UTF-8")
	case utf8.RuneCountInString(v) > 80:
		return inputErrorf(field, "is longer than 80 characters")
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return inputErrorf(field, "%q contains whitespace or a control character", clip(v, 60))
		}
		if strings.ContainsRune(emailForbidden, r) {
			return inputErrorf(field, "%q contains %q, which an email address cannot hold unquoted", clip(v, 60), r)
		}
	}
	local, domain, ok := strings.Cut(v, "@")
	if !ok {
		return inputErrorf(field, "%q has no @: want an address like name@example.com", clip(v, 60))
	}
	if strings.Contains(domain, "@") {
		return inputErrorf(field, "%q has more than one @", clip(v, 60))
	}
	if local == "" || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return inputErrorf(field, "%q has an empty or malformed part before the @", clip(v, 60))
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return inputErrorf(field, "%q: the domain needs a dot (example.com)", clip(v, 60))
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return inputErrorf(field, "%q has a malformed domain", clip(v, 60))
		}
		for _, r := range l {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
				return inputErrorf(field, "%q has a malformed domain", clip(v, 60))
			}
		}
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		return inputErrorf(field, "%q is not a valid email address", clip(v, 60))
	}
	return nil
}

// normEmail is the key leads are matched and locked by: Salesforce
// compares emails without regard to case.
func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// objectNames names the usual key prefixes, for messages about wrong ids.
var objectNames = map[string]string{"001": "an Account", "003": "a Contact", "005": "a User", "006": "an Opportunity",
	"00D": "an Organization", "500": "a Case", "701": "a Campaign", "00Q": "a Lead"}

// checkIDOf checks that v is an id of the object with key prefix want.
func checkIDOf(field, v, want string) error {
	if err := checkID(field, v); err != nil {
		return err
	}
	if p := sfid.Prefix(strings.TrimSpace(v)); p != want {
		what := objectNames[p]
		if what == "" {
			what = "an id of another object"
		}
		return inputErrorf(field, "%s is %s id (prefix %s), not %s id (%s)", clip(v, 40), what, p, objectNames[want], want)
	}
	return nil
}

func checkLeadID(field, v string) error { return checkIDOf(field, v, "00Q") }

func checkText(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return inputErrorf(field, "is required")
	case !utf8.ValidString(v):
		return inputErrorf(field, "is not valid UTF-8")
	case utf8.RuneCountInString(v) > max:
		return inputErrorf(field, "is longer than %d characters", max)
	}
	return nil
}

// leadFieldsInput is what sync and create share.
type leadFieldsInput struct {
	Email, LastName, FirstName, Company, Phone, LeadSource string
}

func (f leadFieldsInput) validate() error {
	if err := checkEmail("email", f.Email); err != nil {
		return err
	}
	for _, c := range []struct {
		field, v string
		max      int
		required bool
	}{{"last_name", f.LastName, 80, true}, {"first_name", f.FirstName, 40, false}, {"company", f.Company, 255, false},
		{"phone", f.Phone, 40, false}, {"lead_source", f.LeadSource, 255, false}} {
		if err := checkText(c.field, c.v, c.max, c.required); err != nil {
			return err
		}
	}
	return nil
}

// body is the Lead record for the given fields; empty ones are left out.
func (f leadFieldsInput) body() map[string]any {
	b := map[string]any{"Email": f.Email, "LastName": f.LastName}
	for k, v := range map[string]string{"FirstName": f.FirstName, "Company": f.Company, "Phone": f.Phone, "LeadSource": f.LeadSource} {
		if v != "" {
			b[k] = v
		}
	}
	return b
}

func trimAll(ps ...*string) {
	for _, p := range ps {
		*p = strings.TrimSpace(*p)
	}
}

// --- sync ------------------------------------------------------------------

// SyncLeadInput is the input of salesforce_sync_lead.
type SyncLeadInput struct {
	Email             string `json:"email" jsonschema:"description=The lead's email address; leads are matched by it without regard to case"`
	LastName          string `json:"last_name" jsonschema:"description=The lead's last name"`
	FirstName         string `json:"first_name,omitempty" jsonschema:"description=The lead's first name"`
	Company           string `json:"company,omitempty" jsonschema:"description=The lead's company (default [not provided] for a new lead)"`
	Phone             string `json:"phone,omitempty" jsonschema:"description=The lead's phone number"`
	LeadSource        string `json:"lead_source,omitempty" jsonschema:"description=Where the lead came from; for example Web"`
	Status            string `json:"status,omitempty" jsonschema:"description=scheduled converts the lead into an account and contact; objected sets its not-converted status; empty leaves the status alone"`
	AccountID         string `json:"account_id,omitempty" jsonschema:"description=On conversion: merge into this existing account instead of finding or creating one"`
	ContactID         string `json:"contact_id,omitempty" jsonschema:"description=On conversion: merge into this existing contact (it must belong to account_id when both are given)"`
	CreateOpportunity bool   `json:"create_opportunity,omitempty" jsonschema:"description=On conversion: also create an opportunity (default false)"`
}

func (in *SyncLeadInput) normalize() {
	trimAll(&in.Email, &in.LastName, &in.FirstName, &in.Company, &in.Phone, &in.LeadSource, &in.Status, &in.AccountID, &in.ContactID)
	in.Status = strings.ToLower(in.Status)
}

// Validate checks the input.
func (in SyncLeadInput) Validate() error {
	in.normalize()
	if err := (leadFieldsInput{in.Email, in.LastName, in.FirstName, in.Company, in.Phone, in.LeadSource}).validate(); err != nil {
		return err
	}
	switch in.Status {
	case "", LeadStatusScheduled, LeadStatusObjected:
	default:
		return inputErrorf("status", "%q is not a sync status: use scheduled (convert the lead) or objected", clip(in.Status, 40))
	}
	if in.AccountID != "" {
		if err := checkIDOf("account_id", in.AccountID, "001"); err != nil {
			return err
		}
	}
	if in.ContactID != "" {
		if err := checkIDOf("contact_id", in.ContactID, "003"); err != nil {
			return err
		}
	}
	if in.Status != LeadStatusScheduled && (in.AccountID != "" || in.ContactID != "" || in.CreateOpportunity) {
		return inputErrorf("status", "account_id, contact_id and create_opportunity apply only to status scheduled")
	}
	return nil
}

// Sync actions.
const (
	ActionCreated          = "created"
	ActionUpdated          = "updated"
	ActionUnchanged        = "unchanged"
	ActionConverted        = "converted"
	ActionAlreadyConverted = "already_converted"
	ActionStatusSet        = "status_set"
	ActionDeleted          = "deleted"
)

// SyncLeadOutput says what a sync did.
type SyncLeadOutput struct {
	Success bool `json:"success"`
	// Action is created, updated, unchanged, converted or already_converted.
	Action string `json:"action"`
	LeadID string `json:"lead_id"`
	// Changed lists the lead fields the sync wrote.
	Changed []string `json:"changed,omitempty"`
	// StatusSet is the Status the sync gave the lead, if it set one.
	StatusSet     string `json:"status_set,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
	ContactID     string `json:"contact_id,omitempty"`
	OpportunityID string `json:"opportunity_id,omitempty"`
	// DuplicateRemoved is a lead this sync created and then deleted because
	// another process had created one for the same email first.
	DuplicateRemoved string `json:"duplicate_removed,omitempty"`
	// OtherLeadIDs are further leads with the same email (the oldest is used).
	OtherLeadIDs []string `json:"other_lead_ids,omitempty"`
	Message      string   `json:"message"`
}

// syncLeadDescription is the tool description and the command's help.
const syncLeadDescription = `Create or update the lead with this email, then apply the status: scheduled converts it (into an existing account or contact when given or found by company name or email; an opportunity only with create_opportunity) and objected sets its not-converted status. Idempotent: a repeated sync reports unchanged or already_converted and writes nothing. A converted lead is reported with its account/contact/opportunity ids and never changed. Syncs of one email are serialized within one sfmcp process; across processes a create is followed by a duplicate check that keeps the oldest lead and deletes the one it created.`

// SyncLeadOp declares salesforce_sync_lead. s serializes syncs per email
// within the process; nil gives each call a syncer of its own (then only
// the duplicate check guards concurrent syncs).
func SyncLeadOp(s *LeadSyncer) Operation[SyncLeadInput, SyncLeadOutput] {
	return Operation[SyncLeadInput, SyncLeadOutput]{Meta: Meta{
		Name:        "salesforce_sync_lead",
		Title:       "Sync a lead by email",
		Description: syncLeadDescription,
		ReadOnly:    false, Destructive: false, Idempotent: true, OpenWorld: true, Toolset: ToolsetLeads,
	}, Run: s.orNew().SyncLead}
}

// --- list ------------------------------------------------------------------

// ListLeadsInput is the input of salesforce_list_leads.
type ListLeadsInput struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"description=The most leads to return (1 to 200; default 50)"`
	Status string `json:"status,omitempty" jsonschema:"description=Only leads with this Status (a Lead.Status value such as Open - Not Contacted)"`
	Email  string `json:"email,omitempty" jsonschema:"description=Only the leads with this email (exact match without regard to case)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"description=The next_cursor of an earlier salesforce_list_leads result to continue from"`
}

// Validate checks the input.
func (in ListLeadsInput) Validate() error {
	if in.Limit < 0 || in.Limit > MaxLeadLimit {
		return inputErrorf("limit", "%d is outside 1..%d", in.Limit, MaxLeadLimit)
	}
	if strings.TrimSpace(in.Email) != "" {
		if err := checkEmail("email", strings.TrimSpace(in.Email)); err != nil {
			return err
		}
	}
	if err := checkText("status", in.Status, 255, false); err != nil {
		return err
	}
	if strings.TrimSpace(in.Cursor) != "" {
		if _, err := parseLeadCursor(in); err != nil {
			return err
		}
	}
	return nil
}

// ListLeadsOutput is one page of leads.
type ListLeadsOutput struct {
	Success bool   `json:"success"`
	Count   int    `json:"count"`
	Leads   []Lead `json:"leads"`
	// NextCursor continues the list in salesforce_list_leads; empty at the end.
	NextCursor string `json:"next_cursor,omitempty"`
}

// leadCursor is what a list cursor holds: the last id returned, the filters
// it was issued for and the instanceTag of the org that issued it (ListLeads
// refuses it elsewhere: another org's leads sort differently). It names no
// URL, so it cannot send a call anywhere but the org's query endpoint.
type leadCursor struct {
	After    string `json:"a"`
	Status   string `json:"s,omitempty"`
	Email    string `json:"e,omitempty"`
	Instance string `json:"i"`
}

func (c leadCursor) encode() string {
	b, _ := json.Marshal(c)
	return "lc1." + base64.RawURLEncoding.EncodeToString(b)
}

func parseLeadCursor(in ListLeadsInput) (leadCursor, error) {
	bad := inputErrorf("cursor", "is not a cursor from an earlier list of leads")
	s, ok := strings.CutPrefix(strings.TrimSpace(in.Cursor), "lc1.")
	if !ok {
		return leadCursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return leadCursor{}, bad
	}
	var c leadCursor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || checkLeadID("cursor", c.After) != nil || c.Instance == "" {
		return leadCursor{}, bad
	}
	if (in.Status != "" && in.Status != c.Status) || (in.Email != "" && normEmail(in.Email) != c.Email) {
		return leadCursor{}, inputErrorf("cursor", "was issued for other status or email filters; repeat them or leave them out")
	}
	return c, nil
}

// ListLeadsOp declares salesforce_list_leads.
func ListLeadsOp() Operation[ListLeadsInput, ListLeadsOutput] {
	return Operation[ListLeadsInput, ListLeadsOutput]{Meta: Meta{
		Name:        "salesforce_list_leads",
		Title:       "List leads",
		Description: "List leads in id order (at most 200 per call; default 50); filter by status or email; pass next_cursor as cursor for more.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetLeads,
	}, Run: ListLeads}
}

// ListLeads returns one page of leads.
func ListLeads(ctx context.Context, c *salesforce.Client, in ListLeadsInput) (ListLeadsOutput, error) {
	ctx = withCorrelation(ctx)
	if err := in.Validate(); err != nil {
		return ListLeadsOutput{}, leadFail(ctx, err)
	}
	cur := leadCursor{Status: strings.TrimSpace(in.Status), Email: normEmail(in.Email)}
	if strings.TrimSpace(in.Cursor) != "" {
		cur, _ = parseLeadCursor(in)
		if cur.Instance != instanceTag(c.InstanceURL()) {
			return ListLeadsOutput{}, leadFail(ctx, errForeignCursor("cursor"))
		}
	}
	limit := in.Limit
	if limit == 0 {
		limit = DefaultLeadLimit
	}
	var where []string
	if cur.Status != "" {
		where = append(where, "Status = "+salesforce.QuoteSOQL(cur.Status))
	}
	if cur.Email != "" {
		where = append(where, "Email = "+salesforce.QuoteSOQL(cur.Email))
	}
	if cur.After != "" {
		where = append(where, "Id > "+salesforce.QuoteSOQL(cur.After))
	}
	soql := "SELECT " + leadFields + " FROM Lead"
	if len(where) > 0 {
		soql += " WHERE " + strings.Join(where, " AND ")
	}
	soql += fmt.Sprintf(" ORDER BY Id LIMIT %d", limit+1)
	leads, err := queryLeads(ctx, c, soql)
	if err != nil {
		return ListLeadsOutput{}, leadFail(ctx, err)
	}
	if leads == nil {
		leads = []Lead{}
	}
	out := ListLeadsOutput{Success: true, Leads: leads}
	if len(leads) > limit {
		out.Leads = leads[:limit]
		next := cur
		next.After, next.Instance = leads[limit-1].ID, instanceTag(c.InstanceURL())
		out.NextCursor = next.encode()
	}
	out.Count = len(out.Leads)
	hideLeadFields(ctx, out.Leads)
	return out, nil
}

// queryLeads runs a query whose rows are leads. Callers LIMIT the query
// (to at most a few hundred rows); every page of it is read.
func queryLeads(ctx context.Context, c *salesforce.Client, soql string) ([]Lead, error) {
	page, err := c.QueryFirstPage(ctx, soql, salesforce.QueryOptions{})
	var out []Lead
	for {
		if err != nil {
			return nil, err
		}
		for _, raw := range page.Records {
			var l Lead
			if err := json.Unmarshal(raw, &l); err != nil {
				return nil, fmt.Errorf("decode lead: %w", err)
			}
			out = append(out, l)
		}
		if page.NextRecordsURL == "" || len(out) > MaxLeadLimit {
			return out, nil
		}
		page, err = c.QueryMore(ctx, page.NextRecordsURL)
	}
}

// findLeadsByEmail returns the leads whose email equals email (without
// regard to case), oldest first. The value is quoted with QuoteSOQL and
// compared with =, never LIKE, so no character in it is a wildcard.
func findLeadsByEmail(ctx context.Context, c *salesforce.Client, email string) ([]Lead, error) {
	leads, err := queryLeads(ctx, c, "SELECT "+leadFields+" FROM Lead WHERE Email = "+salesforce.QuoteSOQL(email)+
		" ORDER BY CreatedDate, Id LIMIT 200")
	if err != nil {
		return nil, err
	}
	out := leads[:0]
	for _, l := range leads {
		if strings.EqualFold(l.Email, email) {
			out = append(out, l)
		}
	}
	return out, nil
}

// --- get -------------------------------------------------------------------

// GetLeadInput is the input of salesforce_get_lead.
type GetLeadInput struct {
	Email  string `json:"email,omitempty" jsonschema:"description=The lead's email (give this or lead_id)"`
	LeadID string `json:"lead_id,omitempty" jsonschema:"description=The lead's 15- or 18-character id (give this or email)"`
}

// Validate checks the input.
func (in GetLeadInput) Validate() error { return checkLeadRef(in.LeadID, in.Email) }

// checkLeadRef checks a "lead_id | email" pair: exactly one, well formed.
func checkLeadRef(leadID, email string) error {
	leadID, email = strings.TrimSpace(leadID), strings.TrimSpace(email)
	switch {
	case leadID == "" && email == "":
		return inputErrorf("lead_id", "give lead_id or email")
	case leadID != "" && email != "":
		return inputErrorf("lead_id", "give lead_id or email, not both")
	case leadID != "":
		return checkLeadID("lead_id", leadID)
	}
	return checkEmail("email", email)
}

// GetLeadOutput is one lead.
type GetLeadOutput struct {
	Success bool `json:"success"`
	Lead    Lead `json:"lead"`
	// OtherLeadIDs are further leads with the same email (Lead is the oldest).
	OtherLeadIDs []string `json:"other_lead_ids,omitempty"`
}

// GetLeadOp declares salesforce_get_lead.
func GetLeadOp() Operation[GetLeadInput, GetLeadOutput] {
	return Operation[GetLeadInput, GetLeadOutput]{Meta: Meta{
		Name:        "salesforce_get_lead",
		Title:       "Get a lead",
		Description: "Get one lead by email (exact match without regard to case; the oldest if several) or by lead_id.",
		ReadOnly:    true, Idempotent: true, OpenWorld: true, Toolset: ToolsetLeads,
	}, Run: GetLead}
}

// GetLead reads one lead.
func GetLead(ctx context.Context, c *salesforce.Client, in GetLeadInput) (GetLeadOutput, error) {
	ctx = withCorrelation(ctx)
	if err := in.Validate(); err != nil {
		return GetLeadOutput{}, leadFail(ctx, err)
	}
	leads, err := resolveLeads(ctx, c, in.LeadID, in.Email)
	if err != nil {
		return GetLeadOutput{}, leadFail(ctx, err)
	}
	hideLeadFields(ctx, leads[:1])
	out := GetLeadOutput{Success: true, Lead: leads[0]}
	for _, l := range leads[1:] {
		out.OtherLeadIDs = append(out.OtherLeadIDs, l.ID)
	}
	return out, nil
}

// resolveLeads finds the lead named by id or email: NOT_FOUND if none,
// oldest first if several share the email.
func resolveLeads(ctx context.Context, c *salesforce.Client, leadID, email string) ([]Lead, error) {
	var leads []Lead
	var err error
	if id := strings.TrimSpace(leadID); id != "" {
		nid, nerr := sfid.Normalize(id)
		if nerr != nil {
			return nil, inputErrorf("lead_id", "%s", nerr.Error())
		}
		leads, err = queryLeads(ctx, c, "SELECT "+leadFields+" FROM Lead WHERE Id = "+salesforce.QuoteSOQL(nid))
	} else {
		leads, err = findLeadsByEmail(ctx, c, strings.TrimSpace(email))
	}
	if err != nil {
		return nil, err
	}
	if len(leads) == 0 {
		what := "with id " + strings.TrimSpace(leadID)
		if leadID == "" {
			what = "with email " + strings.TrimSpace(email)
		}
		return nil, &salesforce.APIError{StatusCode: 404, ErrorCode: "NOT_FOUND", Message: "No lead " + what,
			Errors: []salesforce.ErrorDetail{{ErrorCode: "NOT_FOUND", Message: "No lead " + what}}}
	}
	return leads, nil
}

// --- create ----------------------------------------------------------------

// CreateLeadInput is the input of salesforce_create_lead.
type CreateLeadInput struct {
	Email      string `json:"email" jsonschema:"description=The lead's email address (no other lead may have it)"`
	LastName   string `json:"last_name" jsonschema:"description=The lead's last name"`
	FirstName  string `json:"first_name,omitempty" jsonschema:"description=The lead's first name"`
	Company    string `json:"company,omitempty" jsonschema:"description=The lead's company (default [not provided])"`
	Phone      string `json:"phone,omitempty" jsonschema:"description=The lead's phone number"`
	LeadSource string `json:"lead_source,omitempty" jsonschema:"description=Where the lead came from; for example Web"`
	Status     string `json:"status,omitempty" jsonschema:"description=A Lead.Status value of the org (default: the org's default status)"`
}

// Validate checks the input.
func (in CreateLeadInput) Validate() error {
	trimAll(&in.Email, &in.LastName, &in.FirstName, &in.Company, &in.Phone, &in.LeadSource, &in.Status)
	if err := (leadFieldsInput{in.Email, in.LastName, in.FirstName, in.Company, in.Phone, in.LeadSource}).validate(); err != nil {
		return err
	}
	return checkText("status", in.Status, 255, false)
}

// SaveLeadOutput says which lead a create, update, delete or status change wrote.
type SaveLeadOutput struct {
	Success bool   `json:"success"`
	Action  string `json:"action"`
	LeadID  string `json:"lead_id"`
	// StatusSet is the Status given to the lead, if any.
	StatusSet     string `json:"status_set,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
	ContactID     string `json:"contact_id,omitempty"`
	OpportunityID string `json:"opportunity_id,omitempty"`
	Message       string `json:"message"`
}

// CreateLeadOp declares salesforce_create_lead.
func CreateLeadOp(s *LeadSyncer) Operation[CreateLeadInput, SaveLeadOutput] {
	return Operation[CreateLeadInput, SaveLeadOutput]{Meta: Meta{
		Name:        "salesforce_create_lead",
		Title:       "Create a lead",
		Description: "Create a lead; refused when a lead with the same email exists (use salesforce_sync_lead to create or update).",
		ReadOnly:    false, Destructive: false, Idempotent: false, OpenWorld: true, Toolset: ToolsetLeads,
	}, Run: s.orNew().CreateLead}
}

// --- update ----------------------------------------------------------------

// UpdateLeadInput is the input of salesforce_update_lead.
type UpdateLeadInput struct {
	LeadID string         `json:"lead_id,omitempty" jsonschema:"description=The lead's id (give this or email)"`
	Email  string         `json:"email,omitempty" jsonschema:"description=The lead's email (give this or lead_id)"`
	Fields map[string]any `json:"fields" jsonschema:"description=Lead fields to change by API name (for example Phone or Status); null clears a field"`
}

// Validate checks the input.
func (in UpdateLeadInput) Validate() error {
	if err := checkLeadRef(in.LeadID, in.Email); err != nil {
		return err
	}
	if len(in.Fields) == 0 {
		return inputErrorf("fields", "needs at least one field")
	}
	for k, v := range in.Fields {
		if err := checkName("fields", k); err != nil {
			return err
		}
		switch strings.ToLower(k) {
		case "id", "isconverted", "convertedaccountid", "convertedcontactid", "convertedopportunityid", "converteddate":
			return inputErrorf("fields", "%s cannot be set; to convert a lead use status scheduled", k)
		case "email":
			s, ok := v.(string)
			if !ok {
				return inputErrorf("fields", "Email must be a string")
			}
			if err := checkEmail("fields.Email", strings.TrimSpace(s)); err != nil {
				return err
			}
		case "lastname":
			if s, _ := v.(string); strings.TrimSpace(s) == "" {
				return inputErrorf("fields", "LastName cannot be empty")
			}
		}
	}
	return nil
}

// UpdateLeadOp declares salesforce_update_lead.
func UpdateLeadOp(s *LeadSyncer) Operation[UpdateLeadInput, SaveLeadOutput] {
	return Operation[UpdateLeadInput, SaveLeadOutput]{Meta: Meta{
		Name:        "salesforce_update_lead",
		Title:       "Update a lead",
		Description: "Change fields of a lead named by lead_id or email. A Status must be one of the org's Lead.Status values; converted leads cannot be changed.",
		ReadOnly:    false, Destructive: true, Idempotent: true, OpenWorld: true, Toolset: ToolsetLeads,
	}, Run: s.orNew().UpdateLead}
}

// --- delete ----------------------------------------------------------------

// DeleteLeadInput is the input of salesforce_delete_lead.
type DeleteLeadInput struct {
	LeadID string `json:"lead_id" jsonschema:"description=The id of the lead to delete"`
}

// Validate checks the input.
func (in DeleteLeadInput) Validate() error {
	return checkLeadID("lead_id", strings.TrimSpace(in.LeadID))
}

// DeleteLeadOp declares salesforce_delete_lead.
func DeleteLeadOp() Operation[DeleteLeadInput, SaveLeadOutput] {
	return Operation[DeleteLeadInput, SaveLeadOutput]{Meta: Meta{
		Name:        "salesforce_delete_lead",
		Title:       "Delete a lead",
		Description: "Delete one lead by id (it goes to the recycle bin).",
		ReadOnly:    false, Destructive: true, Idempotent: false, OpenWorld: true, Toolset: ToolsetLeads,
	}, Run: DeleteLead}
}

// DeleteLead deletes one lead.
func DeleteLead(ctx context.Context, c *salesforce.Client, in DeleteLeadInput) (SaveLeadOutput, error) {
	ctx = withCorrelation(ctx)
	if err := in.Validate(); err != nil {
		return SaveLeadOutput{}, leadFail(ctx, err)
	}
	id, _ := sfid.Normalize(strings.TrimSpace(in.LeadID))
	if err := c.DeleteRecord(ctx, "Lead", id); err != nil {
		return SaveLeadOutput{}, leadFail(ctx, err)
	}
	return SaveLeadOutput{Success: true, Action: ActionDeleted, LeadID: id, Message: "Lead " + id + " deleted"}, nil
}

// --- status ----------------------------------------------------------------

// UpdateLeadStatusInput is the input of salesforce_update_lead_status.
type UpdateLeadStatusInput struct {
	Status string `json:"status" jsonschema:"description=scheduled converts the lead; objected sets its not-converted status; any other Lead.Status value of the org is set as is"`
	LeadID string `json:"lead_id,omitempty" jsonschema:"description=The lead's id (give this or email)"`
	Email  string `json:"email,omitempty" jsonschema:"description=The lead's email (give this or lead_id)"`
}

// Validate checks the input.
func (in UpdateLeadStatusInput) Validate() error {
	if err := checkText("status", in.Status, 255, true); err != nil {
		return err
	}
	return checkLeadRef(in.LeadID, in.Email)
}

// UpdateLeadStatusOp declares salesforce_update_lead_status.
func UpdateLeadStatusOp(s *LeadSyncer) Operation[UpdateLeadStatusInput, SaveLeadOutput] {
	return Operation[UpdateLeadStatusInput, SaveLeadOutput]{Meta: Meta{
		Name:        "salesforce_update_lead_status",
		Title:       "Set a lead's status",
		Description: "Set a lead's status: scheduled converts it (an already converted lead is reported with its ids); objected sets the not-converted status; other Lead.Status values are set as is.",
		ReadOnly:    false, Destructive: false, Idempotent: true, OpenWorld: true, Toolset: ToolsetLeads,
	}, Run: s.orNew().UpdateLeadStatus}
}

// LeadEntries lists the lead operations bound to s, in catalogue order.
func LeadEntries(s *LeadSyncer) []Entry {
	return []Entry{
		SyncLeadOp(s).Entry(),
		ListLeadsOp().Entry(),
		GetLeadOp().Entry(),
		CreateLeadOp(s).Entry(),
		UpdateLeadOp(s).Entry(),
		DeleteLeadOp().Entry(),
		UpdateLeadStatusOp(s).Entry(),
	}
}

// Bind returns entries with the lead operations bound to s, so that a
// server's calls share s's per-email locks and status cache.
func (s *LeadSyncer) Bind(entries []Entry) []Entry {
	bound := map[string]Entry{}
	for _, e := range LeadEntries(s) {
		bound[e.Meta.Name] = e
	}
	out := make([]Entry, len(entries))
	for i, e := range entries {
		if b, ok := bound[e.Meta.Name]; ok {
			e = b
		}
		out[i] = e
	}
	return out
}
