package soql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// testYAML is the emulator's default custom config plus a multipicklist.
const testYAML = `
objects:
  - name: Account
    fields:
      - {name: External_Id__c, label: External Id, type: string, length: 64, externalId: true, unique: true}
      - {name: Regions__c, type: multipicklist, picklist: [East, West, North, South]}
  - name: Contact
    fields:
      - {name: External_Id__c, label: External Id, type: string, length: 64, externalId: true, unique: true}
  - name: Invoice__c
    label: Invoice
    keyPrefix: a01
    fields:
      - {name: Account__c, type: reference, referenceTo: Account, childRelationshipName: Invoices__r}
      - {name: Amount__c, type: currency}
      - {name: Due_Date__c, type: date}
      - {name: Paid__c, type: boolean}
`

var (
	schOnce sync.Once
	testSch *schema.Schema
)

func testSchema(t testing.TB) *schema.Schema {
	schOnce.Do(func() {
		s, err := schema.Load([]byte(testYAML))
		if err != nil {
			panic(err)
		}
		testSch = s
	})
	return testSch
}

// memSource is an in-memory Source.
type memSource struct {
	mu    sync.Mutex
	order map[string][]Record
	byID  map[string]Record
	scans map[string]int
	gets  int
}

func newMem() *memSource {
	return &memSource{order: map[string][]Record{}, byID: map[string]Record{}, scans: map[string]int{}}
}

func (m *memSource) add(obj string, r Record) {
	if _, ok := r["IsDeleted"]; !ok {
		r["IsDeleted"] = false
	}
	m.order[obj] = append(m.order[obj], r)
	m.byID[r["Id"].(string)] = r
}

func (m *memSource) Scan(ctx context.Context, object string, all bool, fn func(Record) error) error {
	m.mu.Lock()
	m.scans[object]++
	recs := m.order[object]
	m.mu.Unlock()
	for _, r := range recs {
		if r["IsDeleted"].(bool) && !all {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) Get(ctx context.Context, id string) (Record, error) {
	m.mu.Lock()
	m.gets++
	m.mu.Unlock()
	n, err := sfid.Normalize(id)
	if err != nil {
		return nil, nil
	}
	return m.byID[n], nil
}

var ids = map[string]string{}

func id(prefix string, seq uint64) string {
	s, err := sfid.New(prefix, "0A0", seq)
	if err != nil {
		panic(err)
	}
	return s
}

// fixture builds the test org. Names of records map to ids in ids.
func fixture() *memSource {
	m := newMem()
	mk := func(obj, prefix, name string, seq uint64, r Record) {
		r["Id"] = id(prefix, seq)
		ids[name] = r["Id"].(string)
		m.add(obj, r)
	}
	mk("User", "005", "alice", 1, Record{"Name": "Alice Admin", "FirstName": "Alice", "LastName": "Admin", "IsActive": true, "Email": "alice@example.com"})
	mk("User", "005", "bob", 2, Record{"Name": "Bob Builder", "FirstName": "Bob", "LastName": "Builder", "IsActive": false, "ManagerId": id("005", 1)})
	mk("Group", "00G", "queue", 1, Record{"Name": "Support Queue", "Type": "Queue"})
	mk("Account", "001", "acme", 1, Record{"Name": "Acme", "Industry": "Technology", "NumberOfEmployees": 50.0, "AnnualRevenue": 1000.5,
		"OwnerId": ids["alice"], "CreatedDate": "2024-06-12T09:30:00.000+0000", "Regions__c": "East;West", "Rating": "Hot"})
	mk("Account", "001", "globex", 2, Record{"Name": "Globex", "Industry": "Technology", "NumberOfEmployees": 100.0, "AnnualRevenue": nil,
		"OwnerId": ids["bob"], "CreatedDate": "2024-06-11T23:59:59.000+0000", "Regions__c": "North"})
	mk("Account", "001", "initech", 3, Record{"Name": "initech", "Industry": nil, "NumberOfEmployees": nil, "AnnualRevenue": 250.0,
		"OwnerId": ids["alice"], "ParentId": ids["acme"], "CreatedDate": "2024-05-20T10:00:00.000+0000"})
	mk("Account", "001", "gone", 4, Record{"Name": "Gone Inc", "Industry": "Retail", "IsDeleted": true, "OwnerId": ids["alice"],
		"CreatedDate": "2023-01-01T00:00:00.000+0000"})
	mk("Account", "001", "pure", 5, Record{"Name": "100% Pure_Co", "Industry": "Retail", "NumberOfEmployees": 7.0, "OwnerId": ids["bob"],
		"CreatedDate": "2024-06-13T00:00:00.000+0000", "Description": "It's \"quoted\"\nand more"})
	mk("Contact", "003", "smith", 1, Record{"LastName": "Smith", "FirstName": "Ann", "AccountId": ids["acme"], "Email": "ann@acme.test", "OwnerId": ids["alice"], "Birthdate": "1990-06-12"})
	mk("Contact", "003", "jones", 2, Record{"LastName": "Jones", "FirstName": "Ben", "AccountId": ids["acme"], "Email": "ben@acme.test", "OwnerId": ids["bob"]})
	mk("Contact", "003", "brown", 3, Record{"LastName": "Brown", "FirstName": "Cy", "AccountId": ids["globex"], "OwnerId": ids["bob"]})
	mk("Contact", "003", "loner", 4, Record{"LastName": "Loner", "OwnerId": ids["alice"]})
	mk("Contact", "003", "ghost", 5, Record{"LastName": "Ghost", "AccountId": ids["acme"], "IsDeleted": true, "OwnerId": ids["alice"]})
	mk("Opportunity", "006", "big", 1, Record{"Name": "Big Deal", "AccountId": ids["acme"], "Amount": 500.0, "CloseDate": "2024-06-15", "StageName": "Closed Won", "IsWon": true})
	mk("Opportunity", "006", "small", 2, Record{"Name": "Small Deal", "AccountId": ids["acme"], "Amount": 100.0, "CloseDate": "2024-06-10", "StageName": "Prospecting", "IsWon": false})
	mk("Opportunity", "006", "mid", 3, Record{"Name": "Mid Deal", "AccountId": ids["globex"], "Amount": 300.0, "CloseDate": "2024-05-01", "StageName": "Prospecting", "IsWon": false})
	mk("Lead", "00Q", "queued", 1, Record{"LastName": "Queued", "Company": "Q Co", "OwnerId": ids["queue"], "Status": "Open - Not Contacted", "IsConverted": false})
	mk("Lead", "00Q", "owned", 2, Record{"LastName": "Owned", "Company": "O Co", "OwnerId": ids["bob"], "Status": "Working - Contacted", "IsConverted": false})
	mk("Event", "00U", "ev1", 1, Record{"Subject": "Call", "WhoId": ids["smith"], "WhatId": ids["acme"], "DurationInMinutes": 60.0})
	mk("Event", "00U", "ev2", 2, Record{"Subject": "Visit", "WhoId": ids["queued"], "WhatId": ids["big"]})
	mk("Event", "00U", "ev3", 3, Record{"Subject": "Alone"})
	mk("Invoice__c", "a01", "inv1", 1, Record{"Name": "INV-1", "Account__c": ids["acme"], "Amount__c": 10.0, "Paid__c": true})
	return m
}

var testNow = time.Date(2024, 6, 12, 12, 0, 0, 0, time.UTC) // a Wednesday

func opts() Options { return Options{Now: testNow, APIVersion: "62.0"} }

func compile(t testing.TB, q string) *Query {
	t.Helper()
	c, err := Compile(q, testSchema(t))
	if err != nil {
		t.Fatalf("Compile(%q): %v", q, err)
	}
	return c
}

// names maps result ids back to fixture names.
func names(list []string) string {
	rev := map[string]string{}
	for k, v := range ids {
		rev[v] = k
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = rev[x]
	}
	return strings.Join(out, ",")
}

func execIDs(t *testing.T, m *memSource, q string, o Options) string {
	t.Helper()
	res, err := compile(t, q).Execute(context.Background(), m, o)
	if err != nil {
		t.Fatalf("Execute(%q): %v", q, err)
	}
	if res.TotalSize != len(res.IDs) {
		t.Fatalf("%q: TotalSize %d with %d ids", q, res.TotalSize, len(res.IDs))
	}
	return names(res.IDs)
}

func pageJSON(t *testing.T, m *memSource, q string, o Options) string {
	t.Helper()
	c := compile(t, q)
	res, err := c.Execute(context.Background(), m, o)
	if err != nil {
		t.Fatalf("Execute(%q): %v", q, err)
	}
	var rows []*Row
	if c.IsAggregate() {
		rows = res.Rows
	} else {
		rows, err = c.Page(context.Background(), m, res.IDs, o)
		if err != nil {
			t.Fatalf("Page(%q): %v", q, err)
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsAggregate() {
		// The query endpoint writes pages with AppendPage: same bytes.
		direct, n, err := c.AppendPage(context.Background(), m, res.IDs, o, []byte{'['})
		if err != nil {
			t.Fatalf("AppendPage(%q): %v", q, err)
		}
		if got := string(append(direct, ']')); got != string(b) || n != len(rows) {
			t.Errorf("AppendPage(%q) differs from Page (%d records, Page %d):\n%s\n%s", q, n, len(rows), got, b)
		}
	}
	return string(b)
}

// TestAppendPageMatchesPage: every kind of output column written straight
// to bytes is what the Row path marshals.
func TestAppendPageMatchesPage(t *testing.T) {
	m := fixture()
	for _, q := range []string{
		"SELECT Id, Name, Industry, NumberOfEmployees, AnnualRevenue, Description, CreatedDate, IsDeleted FROM Account",
		"SELECT Name, Owner.Name, Owner.Manager.Name, Parent.Name, Parent.Owner.Email FROM Account ORDER BY Name",
		"SELECT Subject, Who.Name, What.Name, Owner.Name FROM Event",
		"SELECT Subject, TYPEOF What WHEN Account THEN Name, Industry WHEN Opportunity THEN Amount, StageName END FROM Event",
		"SELECT Name, (SELECT LastName, Email FROM Contacts ORDER BY LastName), (SELECT Name, Amount FROM Opportunities) FROM Account",
		"SELECT Name, (SELECT LastName, (SELECT Subject FROM Events) FROM Contacts) FROM Account WHERE Name = 'Acme'",
		"SELECT Name, BillingAddress, BillingCity FROM Account",
		"SELECT Name, toLabel(Rating), FORMAT(AnnualRevenue), Regions__c FROM Account",
		"SELECT FIELDS(STANDARD) FROM Contact",
		"SELECT Name, Account__r.Name, Account__r.Owner.Name, Amount__c, Paid__c FROM Invoice__c",
		"SELECT LastName, Owner.Name, Status FROM Lead",
	} {
		t.Run(q, func(t *testing.T) { pageJSON(t, m, q, opts()) })
	}
}

func TestWhere(t *testing.T) {
	m := fixture()
	tests := []struct{ q, want string }{
		{"SELECT Id FROM Account", "acme,globex,initech,pure"},
		{"select id from account where name = 'ACME'", "acme"},
		{"SELECT Id FROM Account WHERE Name != 'acme'", "globex,initech,pure"},
		{"SELECT Id FROM Account WHERE Name <> 'acme'", "globex,initech,pure"},
		{"SELECT Id FROM Account WHERE Industry = null", "initech"},
		{"SELECT Id FROM Account WHERE Industry != null", "acme,globex,pure"},
		{"SELECT Id FROM Account WHERE Industry != 'Technology'", "initech,pure"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees > 50", "globex"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees >= 50", "acme,globex"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees < 50", "pure"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees <= 50.0", "acme,pure"},
		{"SELECT Id FROM Account WHERE AnnualRevenue > -1", "acme,initech"},
		{"SELECT Id FROM Account WHERE Name < 'b'", "acme,pure"},
		{"SELECT Id FROM Account WHERE Name LIKE 'a%'", "acme"},
		{"SELECT Id FROM Account WHERE Name LIKE '%E%'", "acme,globex,initech,pure"},
		{"SELECT Id FROM Account WHERE Name LIKE 'glob_x'", "globex"},
		{"SELECT Id FROM Account WHERE Name LIKE '100\\% Pure\\_Co'", "pure"},
		{"SELECT Id FROM Account WHERE Name LIKE '100\\%%'", "pure"},
		{"SELECT Id FROM Account WHERE Name LIKE '1_0\\_%'", ""},
		{"SELECT Id FROM Account WHERE Name IN ('acme', 'GLOBEX', 'nope')", "acme,globex"},
		{"SELECT Id FROM Account WHERE Name NOT IN ('acme', 'GLOBEX')", "initech,pure"},
		{"SELECT Id FROM Account WHERE Industry IN ('Retail', null)", "initech,pure"},
		{"SELECT Id FROM Account WHERE Industry NOT IN ('Retail')", "acme,globex,initech"},
		{"SELECT Id FROM Account WHERE Name = 'acme' OR Name = 'globex' OR Name = 'initech'", "acme,globex,initech"},
		{"SELECT Id FROM Account WHERE Industry = 'Technology' AND NumberOfEmployees > 60", "globex"},
		{"SELECT Id FROM Account WHERE (Name = 'acme' OR Name = 'initech') AND Industry = null", "initech"},
		{"SELECT Id FROM Account WHERE Name = 'acme' OR (Industry = 'Retail' AND NumberOfEmployees = 7)", "acme,pure"},
		{"SELECT Id FROM Account WHERE NOT Name = 'acme'", "globex,initech,pure"},
		{"SELECT Id FROM Account WHERE NOT (Name = 'acme' OR Name = 'globex')", "initech,pure"},
		{"SELECT Id FROM Account WHERE Id = '" + ids["globex"] + "'", "globex"},
		{"SELECT Id FROM Account WHERE Id = '" + ids["globex"][:15] + "'", "globex"},
		{"SELECT Id FROM Account WHERE Id IN ('" + ids["globex"][:15] + "', '" + ids["acme"] + "')", "acme,globex"},
		{"SELECT Id FROM Account WHERE OwnerId = '" + ids["alice"] + "'", "acme,initech"},
		{"SELECT Id FROM Account WHERE ParentId != null", "initech"},
		{"SELECT Id FROM Account WHERE Parent.Name = 'Acme'", "initech"},
		{"SELECT Id FROM Account WHERE Owner.Name LIKE 'bob%'", "globex,pure"},
		{"SELECT Id FROM Contact WHERE Account.Owner.Name = 'Alice Admin'", "smith,jones"},
		{"SELECT Id FROM Contact WHERE Account.Owner.Manager.Name = 'Alice Admin'", "brown"},
		{"SELECT Id FROM Lead WHERE Owner.Name = 'Support Queue'", "queued"},
		{"SELECT Id FROM Lead WHERE Owner.Type = 'Queue'", "queued"},
		{"SELECT Id FROM User WHERE IsActive = true", "alice"},
		{"SELECT Id FROM User WHERE IsActive = FALSE", "bob"},
		{"SELECT Id FROM User WHERE IsActive != true", "bob"},
		{"SELECT Id FROM Account WHERE Regions__c = 'west;east'", "acme"},
		{"SELECT Id FROM Account WHERE Regions__c INCLUDES ('East')", "acme"},
		{"SELECT Id FROM Account WHERE Regions__c INCLUDES ('East;North', 'North')", "globex"},
		{"SELECT Id FROM Account WHERE Regions__c INCLUDES ('east;west')", "acme"},
		{"SELECT Id FROM Account WHERE Regions__c EXCLUDES ('East')", "globex,initech,pure"},
		{"SELECT Id FROM Account a WHERE a.Name = 'Acme'", "acme"},
		{"SELECT Account.Id FROM Account WHERE Account.Name = 'Acme'", "acme"},
		{"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName != 'Smith')", "acme,globex"},
		{"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Email = null)", "globex"},
		{"SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Opportunity)", "initech,pure"},
		{"SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account WHERE Industry = 'Technology') AND LastName != 'Jones'", "smith,brown"},
		{"SELECT Id FROM Account WHERE Description = 'x'", "ERR"}, // not filterable: checked in TestErrors
	}
	for _, tc := range tests {
		if tc.want == "ERR" {
			continue
		}
		if got := execIDs(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
}

func TestDates(t *testing.T) {
	m := fixture()
	tests := []struct{ q, want string }{
		{"SELECT Id FROM Opportunity WHERE CloseDate = 2024-06-15", "big"},
		{"SELECT Id FROM Opportunity WHERE CloseDate > 2024-06-10", "big"},
		{"SELECT Id FROM Opportunity WHERE CloseDate >= 2024-06-10", "big,small"},
		{"SELECT Id FROM Opportunity WHERE CloseDate < 2024-06-10", "mid"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = THIS_WEEK", "big,small"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = LAST_MONTH", "mid"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = THIS_MONTH", "big,small"},
		{"SELECT Id FROM Opportunity WHERE CloseDate < THIS_MONTH", "mid"},
		{"SELECT Id FROM Opportunity WHERE CloseDate > TODAY", "big"},
		{"SELECT Id FROM Opportunity WHERE CloseDate <= TODAY", "small,mid"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:3", "big"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:2", "small"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = N_DAYS_AGO:2", "small"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = THIS_QUARTER", "big,small,mid"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_MONTHS:1", "mid"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = THIS_YEAR AND CloseDate != LAST_YEAR", "big,small,mid"},
		{"SELECT Id FROM Opportunity WHERE CloseDate IN (2024-05-01, 2024-06-15)", "big,mid"},
		{"SELECT Id FROM Account WHERE CreatedDate = TODAY", "acme"},
		{"SELECT Id FROM Account WHERE CreatedDate = YESTERDAY", "globex"},
		{"SELECT Id FROM Account WHERE CreatedDate = TOMORROW", "pure"},
		{"SELECT Id FROM Account WHERE CreatedDate > TODAY", "pure"},
		{"SELECT Id FROM Account WHERE CreatedDate < TODAY", "globex,initech"},
		{"SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) = 2024-06-12", "acme"},
		{"SELECT Id FROM Account WHERE CreatedDate > 2024-06-12T09:00:00Z", "acme,pure"},
		{"SELECT Id FROM Account WHERE CreatedDate > 2024-06-12T10:00:00+01:00", "acme,pure"},
		{"SELECT Id FROM Account WHERE CreatedDate = 2024-06-12T09:30:00.000+0000", "acme"},
		{"SELECT Id FROM Account WHERE CreatedDate >= 2024-06-12T11:30:00+02:00", "acme,pure"},
		{"SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:7", "acme,globex"},
		{"SELECT Id FROM Account WHERE CreatedDate = LAST_WEEK", ""},
		{"SELECT Id FROM Account WHERE CreatedDate = LAST_MONTH", "initech"},
		{"SELECT Id FROM Contact WHERE Birthdate = 1990-06-12", "smith"},
	}
	for _, tc := range tests {
		if got := execIDs(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
}

func TestOrderLimitOffset(t *testing.T) {
	m := fixture()
	tests := []struct{ q, want string }{
		{"SELECT Id FROM Account ORDER BY Name", "pure,acme,globex,initech"},
		{"SELECT Id FROM Account ORDER BY Name DESC", "initech,globex,acme,pure"},
		{"SELECT Id FROM Account ORDER BY Industry, Name", "initech,pure,acme,globex"},
		{"SELECT Id FROM Account ORDER BY Industry NULLS LAST, Name DESC", "pure,globex,acme,initech"},
		{"SELECT Id FROM Account ORDER BY Industry DESC, Name", "acme,globex,pure,initech"},
		{"SELECT Id FROM Account ORDER BY Industry DESC NULLS FIRST, Name", "initech,acme,globex,pure"},
		{"SELECT Id FROM Account ORDER BY NumberOfEmployees ASC NULLS LAST", "pure,acme,globex,initech"},
		{"SELECT Id FROM Account ORDER BY Owner.Name, Name LIMIT 3", "acme,initech,pure"},
		{"SELECT Id FROM Account ORDER BY Name LIMIT 2 OFFSET 1", "acme,globex"},
		{"SELECT Id FROM Account ORDER BY Name OFFSET 3", "initech"},
		{"SELECT Id FROM Account LIMIT 2", "acme,globex"},
		{"SELECT Id FROM Account LIMIT 0", ""},
		{"SELECT Id FROM Account OFFSET 10", ""},
		{"SELECT Id FROM Account WHERE Name != null ORDER BY CreatedDate DESC LIMIT 2", "pure,acme"},
		{"SELECT Id FROM Opportunity ORDER BY Amount DESC", "big,mid,small"},
		{"SELECT Id FROM User ORDER BY IsActive", "bob,alice"},
	}
	for _, tc := range tests {
		if got := execIDs(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
}

func TestQueryAll(t *testing.T) {
	m := fixture()
	o := opts()
	o.All = true
	if got := execIDs(t, m, "SELECT Id FROM Account WHERE Industry = 'Retail'", o); got != "gone,pure" {
		t.Errorf("queryAll: got %s", got)
	}
	if got := execIDs(t, m, "SELECT Id FROM Account WHERE IsDeleted = true", o); got != "gone" {
		t.Errorf("queryAll IsDeleted: got %s", got)
	}
	if got := execIDs(t, m, "SELECT Id FROM Account WHERE IsDeleted = true", opts()); got != "" {
		t.Errorf("query IsDeleted: got %s", got)
	}
	got := pageJSON(t, m, "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Acme'", o)
	if !strings.Contains(got, `"Ghost"`) || !strings.Contains(got, `"totalSize":3`) {
		t.Errorf("queryAll child rows: %s", got)
	}
}

func TestPage(t *testing.T) {
	m := fixture()
	u := func(typ, name string) string {
		return `{"type":"` + typ + `","url":"/services/data/v62.0/sobjects/` + typ + `/` + ids[name] + `"}`
	}
	tests := []struct{ q, want string }{
		{"select id, name, numberofemployees, AnnualRevenue from Account where Name = 'Acme'",
			`[{"attributes":` + u("Account", "acme") + `,"Id":"` + ids["acme"] + `","Name":"Acme","NumberOfEmployees":50,"AnnualRevenue":1000.5}]`},
		{"SELECT Name, Account.Name, Account.Owner.Name, Email FROM Contact WHERE LastName IN ('Smith', 'Loner') ORDER BY LastName",
			`[{"attributes":` + u("Contact", "loner") + `,"Name":null,"Account":null,"Email":null},` +
				`{"attributes":` + u("Contact", "smith") + `,"Name":null,"Account":{"attributes":` + u("Account", "acme") +
				`,"Name":"Acme","Owner":{"attributes":` + u("User", "alice") + `,"Name":"Alice Admin"}},"Email":"ann@acme.test"}]`},
		{"SELECT LastName, Owner.Name, Owner.Id FROM Lead ORDER BY LastName",
			`[{"attributes":` + u("Lead", "owned") + `,"LastName":"Owned","Owner":{"attributes":` + u("User", "bob") + `,"Name":"Bob Builder","Id":"` + ids["bob"] + `"}},` +
				`{"attributes":` + u("Lead", "queued") + `,"LastName":"Queued","Owner":{"attributes":` + u("Group", "queue") + `,"Name":"Support Queue","Id":"` + ids["queue"] + `"}}]`},
		{"SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName), (select Name, Amount from Opportunities where Amount > 150) FROM Account WHERE Name IN ('Acme', 'initech') ORDER BY Name",
			`[{"attributes":` + u("Account", "acme") + `,"Name":"Acme","Contacts":{"totalSize":2,"done":true,"records":[` +
				`{"attributes":` + u("Contact", "jones") + `,"LastName":"Jones"},{"attributes":` + u("Contact", "smith") + `,"LastName":"Smith"}]},` +
				`"Opportunities":{"totalSize":1,"done":true,"records":[{"attributes":` + u("Opportunity", "big") + `,"Name":"Big Deal","Amount":500}]}},` +
				`{"attributes":` + u("Account", "initech") + `,"Name":"initech","Contacts":null,"Opportunities":null}]`},
		{"SELECT Name, (SELECT LastName, Account.Name FROM Contacts ORDER BY LastName DESC LIMIT 1) FROM Account WHERE Name = 'Acme'",
			`[{"attributes":` + u("Account", "acme") + `,"Name":"Acme","Contacts":{"totalSize":1,"done":true,"records":[` +
				`{"attributes":` + u("Contact", "smith") + `,"LastName":"Smith","Account":{"attributes":` + u("Account", "acme") + `,"Name":"Acme"}}]}}]`},
		{"SELECT Name, (SELECT Name, Amount__c, Paid__c FROM Invoices__r), Parent.Name FROM Account WHERE Name LIKE 'acme' OR Name LIKE 'initech'",
			`[{"attributes":` + u("Account", "acme") + `,"Name":"Acme","Invoices__r":{"totalSize":1,"done":true,"records":[` +
				`{"attributes":` + u("Invoice__c", "inv1") + `,"Name":"INV-1","Amount__c":10,"Paid__c":true}]},"Parent":null},` +
				`{"attributes":` + u("Account", "initech") + `,"Name":"initech","Invoices__r":null,"Parent":{"attributes":` + u("Account", "acme") + `,"Name":"Acme"}}]`},
		{"SELECT Account__r.Name, Account__r.Owner.Email FROM Invoice__c",
			`[{"attributes":` + u("Invoice__c", "inv1") + `,"Account__r":{"attributes":` + u("Account", "acme") + `,"Name":"Acme","Owner":{"attributes":` + u("User", "alice") + `,"Email":"alice@example.com"}}}]`},
		{"SELECT Id, TYPEOF Who WHEN Contact THEN LastName, Email WHEN Lead THEN LastName, Company ELSE Id END, TYPEOF What WHEN Account THEN Name, Phone ELSE Id END, Subject, DurationInMinutes FROM Event",
			`[{"attributes":` + u("Event", "ev1") + `,"Id":"` + ids["ev1"] + `","Who":{"attributes":` + u("Contact", "smith") + `,"LastName":"Smith","Email":"ann@acme.test"},` +
				`"What":{"attributes":` + u("Account", "acme") + `,"Name":"Acme","Phone":null},"Subject":"Call","DurationInMinutes":60},` +
				`{"attributes":` + u("Event", "ev2") + `,"Id":"` + ids["ev2"] + `","Who":{"attributes":` + u("Lead", "queued") + `,"LastName":"Queued","Company":"Q Co"},` +
				`"What":{"attributes":` + u("Opportunity", "big") + `,"Id":"` + ids["big"] + `"},"Subject":"Visit","DurationInMinutes":null},` +
				`{"attributes":` + u("Event", "ev3") + `,"Id":"` + ids["ev3"] + `","Who":null,"What":null,"Subject":"Alone","DurationInMinutes":null}]`},
		{"SELECT Description FROM Account WHERE Name LIKE '100%'",
			`[{"attributes":` + u("Account", "pure") + `,"Description":"It's \"quoted\"\nand more"}]`},
	}
	for _, tc := range tests {
		if got := pageJSON(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
}

func TestPageBatchesChildren(t *testing.T) {
	m := fixture()
	q := compile(t, "SELECT Name, (SELECT LastName FROM Contacts) FROM Account")
	res, err := q.Execute(context.Background(), m, opts())
	if err != nil {
		t.Fatal(err)
	}
	before := m.scans["Contact"]
	rows, err := q.Page(context.Background(), m, res.IDs, opts())
	if err != nil {
		t.Fatal(err)
	}
	if n := m.scans["Contact"] - before; n != 1 {
		t.Errorf("Page scanned Contact %d times, want 1", n)
	}
	if len(rows) != 4 {
		t.Fatalf("got %d rows", len(rows))
	}
	c := rows[0].Get("Contacts").(*Row)
	if c.Get("totalSize") != 2 || c.Get("done") != true {
		t.Errorf("Acme contacts: %v %v", c.Get("totalSize"), c.Get("done"))
	}
	// A page of a slice of ids.
	rows, err = q.Page(context.Background(), m, res.IDs[1:2], opts())
	if err != nil || len(rows) != 1 || rows[0].Get("Name") != "Globex" {
		t.Fatalf("page of one: %v %v", rows, err)
	}
}

func TestAggregates(t *testing.T) {
	m := fixture()
	tests := []struct{ q, want string }{
		{"select count(Id) from Account", `[{"attributes":{"type":"AggregateResult"},"expr0":4}]`},
		{"SELECT COUNT(Id), SUM(NumberOfEmployees), AVG(AnnualRevenue), MIN(Name), MAX(CreatedDate) FROM Account",
			`[{"attributes":{"type":"AggregateResult"},"expr0":4,"expr1":157,"expr2":625.25,"expr3":"100% Pure_Co","expr4":"2024-06-13T00:00:00.000+0000"}]`},
		{"SELECT Industry, COUNT(Id) cnt, MAX(NumberOfEmployees) FROM Account GROUP BY Industry",
			`[{"attributes":{"type":"AggregateResult"},"Industry":"Technology","cnt":2,"expr0":100},` +
				`{"attributes":{"type":"AggregateResult"},"Industry":null,"cnt":1,"expr0":null},` +
				`{"attributes":{"type":"AggregateResult"},"Industry":"Retail","cnt":1,"expr0":7}]`},
		{"SELECT Industry ind, COUNT(Id) FROM Account GROUP BY Industry HAVING COUNT(Id) > 1",
			`[{"attributes":{"type":"AggregateResult"},"ind":"Technology","expr0":2}]`},
		{"SELECT Industry, SUM(AnnualRevenue) total FROM Account GROUP BY Industry ORDER BY Industry NULLS LAST",
			`[{"attributes":{"type":"AggregateResult"},"Industry":"Retail","total":null},` +
				`{"attributes":{"type":"AggregateResult"},"Industry":"Technology","total":1000.5},` +
				`{"attributes":{"type":"AggregateResult"},"Industry":null,"total":250}]`},
		{"SELECT Account.Name, COUNT(Id) FROM Contact GROUP BY Account.Name ORDER BY COUNT(Id) DESC, Account.Name LIMIT 2",
			`[{"attributes":{"type":"AggregateResult"},"Name":"Acme","expr0":2},{"attributes":{"type":"AggregateResult"},"Name":null,"expr0":1}]`},
		{"SELECT COUNT_DISTINCT(Industry) FROM Account", `[{"attributes":{"type":"AggregateResult"},"expr0":2}]`},
		{"SELECT COUNT(Id) FROM Account WHERE Name = 'nobody'", `[{"attributes":{"type":"AggregateResult"},"expr0":0}]`},
		{"SELECT SUM(Amount) FROM Opportunity WHERE Name = 'nobody'", `[{"attributes":{"type":"AggregateResult"},"expr0":null}]`},
		{"SELECT StageName, SUM(Amount) FROM Opportunity WHERE Name = 'nobody' GROUP BY StageName", `[]`},
		{"SELECT Owner.Name, COUNT(Id) FROM Lead GROUP BY Owner.Name ORDER BY Owner.Name",
			`[{"attributes":{"type":"AggregateResult"},"Name":"Bob Builder","expr0":1},{"attributes":{"type":"AggregateResult"},"Name":"Support Queue","expr0":1}]`},
		{"SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName HAVING StageName LIKE 'Pro%'",
			`[{"attributes":{"type":"AggregateResult"},"StageName":"Prospecting","expr0":2}]`},
	}
	for _, tc := range tests {
		if got := pageJSON(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
}

func TestCountOnly(t *testing.T) {
	m := fixture()
	for q, want := range map[string]int{
		"SELECT COUNT() FROM Account":                             4,
		"select count() from Contact where Account.Name = 'Acme'": 2,
		"SELECT COUNT() FROM Account LIMIT 2":                     2,
	} {
		c := compile(t, q)
		res, err := c.Execute(context.Background(), m, opts())
		if err != nil {
			t.Fatal(err)
		}
		if !res.CountOnly || res.TotalSize != want || res.IDs != nil || res.Rows != nil {
			t.Errorf("%s: %+v, want count %d", q, res, want)
		}
	}
}

func TestFields(t *testing.T) {
	m := fixture()
	c := compile(t, "SELECT FIELDS(STANDARD) FROM Account WHERE Name = 'Acme'")
	res, _ := c.Execute(context.Background(), m, opts())
	rows, err := c.Page(context.Background(), m, res.IDs, opts())
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.Get("Name") != "Acme" || !r.Has("Industry") || r.Has("Regions__c") || r.Has("BillingAddress") {
		t.Errorf("FIELDS(STANDARD): %v", r.Keys())
	}
	c = compile(t, "SELECT FIELDS(CUSTOM) FROM Account LIMIT 200")
	var cols []string
	for _, m := range c.Columns() {
		cols = append(cols, m.ColumnName)
		if !m.Custom {
			t.Errorf("FIELDS(CUSTOM) gave standard field %s", m.ColumnName)
		}
	}
	if !strings.Contains(strings.Join(cols, ","), "External_Id__c,Regions__c") {
		t.Errorf("FIELDS(CUSTOM) columns: %v", cols)
	}
	if _, err := Compile("SELECT FIELDS(ALL) FROM Account", testSchema(t)); err == nil || err.(*Error).Code != CodeMalformed {
		t.Errorf("FIELDS(ALL) without LIMIT: %v", err)
	}
}

func TestColumns(t *testing.T) {
	cases := map[string]string{
		"SELECT Id, Name FROM Account": `[{"aggregate":false,"apexType":"Id","booleanType":false,"columnName":"Id","custom":false,"displayName":"Id","foreignKeyName":null,"insertable":false,"joinColumns":[],"numberType":false,"textType":false,"updatable":false},` +
			`{"aggregate":false,"apexType":"String","booleanType":false,"columnName":"Name","custom":false,"displayName":"Name","foreignKeyName":null,"insertable":true,"joinColumns":[],"numberType":false,"textType":true,"updatable":true}]`,
		"SELECT Name, Owner.Name FROM Account": `[{"aggregate":false,"apexType":"String","booleanType":false,"columnName":"Name","custom":false,"displayName":"Name","foreignKeyName":null,"insertable":true,"joinColumns":[],"numberType":false,"textType":true,"updatable":true},` +
			`{"aggregate":false,"apexType":null,"booleanType":false,"columnName":"Owner","custom":false,"displayName":"Owner","foreignKeyName":"OwnerId","insertable":false,"joinColumns":[` +
			`{"aggregate":false,"apexType":"String","booleanType":false,"columnName":"Name","custom":false,"displayName":"Name","foreignKeyName":null,"insertable":false,"joinColumns":[],"numberType":false,"textType":true,"updatable":false}],"numberType":false,"textType":false,"updatable":false}]`,
		"SELECT Name, (SELECT LastName FROM Contacts) FROM Account": `[{"aggregate":false,"apexType":"String","booleanType":false,"columnName":"Name","custom":false,"displayName":"Name","foreignKeyName":null,"insertable":true,"joinColumns":[],"numberType":false,"textType":true,"updatable":true},` +
			`{"aggregate":true,"apexType":null,"booleanType":false,"columnName":"Contacts","custom":false,"displayName":"Contacts","foreignKeyName":null,"insertable":false,"joinColumns":[` +
			`{"aggregate":false,"apexType":"String","booleanType":false,"columnName":"LastName","custom":false,"displayName":"LastName","foreignKeyName":null,"insertable":true,"joinColumns":[],"numberType":false,"textType":true,"updatable":true}],"numberType":false,"textType":false,"updatable":false}]`,
		"SELECT CampaignId, AVG(Amount) FROM Opportunity GROUP BY CampaignId": `[{"aggregate":false,"apexType":"Id","booleanType":false,"columnName":"CampaignId","custom":false,"displayName":"CampaignId","foreignKeyName":null,"insertable":true,"joinColumns":[],"numberType":false,"textType":false,"updatable":true},` +
			`{"aggregate":true,"apexType":null,"booleanType":false,"columnName":"expr0","custom":false,"displayName":"avg(Amount)","foreignKeyName":null,"insertable":false,"joinColumns":[],"numberType":true,"textType":false,"updatable":false}]`,
	}
	for q, want := range cases {
		b, err := json.Marshal(compile(t, q).Columns())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("%s\n got  %s\n want %s", q, b, want)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		q, code string
		col     int
		msg     string
	}{
		{"select count() from XYZZY", CodeInvalidType, 21, "sObject type 'XYZZY' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"SELECT Id, foo__c FROM Lead", CodeInvalidField, 12, "No such column 'foo__c' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"SELECT Id FROM Lead WHERE foo__c = 1", CodeInvalidField, 27, "No such column 'foo__c' on entity 'Lead'."},
		{"SELECT Id, Acount.Name FROM Contact", CodeInvalidField, 12, "Didn't understand relationship 'Acount' in field path."},
		{"SELECT Id, Account.Nme FROM Contact", CodeInvalidField, 12, "No such column 'Nme' on entity 'Account'."},
		{"SELECT Id FROM Account ORDER BY Parent.Foo.Name", CodeInvalidField, 33, "Didn't understand relationship 'Foo' in field path."},
		{"SELECT Name, (SELECT Id FROM Contactz) FROM Account", CodeInvalidType, 30, "Didn't understand relationship 'Contactz' in FROM part of query call."},
		{"SELECT Id FROM Account OFFSET 2001", CodeOutOfRange, 31, "Maximum SOQL offset allowed is 2000"},
		{"SELECT Id FROM", CodeMalformed, 15, "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Account WHERE", CodeMalformed, 29, "unexpected token: '<EOF>'"},
		{"SELECT Id Account", CodeMalformed, 18, "unexpected token: '<EOF>'"},
		{"SELECT FROM Account", CodeMalformed, 8, "unexpected token: 'FROM'"},
		{"SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", CodeMalformed, 56, "unexpected token: 'OR'"},
		{"SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' AND Name = 'c'", CodeMalformed, 55, "unexpected token: 'AND'"},
		{"SELECT Id FROM Account LIMIT x", CodeMalformed, 30, "unexpected token: 'x'"},
		{"SELECT Id FROM Account WHERE Name = 'abc", CodeMalformed, 37, ""},
		{"SELECT Id FROM Account WHERE Name = 'a\\qb'", CodeMalformed, 37, "Illegal escape sequence"},
		{"SELECT Id FROM Account extra junk", CodeMalformed, 30, "unexpected token: 'junk'"},
		{"SELECT Id FROM Account WHERE IsDeleted = 'true'", CodeInvalidField, 42, "value of filter criterion for field 'IsDeleted' must be of type boolean and should not be enclosed in quotes"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees = '5'", CodeInvalidField, 50, "must be of type integer"},
		{"SELECT Id FROM Account WHERE Name = 5", CodeInvalidField, 37, "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes"},
		{"SELECT Id FROM Opportunity WHERE CloseDate = '2024-01-01'", CodeInvalidField, 46, "must be of type date"},
		{"SELECT Id FROM Account WHERE Id = 'nope'", CodeInvalidFilter, 35, "invalid ID field: nope"},
		{"SELECT Id FROM Account WHERE Name INCLUDES ('a')", CodeInvalidFilter, 35, "includes or excludes operator only valid on multipicklist field"},
		{"SELECT Id FROM Account WHERE NumberOfEmployees LIKE '5'", CodeInvalidFilter, 48, "LIKE"},
		{"SELECT Id FROM Account WHERE Description = 'x'", CodeInvalidField, 30, "field 'Description' can not be filtered in a query call"},
		{"SELECT Name, COUNT(Id) FROM Account", CodeMalformed, 8, "Field must be grouped or aggregated: Name"},
		{"SELECT SUM(Name) FROM Account", CodeInvalidField, 12, "does not support aggregate operator SUM"},
		{"SELECT Id FROM Account WHERE Id IN (SELECT Name FROM Contact)", CodeMalformed, 33, "semi join"},
		{"SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS", CodeMalformed, 55, "unexpected token: '<EOF>'"},
		{"SELECT TYPEOF What WHEN Nope THEN Name END FROM Event", CodeInvalidType, 25, "sObject type 'Nope' is not supported."},
		{"SELECT TYPEOF What WHEN Account THEN Nme END FROM Event", CodeInvalidField, 38, "No such column 'Nme' on entity 'Account'."},
		{"SELECT Id\nFROM Nope", CodeInvalidType, 6, "sObject type 'Nope' is not supported."},
	}
	for _, tc := range tests {
		_, err := Compile(tc.q, testSchema(t))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v, want *Error", tc.q, err)
			continue
		}
		if e.Code != tc.code {
			t.Errorf("%s: code %s, want %s (%s)", tc.q, e.Code, tc.code, e.Message)
		}
		if want := fmt.Sprintf("Column:%d\n", tc.col); !strings.Contains(e.Message, want) {
			t.Errorf("%s: message %q lacks %q", tc.q, e.Message, want)
		}
		if !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: message %q lacks %q", tc.q, e.Message, tc.msg)
		}
	}
	// The exact shape of a message.
	_, err := Compile("select count() from XYZZY", testSchema(t))
	want := "\nselect count() from XYZZY\n                    ^\nERROR at Row:1:Column:21\nsObject type 'XYZZY' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
	if err.(*Error).Message != want {
		t.Errorf("message:\n%q\nwant\n%q", err.(*Error).Message, want)
	}
}

func TestAcceptedClauses(t *testing.T) {
	for _, q := range []string{
		"SELECT Id FROM Account WITH SECURITY_ENFORCED",
		"SELECT Id FROM Account FOR VIEW",
		"SELECT Id FROM Account WHERE Name = 'x' FOR UPDATE",
		"SELECT Id FROM Account USING SCOPE Everything",
		"SELECT Id FROM Account WHERE Name = 'a\\'b\\\"c\\\\d\\n\\r\\t\\b\\f\\u00e9'",
		"SELECT toLabel(Industry) FROM Account",
		"SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST LIMIT 10 OFFSET 2000",
		"SELECT Id FROM Account WHERE NumberOfEmployees = 1e3",
	} {
		if _, err := Compile(q, testSchema(t)); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestStringEscapes(t *testing.T) {
	m := fixture()
	m.add("Account", Record{"Id": id("001", 90), "Name": "O'Brien \\ Co"})
	ids["obrien"] = id("001", 90)
	if got := execIDs(t, m, `SELECT Id FROM Account WHERE Name = 'o\'brien \\ co'`, opts()); got != "obrien" {
		t.Errorf("escapes: %s", got)
	}
	if got := execIDs(t, m, `SELECT Id FROM Account WHERE Name LIKE '%\'%'`, opts()); got != "obrien" {
		t.Errorf("escapes in LIKE: %s", got)
	}
}

func TestLikeMatcher(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"a%", "ABC", true}, {"%c", "abc", true}, {"%b%", "abc", true}, {"a_c", "abc", true},
		{"a_c", "abbc", false}, {"%", "", true}, {"a%b%c", "aXbYc", true}, {"a%b%c", "aXcYb", false},
		{"\x00%", "%", true}, {"\x00%", "x", false}, {"\x00_x", "_x", true}, {"\x00_x", "ax", false},
		{"é%", "Élan", true},
	}
	for _, tc := range tests {
		if got := compileLike(tc.pat)(tc.s); got != tc.want {
			t.Errorf("LIKE %q on %q = %v", tc.pat, tc.s, got)
		}
	}
}

type failSource struct{ *memSource }

func (f failSource) Get(ctx context.Context, id string) (Record, error) {
	return nil, errors.New("boom")
}

func TestSourceErrors(t *testing.T) {
	m := fixture()
	q := compile(t, "SELECT Id FROM Contact WHERE Account.Name = 'Acme'")
	if _, err := q.Execute(context.Background(), failSource{m}, opts()); err == nil || err.Error() != "boom" {
		t.Errorf("Execute with failing Get: %v", err)
	}
}

func TestConcurrentExecute(t *testing.T) {
	m := fixture()
	q := compile(t, "SELECT Name, Account.Name, (SELECT Id FROM Cases) FROM Contact WHERE Account.Name = 'Acme' AND CreatedDate != TODAY ORDER BY Name")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := q.Execute(context.Background(), m, opts())
			if err != nil || len(res.IDs) != 2 {
				t.Errorf("concurrent: %v %v", res, err)
				return
			}
			if _, err := q.Page(context.Background(), m, res.IDs, opts()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestRowJSON(t *testing.T) {
	r := NewRow().Set("b", 1.5).Set("a", nil).Set("s", "<&>\u2028\x01").Set("n", []*Row{NewRow().Set("x", true)})
	r.Set("b", int64(2))
	// json.Marshal re-escapes <, > and & in a Marshaler's output; AppendJSON does not.
	b, _ := r.AppendJSON(nil)
	want := `{"b":2,"a":null,"s":"<&>\u2028\u0001","n":[{"x":true}]}`
	if string(b) != want {
		t.Errorf("got %s want %s", b, want)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, f := range []float64{0, 1e21, 1e-7, 123456789012, -0.5} {
		got := string(appendFloat(nil, f))
		want, _ := json.Marshal(f)
		if got != string(want) {
			t.Errorf("float %v: %s want %s", f, got, want)
		}
	}
}
