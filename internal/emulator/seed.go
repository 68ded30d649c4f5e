package emulator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/store"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// The sample org is built from a fixed random seed and a fixed calendar, so
// every emulator starts with exactly the same records and ids.
var seedEpoch = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// SampleSizes says how many records of each kind the sample org has.
var SampleSizes = struct{ Users, Accounts, Contacts, Leads, Opportunities, Cases, Invoices int }{
	Users: 6, Accounts: 250, Contacts: 500, Leads: 300, Opportunities: 200, Cases: 60, Invoices: 80,
}

// LeadStatuses are the org's lead statuses, in order; the one with
// IsConverted is what a conversion sets. The converted one has been
// relabelled, as an admin can in Setup: its MasterLabel ("Converted") is
// no longer its API name ("Closed - Converted"), the value Lead.Status
// holds, so a client that takes one for the other is caught. (The recorded
// Lead describe keeps the picklist's original labels.)
// A new slice each call: callers cannot change the org's seed.
func LeadStatuses() []LeadStatus {
	return []LeadStatus{
		{Value: "Open - Not Contacted", Default: true},
		{Value: "Working - Contacted"},
		{Value: "Closed - Converted", Label: "Converted", Converted: true},
		{Value: "Closed - Not Converted"},
	}
}

// LeadStatus is one lead status of the emulator's org.
type LeadStatus struct {
	// Value is the API name (LeadStatus.ApiName): what Lead.Status holds.
	Value string
	// Label is the MasterLabel; "" means the same as Value.
	Label     string
	Default   bool
	Converted bool
}

// MasterLabel is the status's label: Label, or Value when it has none.
func (s LeadStatus) MasterLabel() string {
	if s.Label == "" {
		return s.Value
	}
	return s.Label
}

func seedOrg(ctx context.Context, o *Org, tx *store.Tx) error {
	rng := rand.New(rand.NewPCG(20261121, 42))
	clock := seedEpoch
	realNow := o.now
	o.now = func() time.Time { return clock }
	defer func() { o.now = realNow }()
	tick := func() { clock = clock.Add(time.Duration(20+rng.IntN(600)) * time.Minute) }

	orgSeq, err := tx.NextSeq(ctx, "id:00D", 1)
	if err != nil {
		return err
	}
	o.orgID, err = sfid.New("00D", pod, uint64(orgSeq))
	if err != nil {
		return err
	}
	now := timestamp(clock)
	audit := func(rec store.Record, by string) store.Record {
		rec["IsDeleted"] = false
		rec["CreatedDate"], rec["LastModifiedDate"], rec["SystemModstamp"] = now, now, now
		rec["CreatedById"], rec["LastModifiedById"] = by, by
		return rec
	}

	// Users: the admin every token belongs to, then the sales team.
	users := []struct{ first, last, title string }{
		{"Emulator", "Admin", "System Administrator"},
		{"Maya", "Okafor", "Account Executive"},
		{"Lucas", "Berger", "Account Executive"},
		{"Priya", "Raman", "Sales Manager"},
		{"Tom", "Lindqvist", "Sales Development Rep"},
		{"Ana", "Souza", "Support Engineer"},
	}
	// Profiles: every user has one (User.Profile.Name is a common query).
	profileObj := o.schema.Object("Profile")
	profiles := []string{"System Administrator", "Standard User"}
	profileIDs := make([]string, len(profiles))
	for i := range profiles {
		if profileIDs[i], err = o.newID(ctx, tx, profileObj); err != nil {
			return err
		}
	}
	userObj := o.schema.Object("User")
	var userIDs []string
	for i, u := range users[:SampleSizes.Users] {
		id, err := o.newID(ctx, tx, userObj)
		if err != nil {
			return err
		}
		if i == 0 {
			o.adminID = id
		}
		alias := strings.ToLower(u.first[:1] + u.last)
		if len(alias) > 8 {
			alias = alias[:8]
		}
		rec := audit(store.Record{"Id": id, "FirstName": u.first, "LastName": u.last, "Name": u.first + " " + u.last,
			"Username": strings.ToLower(u.first+"."+u.last) + "@sfmcp-emulator.invalid", "Alias": alias,
			"Email": strings.ToLower(u.first+"."+u.last) + "@sfmcp-emulator.invalid", "Title": u.title, "IsActive": true,
			"TimeZoneSidKey": "America/Los_Angeles", "LocaleSidKey": "en_US", "LanguageLocaleKey": "en_US",
			"EmailEncodingKey": "UTF-8", "UserType": "Standard", "CompanyName": Label,
			"ProfileId": profileIDs[min(i, 1)]}, o.adminID)
		if i == 0 {
			rec["CreatedById"], rec["LastModifiedById"] = id, id
		}
		if err := tx.Insert(ctx, "User", rec, indexValues(userObj, rec)); err != nil {
			return err
		}
		userIDs = append(userIDs, id)
	}
	for i, name := range profiles {
		rec := audit(store.Record{"Id": profileIDs[i], "Name": name, "UserType": "Standard"}, o.adminID)
		if err := tx.Insert(ctx, "Profile", rec, indexValues(profileObj, rec)); err != nil {
			return err
		}
	}
	orgRec := audit(store.Record{"Id": o.orgID, "Name": Label, "Country": "US", "PrimaryContact": "Emulator Admin",
		"DefaultLocaleSidKey": "en_US", "TimeZoneSidKey": "America/Los_Angeles", "LanguageLocaleKey": "en_US",
		"OrganizationType": "Developer Edition", "InstanceName": "EMU1", "IsSandbox": false, "FiscalYearStartMonth": 1.0}, o.adminID)
	if err := tx.Insert(ctx, "Organization", orgRec, nil); err != nil {
		return err
	}
	statusObj := o.schema.Object("LeadStatus")
	for i, s := range LeadStatuses() {
		id, err := o.newID(ctx, tx, statusObj)
		if err != nil {
			return err
		}
		rec := audit(store.Record{"Id": id, "MasterLabel": s.MasterLabel(), "ApiName": s.Value, "SortOrder": float64(i + 1),
			"IsDefault": s.Default, "IsConverted": s.Converted}, o.adminID)
		if err := tx.Insert(ctx, "LeadStatus", rec, nil); err != nil {
			return err
		}
	}
	if err := seedRecordTypes(ctx, o, tx, audit); err != nil {
		return err
	}
	if o.opts.NoSampleData {
		return nil
	}
	return seedSample(ctx, o, tx, rng, userIDs, tick)
}

// seedRecordTypes writes a RecordType row for each record type the
// objects' describes list (Account's Household in the recordings), with the
// describe's id, so that SELECT ... FROM RecordType and the describes agree.
// The master record type (012000000000000AAA) is no row, as on Salesforce.
func seedRecordTypes(ctx context.Context, o *Org, tx *store.Tx, audit func(store.Record, string) store.Record) error {
	rtObj := o.schema.Object("RecordType")
	if rtObj == nil {
		return nil
	}
	for _, obj := range o.schema.Objects() {
		for _, rt := range obj.RecordTypes() {
			if rt.Master {
				continue
			}
			id, err := sfid.Normalize(rt.ID)
			if err != nil || !strings.HasPrefix(id, "012") {
				return fmt.Errorf("seed: %s describes record type %q with a bad id %q", obj.Name, rt.Name, rt.ID)
			}
			rec := audit(store.Record{"Id": id, "Name": rt.Name, "DeveloperName": rt.DeveloperName, "NamespacePrefix": nil,
				"Description": nil, "SobjectType": obj.Name, "IsActive": rt.Active, "BusinessProcessId": nil}, o.adminID)
			if err := tx.Insert(ctx, "RecordType", rec, indexValues(rtObj, rec)); err != nil {
				return fmt.Errorf("seed record type %s.%s: %w", obj.Name, rt.DeveloperName, err)
			}
		}
	}
	return nil
}

var (
	firstNames = []string{"Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sofia", "Elijah", "Mia", "Mateo",
		"Chloé", "Lukas", "Aiko", "Kwame", "Zoë", "Björn", "Fatima", "Diego", "Ingrid", "Ravi", "Hana", "Jonas",
		"Léa", "Omar", "Siobhan", "Tariq", "Yuki", "Nadia", "Pedro", "Elif"}
	lastNames = []string{"García", "Smith", "Müller", "Nakamura", "O'Brien", "Johansson", "Rossi", "Dubois",
		"Kowalski", "Nguyen", "Patel", "Silva", "Andersen", "Cohen", "Adeyemi", "Fischer", "Moreau", "Larsen",
		"Romano", "Haddad", "Kim", "Jensen", "Novak", "Costa", "Walsh", "Sato", "Ortiz", "Schmidt", "Byrne", "Ali"}
	companyWords1 = []string{"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
		"Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Aperture", "Monarch", "Nakatomi", "Massive", "Blue Sun", "Pied Piper"}
	companyWords2 = []string{"Industries", "Labs", "Systems", "Logistics", "Foods", "Energy", "Health", "Analytics",
		"Robotics", "Media", "Capital", "Outdoor", "Textiles", "Pharma"}
	industries = []string{"Agriculture", "Banking", "Biotechnology", "Communications", "Construction", "Consulting",
		"Education", "Electronics", "Energy", "Engineering", "Finance", "Healthcare", "Manufacturing", "Media",
		"Retail", "Technology", "Transportation"}
	cities = []struct{ city, state, country string }{
		{"San Francisco", "CA", "USA"}, {"Austin", "TX", "USA"}, {"New York", "NY", "USA"}, {"Chicago", "IL", "USA"},
		{"Seattle", "WA", "USA"}, {"Toronto", "ON", "Canada"}, {"London", "", "United Kingdom"}, {"Berlin", "", "Germany"},
		{"Paris", "", "France"}, {"São Paulo", "SP", "Brazil"}, {"Tokyo", "", "Japan"}, {"Sydney", "NSW", "Australia"},
	}
	stages       = []string{"Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}
	leadSources  = []string{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
	titles       = []string{"CEO", "CFO", "VP Sales", "Head of Operations", "IT Director", "Procurement Manager", "Engineer", "Marketing Lead"}
	caseSubjects = []string{"Cannot log in", "Invoice discrepancy", "Feature request: export", "Shipment delayed", "Integration error 500", "Password reset", "Data import failed"}
)

func seedSample(ctx context.Context, o *Org, tx *store.Tx, rng *rand.Rand, users []string, tick func()) error {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	owner := func() string { return users[1+rng.IntN(len(users)-1)] }
	mk := func(object string, body map[string]any, by string) (string, error) {
		tick()
		obj := o.schema.Object(object)
		for k := range body {
			// A custom schema may lack the sample's custom fields.
			if obj.Field(k) == nil {
				delete(body, k)
			}
		}
		id, aerr := o.create(ctx, tx, obj, body, by)
		if aerr != nil {
			return "", fmt.Errorf("seed %s: %w", object, aerr)
		}
		return id, nil
	}
	emailOf := func(first, last, domain string) string {
		clean := func(s string) string {
			var b strings.Builder
			for _, r := range strings.ToLower(s) {
				if r >= 'a' && r <= 'z' {
					b.WriteRune(r)
				}
			}
			return b.String()
		}
		return clean(first) + "." + clean(last) + "@" + domain
	}
	type account struct{ id, name, domain string }
	var accounts []account
	seen := map[string]int{}
	for i := 0; i < SampleSizes.Accounts; i++ {
		name := pick(companyWords1) + " " + pick(companyWords2)
		seen[name]++
		if seen[name] > 1 {
			name = fmt.Sprintf("%s %d", name, seen[name])
		}
		c := cities[rng.IntN(len(cities))]
		domain := strings.ReplaceAll(strings.ToLower(name), " ", "") + ".example.com"
		body := map[string]any{"Name": name, "Industry": pick(industries), "BillingCity": c.city,
			"BillingState": c.state, "BillingCountry": c.country, "Phone": fmt.Sprintf("+1 415 555 %04d", rng.IntN(10000)),
			"Website": "https://" + domain, "NumberOfEmployees": float64(10 + rng.IntN(5000)),
			"AnnualRevenue": float64(100000 * (1 + rng.IntN(2000))), "Type": pick([]string{"Prospect", "Customer - Direct", "Customer - Channel", "Partner"}),
			"OwnerId": owner(), "External_Id__c": fmt.Sprintf("ACC-%05d", i+1)}
		id, err := mk("Account", body, users[0])
		if err != nil {
			return err
		}
		accounts = append(accounts, account{id, name, domain})
	}
	for i := 0; i < SampleSizes.Contacts; i++ {
		a := accounts[i%len(accounts)]
		first, last := pick(firstNames), pick(lastNames)
		body := map[string]any{"FirstName": first, "LastName": last, "AccountId": a.id, "Title": pick(titles),
			"Email": emailOf(first, last, a.domain), "Phone": fmt.Sprintf("+1 212 555 %04d", rng.IntN(10000)),
			"LeadSource": pick(leadSources), "OwnerId": owner(), "MailingCity": cities[rng.IntN(len(cities))].city}
		if _, err := mk("Contact", body, users[0]); err != nil {
			return err
		}
	}
	for i := 0; i < SampleSizes.Leads; i++ {
		first, last := pick(firstNames), pick(lastNames)
		company := pick(companyWords1) + " " + pick(companyWords2)
		status := LeadStatuses()[rng.IntN(2)].Value
		if rng.IntN(10) == 0 {
			status = "Closed - Not Converted"
		}
		body := map[string]any{"FirstName": first, "LastName": last, "Company": company, "Status": status,
			"Email": emailOf(first, last, fmt.Sprintf("lead%d.example.org", i+1)), "LeadSource": pick(leadSources),
			"Title": pick(titles), "Industry": pick(industries), "OwnerId": owner(), "Rating": pick([]string{"Hot", "Warm", "Cold"})}
		if _, err := mk("Lead", body, users[0]); err != nil {
			return err
		}
	}
	for i := 0; i < SampleSizes.Opportunities; i++ {
		a := accounts[rng.IntN(len(accounts))]
		stage := pick(stages)
		close := seedEpoch.AddDate(0, 0, rng.IntN(540)).Format("2006-01-02")
		body := map[string]any{"Name": a.name + " - " + pick([]string{"Renewal", "Expansion", "New Business", "Pilot"}),
			"AccountId": a.id, "StageName": stage, "CloseDate": close, "Amount": float64(5000 * (1 + rng.IntN(200))),
			"LeadSource": pick(leadSources), "OwnerId": owner()}
		// Probability, IsClosed, IsWon and the fiscal fields follow the
		// stage and close date (deriveOpportunity). The draw that used to
		// pick a random probability stays, so the rest of the sample org
		// (names, owners, cases) is the same as before.
		_ = rng.IntN(11)
		if _, err := mk("Opportunity", body, users[0]); err != nil {
			return err
		}
	}
	for i := 0; i < SampleSizes.Cases; i++ {
		a := accounts[rng.IntN(len(accounts))]
		body := map[string]any{"Subject": pick(caseSubjects), "AccountId": a.id, "Status": pick([]string{"New", "Working", "Escalated", "Closed"}),
			"Priority": pick([]string{"Low", "Medium", "High"}), "Origin": pick([]string{"Phone", "Email", "Web"}), "OwnerId": users[len(users)-1]}
		if _, err := mk("Case", body, users[0]); err != nil {
			return err
		}
	}
	if o.schema.Object("Invoice__c") != nil {
		for i := 0; i < SampleSizes.Invoices; i++ {
			a := accounts[rng.IntN(len(accounts))]
			body := map[string]any{"Name": fmt.Sprintf("INV-%05d", i+1), "Account__c": a.id, "Amount__c": float64(100 * (1 + rng.IntN(500))),
				"Due_Date__c": seedEpoch.AddDate(0, 0, 30+rng.IntN(365)).Format("2006-01-02"), "Paid__c": rng.IntN(2) == 0,
				"Invoice_Number__c": fmt.Sprintf("INV-%05d", i+1)}
			if _, err := mk("Invoice__c", body, users[0]); err != nil {
				return err
			}
		}
	}
	return nil
}
