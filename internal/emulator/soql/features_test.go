package soql

import (
	"errors"
	"strings"
	"testing"
)

func TestRollupCubeGrouping(t *testing.T) {
	m := fixture()
	tests := []struct{ q, want string }{
		// ROLLUP(a): the groups, then the grand total with a null key and GROUPING() = 1.
		{"SELECT Industry, COUNT(Id) cnt, GROUPING(Industry) g FROM Account GROUP BY ROLLUP(Industry)",
			`[{"attributes":{"type":"AggregateResult"},"Industry":"Technology","cnt":2,"g":0},` +
				`{"attributes":{"type":"AggregateResult"},"Industry":null,"cnt":4,"g":1},` +
				`{"attributes":{"type":"AggregateResult"},"Industry":null,"cnt":1,"g":0},` +
				`{"attributes":{"type":"AggregateResult"},"Industry":"Retail","cnt":1,"g":0}]`},
		// ROLLUP(a, b) has (a, b), (a) and (); CUBE adds (b).
		// (StageName is a picklist: it sorts in its defined order, Prospecting before Closed Won.)
		{"SELECT StageName, IsWon, SUM(Amount) FROM Opportunity GROUP BY ROLLUP(StageName, IsWon) ORDER BY StageName NULLS LAST, IsWon NULLS LAST",
			`[{"attributes":{"type":"AggregateResult"},"StageName":"Prospecting","IsWon":false,"expr0":400},` +
				`{"attributes":{"type":"AggregateResult"},"StageName":"Prospecting","IsWon":null,"expr0":400},` +
				`{"attributes":{"type":"AggregateResult"},"StageName":"Closed Won","IsWon":true,"expr0":500},` +
				`{"attributes":{"type":"AggregateResult"},"StageName":"Closed Won","IsWon":null,"expr0":500},` +
				`{"attributes":{"type":"AggregateResult"},"StageName":null,"IsWon":null,"expr0":900}]`},
		{"SELECT IsWon, GROUPING(StageName) gs, GROUPING(IsWon) gw, COUNT(Id) FROM Opportunity GROUP BY CUBE(StageName, IsWon) HAVING GROUPING(StageName) = 1",
			``},
	}
	for _, tc := range tests[:2] {
		if got := pageJSON(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
	// CUBE: 2 stages x 1 IsWon each = 2 full groups, 2 by stage, 2 by IsWon, 1 total.
	res, err := compile(t, "SELECT StageName, IsWon, GROUPING(StageName) gs, GROUPING(IsWon) gw, COUNT(Id) FROM Opportunity GROUP BY CUBE(StageName, IsWon)").
		Execute(t.Context(), m, opts())
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]int{}
	for _, r := range res.Rows {
		flags[strings.TrimSpace(string(rune('0'+r.Get("gs").(int64)))+string(rune('0'+r.Get("gw").(int64))))]++
	}
	if len(res.Rows) != 7 || flags["00"] != 2 || flags["01"] != 2 || flags["10"] != 2 || flags["11"] != 1 {
		t.Errorf("CUBE rows %d, grouping flags %v", len(res.Rows), flags)
	}
}

func TestDateFunctions(t *testing.T) {
	m := fixture()
	tests := []struct{ q, want string }{
		{"SELECT CALENDAR_YEAR(CreatedDate) y, CALENDAR_MONTH(CreatedDate) mo, COUNT(Id) n FROM Account GROUP BY CALENDAR_YEAR(CreatedDate), CALENDAR_MONTH(CreatedDate) ORDER BY CALENDAR_MONTH(CreatedDate)",
			`[{"attributes":{"type":"AggregateResult"},"y":2024,"mo":5,"n":1},{"attributes":{"type":"AggregateResult"},"y":2024,"mo":6,"n":3}]`},
		{"SELECT DAY_ONLY(CreatedDate), COUNT(Id) FROM Account GROUP BY DAY_ONLY(CreatedDate) HAVING COUNT(Id) > 0 ORDER BY DAY_ONLY(CreatedDate) DESC LIMIT 2",
			`[{"attributes":{"type":"AggregateResult"},"expr0":"2024-06-13","expr1":1},{"attributes":{"type":"AggregateResult"},"expr0":"2024-06-12","expr1":1}]`},
		{"SELECT HOUR_IN_DAY(convertTimezone(CreatedDate)) h, COUNT(Id) FROM Account GROUP BY HOUR_IN_DAY(convertTimezone(CreatedDate)) ORDER BY HOUR_IN_DAY(convertTimezone(CreatedDate))",
			`[{"attributes":{"type":"AggregateResult"},"h":0,"expr0":1},{"attributes":{"type":"AggregateResult"},"h":9,"expr0":1},` +
				`{"attributes":{"type":"AggregateResult"},"h":10,"expr0":1},{"attributes":{"type":"AggregateResult"},"h":23,"expr0":1}]`},
		{"SELECT FISCAL_QUARTER(CloseDate) q, SUM(Amount) FROM Opportunity GROUP BY FISCAL_QUARTER(CloseDate)",
			`[{"attributes":{"type":"AggregateResult"},"q":2,"expr0":900}]`},
	}
	for _, tc := range tests {
		if got := pageJSON(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
	where := []struct{ q, want string }{
		{"SELECT Id FROM Account WHERE CALENDAR_MONTH(CreatedDate) = 5", "initech"},
		{"SELECT Id FROM Account WHERE DAY_IN_WEEK(CreatedDate) = 4", "acme"}, // 2024-06-12 is a Wednesday
		{"SELECT Id FROM Account WHERE DAY_IN_MONTH(CreatedDate) >= 12 AND CALENDAR_QUARTER(CreatedDate) = 2", "acme,initech,pure"},
		{"SELECT Id FROM Account WHERE DAY_IN_YEAR(CreatedDate) = 164", "acme"},
		{"SELECT Id FROM Account WHERE WEEK_IN_YEAR(CreatedDate) = 24 AND WEEK_IN_MONTH(CreatedDate) = 2", "acme,globex,pure"},
		{"SELECT Id FROM Opportunity WHERE FISCAL_YEAR(CloseDate) = 2024 AND FISCAL_MONTH(CloseDate) = 6", "big,small"},
		{"SELECT Id FROM Opportunity WHERE CALENDAR_YEAR(CloseDate) = 2023", ""},
	}
	for _, tc := range where {
		if got := execIDs(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
}

func TestScalarFunctionsInWhereAndSelect(t *testing.T) {
	m := fixture()
	m.add("Account", Record{"Id": id("001", 20), "Name": "SF", "BillingLatitude": 37.7749, "BillingLongitude": -122.4194})
	m.add("Account", Record{"Id": id("001", 21), "Name": "Oakland", "BillingLatitude": 37.8044, "BillingLongitude": -122.2712})
	m.add("Account", Record{"Id": id("001", 22), "Name": "NYC", "BillingLatitude": 40.7128, "BillingLongitude": -74.0060})
	ids["sf"], ids["oak"], ids["nyc"] = id("001", 20), id("001", 21), id("001", 22)
	where := []struct{ q, want string }{
		{"SELECT Id FROM Account WHERE DISTANCE(BillingAddress, GEOLOCATION(37.775, -122.418), 'mi') < 20", "sf,oak"},
		{"SELECT Id FROM Account WHERE DISTANCE(BillingAddress, GEOLOCATION(37.775, -122.418), 'km') > 1000", "nyc"},
		{"SELECT Id FROM Account WHERE BillingLatitude != null ORDER BY DISTANCE(BillingAddress, GEOLOCATION(40.7, -74.0), 'km') LIMIT 2", "nyc,oak"},
		{"SELECT Id FROM Lead WHERE toLabel(Status) = 'Working - Contacted'", "owned"},
		{"SELECT Id FROM Opportunity WHERE convertCurrency(Amount) > 200", "big,mid"},
	}
	for _, tc := range where {
		if got := execIDs(t, m, tc.q, opts()); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, got, tc.want)
		}
	}
	got := pageJSON(t, m, "SELECT Name, DISTANCE(BillingAddress, GEOLOCATION(37.7749, -122.4194), 'km') dist FROM Account WHERE Name = 'SF'", opts())
	if !strings.Contains(got, `"Name":"SF","dist":0}`) {
		t.Errorf("DISTANCE in SELECT: %s", got)
	}
	got = pageJSON(t, m, "SELECT StageName, FORMAT(MIN(CloseDate)) FROM Opportunity WHERE Name = 'Big Deal' GROUP BY StageName", opts())
	if got != `[{"attributes":{"type":"AggregateResult"},"StageName":"Closed Won","expr0":"2024-06-15"}]` {
		t.Errorf("FORMAT: %s", got)
	}
	got = pageJSON(t, m, "SELECT Name, FORMAT(convertCurrency(Amount)) FROM Opportunity WHERE Name = 'Big Deal'", opts())
	if !strings.Contains(got, `"Name":"Big Deal","Amount":500}`) {
		t.Errorf("FORMAT(convertCurrency()): %s", got)
	}
}

func TestNestedChildSubqueriesAndGroupObject(t *testing.T) {
	m := fixture()
	got := pageJSON(t, m, "SELECT Name, (SELECT LastName, (SELECT Subject FROM Events) FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Acme'", opts())
	if !strings.Contains(got, `"LastName":"Jones","Events":null}`) || !strings.Contains(got, `"LastName":"Smith","Events":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Event"`) ||
		!strings.Contains(got, `"Subject":"Call"}]}}]}}]`) {
		t.Errorf("two levels: %s", got)
	}
	if got := execIDs(t, m, "SELECT Id FROM Group WHERE Type = 'Queue'", opts()); got != "queue" {
		t.Errorf("FROM Group: %s", got)
	}
	if got := execIDs(t, m, "SELECT Id FROM Group g WHERE g.Name LIKE 'Support%' ORDER BY Name", opts()); got != "queue" {
		t.Errorf("FROM Group with an alias: %s", got)
	}
}

func TestRefusedLikeSalesforce(t *testing.T) {
	tests := []struct{ q, code, msg string }{
		{"SELECT COUNT() FROM Account ORDER BY Name", CodeMalformed, "COUNT() and ORDER BY may not be used together"},
		{"SELECT Industry, COUNT(Id) n, MAX(NumberOfEmployees) n FROM Account GROUP BY Industry", CodeMalformed, "duplicate alias: n"},
		{"SELECT Id FROM Account WHERE Name = 'x' OR Id IN (SELECT AccountId FROM Contact)", CodeMalformed, "Semi join sub-selects are not allowed with the 'OR' operator"},
		{"SELECT Id FROM Account WHERE Name = 'x' AND (Name = 'y' OR Id IN (SELECT AccountId FROM Contact))", CodeMalformed, "only allowed at the top level WHERE expressions"},
		{"SELECT Id FROM Account WHERE NOT Id IN (SELECT AccountId FROM Contact)", CodeMalformed, "only allowed at the top level WHERE expressions"},
		{"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Id IN (SELECT WhoId FROM Event))", CodeMalformed, "Nesting of semi join sub-selects is not supported"},
		{"SELECT Id FROM Account WHERE CreatedDate > 2024-01-01", CodeInvalidField, "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"},
		{"SELECT Id FROM Account USING SCOPE Nobody", CodeMalformed, "Invalid scope:Nobody"},
		{"SELECT Id FROM Account USING SCOPE delegated", CodeMalformed, "Invalid scope:delegated"}, // not among Account's supportedScopes
		{"SELECT Id FROM Account WITH NOTHING", CodeMalformed, "unexpected token: 'NOTHING'"},
		{"SELECT Id FROM Account WHERE DISTANCE(BillingAddress, GEOLOCATION(1, 2), 'ft') < 5", CodeMalformed, "Invalid distance unit"},
		{"SELECT Id FROM Account WHERE DISTANCE(Name, GEOLOCATION(1, 2), 'mi') < 5", CodeInvalidField, "location or address"},
		{"SELECT Id FROM Opportunity WHERE HOUR_IN_DAY(CloseDate) = 1", CodeMalformed, "dateTime field"},
		{"SELECT Id FROM Account WHERE CALENDAR_YEAR(Name) = 1", CodeMalformed, "date or dateTime"},
		{"SELECT Id FROM Account WHERE FORMAT(Name) = 'x'", CodeMalformed, "FORMAT() can only be used in the SELECT clause"},
		{"SELECT Industry, GROUPING(Industry) FROM Account GROUP BY Industry", CodeMalformed, "GROUPING() can only be used with GROUP BY ROLLUP or GROUP BY CUBE"},
		{"SELECT CALENDAR_YEAR(CreatedDate) FROM Account", CodeMalformed, "Field must be grouped or aggregated"},
		{"SELECT Id, (SELECT Id, (SELECT Id, (SELECT Id, (SELECT Id, (SELECT Id, (SELECT Id FROM Contacts) FROM Contacts) FROM Contacts) FROM Contacts) FROM Contacts) FROM Contacts) FROM Account",
			CodeMalformed, "5 levels"},
	}
	for _, tc := range tests {
		_, err := Compile(tc.q, testSchema(t))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: accepted (%v)", tc.q, err)
			continue
		}
		if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: %s %q; want %s %q", tc.q, e.Code, e.Message, tc.code, tc.msg)
		}
	}
	for _, q := range []string{
		"SELECT Id FROM Account WHERE CreatedDate > TODAY",
		"SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T00:00:00Z",
		"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND Name = 'x'",
		"SELECT Id FROM Account WHERE (Id IN (SELECT AccountId FROM Contact))",
		"SELECT Id FROM Account USING SCOPE mine",
		"SELECT Id FROM Event USING SCOPE Delegated",
		"SELECT Id FROM Account USING SCOPE Everything WHERE Name = 'x'",
		"SELECT Id FROM Account WITH SECURITY_ENFORCED",
		"SELECT Id FROM Account WITH USER_MODE",
		"SELECT Id FROM Account WITH DATA CATEGORY Geography__c AT (usa__c, uk__c) AND Product__c ABOVE_OR_BELOW mobile__c",
		"SELECT Id FROM Account FOR VIEW",
		"SELECT Id FROM Account UPDATE TRACKING",
		"SELECT Id FROM Order",
	} {
		if _, err := Compile(q, testSchema(t)); err != nil && !strings.Contains(q, "Order") {
			t.Errorf("%s: %v", q, err)
		} else if err != nil && !strings.Contains(err.Error(), "INVALID_TYPE") {
			// Order is a keyword after FROM only when it starts ORDER BY; the
			// emulated org has no Order object, so it is an unknown type.
			t.Errorf("%s: %v", q, err)
		}
	}
}
