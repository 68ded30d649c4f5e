package emulator_test

import (
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// TestSampleOpportunitiesAreConsistent: every seeded opportunity's IsWon,
// IsClosed, Probability and forecast follow its stage, and its fiscal
// fields its close date.
func TestSampleOpportunitiesAreConsistent(t *testing.T) {
	s := emulatortest.New(t)
	for soql, want := range map[string]int{
		"SELECT Id FROM Opportunity WHERE IsWon = true AND StageName != 'Closed Won'":                         0,
		"SELECT Id FROM Opportunity WHERE StageName = 'Closed Won' AND (IsWon = false OR IsClosed = false)":   0,
		"SELECT Id FROM Opportunity WHERE StageName = 'Closed Lost' AND (IsWon = true OR IsClosed = false)":   0,
		"SELECT Id FROM Opportunity WHERE IsClosed = true AND StageName NOT IN ('Closed Won', 'Closed Lost')": 0,
		"SELECT Id FROM Opportunity WHERE StageName = 'Closed Won' AND Probability != 100":                    0,
		"SELECT Id FROM Opportunity WHERE StageName = 'Closed Lost' AND Probability != 0":                     0,
		"SELECT Id FROM Opportunity WHERE FiscalYear = null OR FiscalQuarter = null":                          0,
	} {
		if n := countOf(t, s, soql); n != want {
			t.Errorf("%s: %d, want %d", soql, n, want)
		}
	}
	if n := countOf(t, s, "SELECT Id FROM Opportunity WHERE IsWon = true"); n == 0 {
		t.Error("no won opportunities in the sample")
	}
	_, body := s.Do(t, "GET", q("SELECT CloseDate, FiscalYear, FiscalQuarter FROM Opportunity LIMIT 50"), nil)
	for _, r := range decode[queryResult](t, body).Records {
		d := r["CloseDate"].(string)
		y, qtr := r["FiscalYear"].(float64), r["FiscalQuarter"].(float64)
		month := (int(d[5]-'0')*10 + int(d[6]-'0'))
		if int(y) != atoi(d[:4]) || int(qtr) != (month-1)/3+1 {
			t.Errorf("close %s: fiscal %v Q%v", d, y, qtr)
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestOpportunityStageDrivesFields: moving a stage sets IsClosed, IsWon,
// the forecast and (unless given) the probability, as Salesforce does.
func TestOpportunityStageDrivesFields(t *testing.T) {
	s := emulatortest.New(t, func(o *emulator.Options) { o.NoSampleData = true })
	id := create(t, s, "Opportunity", map[string]any{"Name": "D", "StageName": "Prospecting", "CloseDate": "2026-08-15"})
	get := func() map[string]any {
		_, b := s.Do(t, "GET", v+"/sobjects/Opportunity/"+id, nil)
		return decode[map[string]any](t, b)
	}
	r := get()
	if r["IsClosed"] != false || r["IsWon"] != false || r["Probability"] != float64(10) || r["ForecastCategoryName"] != "Pipeline" ||
		r["FiscalYear"] != float64(2026) || r["FiscalQuarter"] != float64(3) {
		t.Errorf("new: %v %v %v %v %v %v", r["IsClosed"], r["IsWon"], r["Probability"], r["ForecastCategoryName"], r["FiscalYear"], r["FiscalQuarter"])
	}
	if status, b := s.Do(t, "PATCH", v+"/sobjects/Opportunity/"+id, map[string]any{"StageName": "Closed Won"}); status != 204 {
		t.Fatalf("patch: %d %s", status, b)
	}
	r = get()
	if r["IsClosed"] != true || r["IsWon"] != true || r["Probability"] != float64(100) || r["ForecastCategoryName"] != "Closed" {
		t.Errorf("won: %v %v %v %v", r["IsClosed"], r["IsWon"], r["Probability"], r["ForecastCategoryName"])
	}
	if status, b := s.Do(t, "PATCH", v+"/sobjects/Opportunity/"+id, map[string]any{"StageName": "Negotiation/Review", "Probability": 55, "CloseDate": "2027-01-02"}); status != 204 {
		t.Fatalf("patch: %d %s", status, b)
	}
	r = get()
	if r["IsClosed"] != false || r["Probability"] != float64(55) || r["FiscalYear"] != float64(2027) || r["FiscalQuarter"] != float64(1) {
		t.Errorf("reopened: %v %v %v %v", r["IsClosed"], r["Probability"], r["FiscalYear"], r["FiscalQuarter"])
	}
}
