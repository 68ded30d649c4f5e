package soql

import (
	"strings"
	"time"
)

// dayRange is a half-open range of whole days [lo, hi) in UTC.
type dayRange struct{ lo, hi time.Time }

const (
	dateLayout     = "2006-01-02"
	datetimeLayout = "2006-01-02T15:04:05.000-0700"
)

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func weekStart(t time.Time) time.Time { // weeks start on Sunday (en_US locale)
	d := day(t)
	return d.AddDate(0, 0, -int(d.Weekday()))
}

func monthStart(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

func quarterStart(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, time.UTC)
}

func yearStart(t time.Time) time.Time {
	return time.Date(t.UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC)
}

func span(lo time.Time, years, months, days int) dayRange {
	return dayRange{lo, lo.AddDate(years, months, days)}
}

// dateLiterals are the date literals without a number.
var dateLiterals = map[string]func(now time.Time) dayRange{
	"TODAY":     func(n time.Time) dayRange { return span(day(n), 0, 0, 1) },
	"YESTERDAY": func(n time.Time) dayRange { return span(day(n).AddDate(0, 0, -1), 0, 0, 1) },
	"TOMORROW":  func(n time.Time) dayRange { return span(day(n).AddDate(0, 0, 1), 0, 0, 1) },
	"LAST_WEEK": func(n time.Time) dayRange { return span(weekStart(n).AddDate(0, 0, -7), 0, 0, 7) },
	"THIS_WEEK": func(n time.Time) dayRange { return span(weekStart(n), 0, 0, 7) },
	"NEXT_WEEK": func(n time.Time) dayRange { return span(weekStart(n).AddDate(0, 0, 7), 0, 0, 7) },
	"LAST_MONTH": func(n time.Time) dayRange {
		return span(monthStart(n).AddDate(0, -1, 0), 0, 1, 0)
	},
	"THIS_MONTH": func(n time.Time) dayRange { return span(monthStart(n), 0, 1, 0) },
	"NEXT_MONTH": func(n time.Time) dayRange { return span(monthStart(n).AddDate(0, 1, 0), 0, 1, 0) },
	"LAST_90_DAYS": func(n time.Time) dayRange {
		return dayRange{day(n).AddDate(0, 0, -90), day(n).AddDate(0, 0, 1)}
	},
	"NEXT_90_DAYS": func(n time.Time) dayRange { return span(day(n).AddDate(0, 0, 1), 0, 0, 90) },
	"THIS_QUARTER": func(n time.Time) dayRange { return span(quarterStart(n), 0, 3, 0) },
	"LAST_QUARTER": func(n time.Time) dayRange { return span(quarterStart(n).AddDate(0, -3, 0), 0, 3, 0) },
	"NEXT_QUARTER": func(n time.Time) dayRange { return span(quarterStart(n).AddDate(0, 3, 0), 0, 3, 0) },
	"THIS_YEAR":    func(n time.Time) dayRange { return span(yearStart(n), 1, 0, 0) },
	"LAST_YEAR":    func(n time.Time) dayRange { return span(yearStart(n).AddDate(-1, 0, 0), 1, 0, 0) },
	"NEXT_YEAR":    func(n time.Time) dayRange { return span(yearStart(n).AddDate(1, 0, 0), 1, 0, 0) },
}

// dateLiteralsN are the date literals that take a number (LAST_N_DAYS:n).
var dateLiteralsN = map[string]func(now time.Time, k int) dayRange{
	"LAST_N_DAYS":   func(n time.Time, k int) dayRange { return dayRange{day(n).AddDate(0, 0, -k), day(n).AddDate(0, 0, 1)} },
	"NEXT_N_DAYS":   func(n time.Time, k int) dayRange { return span(day(n).AddDate(0, 0, 1), 0, 0, k) },
	"N_DAYS_AGO":    func(n time.Time, k int) dayRange { return span(day(n).AddDate(0, 0, -k), 0, 0, 1) },
	"LAST_N_WEEKS":  func(n time.Time, k int) dayRange { return dayRange{weekStart(n).AddDate(0, 0, -7*k), weekStart(n)} },
	"NEXT_N_WEEKS":  func(n time.Time, k int) dayRange { return span(weekStart(n).AddDate(0, 0, 7), 0, 0, 7*k) },
	"N_WEEKS_AGO":   func(n time.Time, k int) dayRange { return span(weekStart(n).AddDate(0, 0, -7*k), 0, 0, 7) },
	"LAST_N_MONTHS": func(n time.Time, k int) dayRange { return dayRange{monthStart(n).AddDate(0, -k, 0), monthStart(n)} },
	"NEXT_N_MONTHS": func(n time.Time, k int) dayRange { return span(monthStart(n).AddDate(0, 1, 0), 0, k, 0) },
	"N_MONTHS_AGO":  func(n time.Time, k int) dayRange { return span(monthStart(n).AddDate(0, -k, 0), 0, 1, 0) },
	"LAST_N_QUARTERS": func(n time.Time, k int) dayRange {
		return dayRange{quarterStart(n).AddDate(0, -3*k, 0), quarterStart(n)}
	},
	"NEXT_N_QUARTERS": func(n time.Time, k int) dayRange { return span(quarterStart(n).AddDate(0, 3, 0), 0, 3*k, 0) },
	"N_QUARTERS_AGO":  func(n time.Time, k int) dayRange { return span(quarterStart(n).AddDate(0, -3*k, 0), 0, 3, 0) },
	"LAST_N_YEARS":    func(n time.Time, k int) dayRange { return dayRange{yearStart(n).AddDate(-k, 0, 0), yearStart(n)} },
	"NEXT_N_YEARS":    func(n time.Time, k int) dayRange { return span(yearStart(n).AddDate(1, 0, 0), k, 0, 0) },
	"N_YEARS_AGO":     func(n time.Time, k int) dayRange { return span(yearStart(n).AddDate(-k, 0, 0), 1, 0, 0) },
}

// calendarName maps a fiscal date literal to its calendar twin: the org's
// fiscal year is the calendar year (THIS_FISCAL_YEAR is THIS_YEAR,
// N_FISCAL_QUARTERS_AGO is N_QUARTERS_AGO).
func calendarName(name string) string {
	return strings.Replace(strings.Replace(name, "_FISCAL_", "_", 1), "FISCAL_", "", 1)
}

// dateLiteral looks up a date literal without a number.
func dateLiteral(name string) (func(now time.Time) dayRange, bool) {
	f, ok := dateLiterals[calendarName(name)]
	return f, ok
}

// dateLiteralN looks up a date literal that takes a number.
func dateLiteralN(name string) (func(now time.Time, k int) dayRange, bool) {
	f, ok := dateLiteralsN[calendarName(name)]
	return f, ok
}

func (v valueNode) dayRange(now time.Time) dayRange {
	if f, ok := dateLiteral(v.raw); ok {
		return f(now)
	}
	f, _ := dateLiteralN(v.raw)
	return f(now, v.n)
}

// parseDateTime reads an unquoted SOQL datetime literal.
func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, strings.Replace(s, "z", "Z", 1)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func fmtDateTime(t time.Time) string { return t.UTC().Format(datetimeLayout) }
