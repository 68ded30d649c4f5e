package soql

import "testing"

func TestFiscalLiteralsFollowTheCalendar(t *testing.T) {
	for _, tc := range []struct{ fiscal, calendar string }{
		{"THIS_FISCAL_YEAR", "THIS_YEAR"},
		{"LAST_FISCAL_QUARTER", "LAST_QUARTER"},
		{"NEXT_N_FISCAL_YEARS", "NEXT_N_YEARS"},
		{"N_FISCAL_QUARTERS_AGO", "N_QUARTERS_AGO"},
		{"TODAY", "TODAY"},
	} {
		if got := calendarName(tc.fiscal); got != tc.calendar {
			t.Errorf("calendarName(%s) = %s, want %s", tc.fiscal, got, tc.calendar)
		}
	}
	if _, ok := dateLiteral("THIS_FISCAL_YEAR"); !ok {
		t.Error("THIS_FISCAL_YEAR is not a date literal")
	}
	if _, ok := dateLiteralN("LAST_N_FISCAL_QUARTERS"); !ok {
		t.Error("LAST_N_FISCAL_QUARTERS:n is not a date literal")
	}
	if _, ok := dateLiteral("NEXT_FISCAL_DECADE"); ok {
		t.Error("NEXT_FISCAL_DECADE should not be a date literal")
	}
}
