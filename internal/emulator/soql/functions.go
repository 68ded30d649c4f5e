package soql

import (
	"math"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
)

// dateFns are SOQL's date functions. Each takes a date or dateTime value
// (time zone: the emulator's users are all in UTC, so convertTimezone() is
// the identity) and answers a number, except DAY_ONLY which answers a date.
// The org's fiscal year starts in January (Organization.FiscalYearStartMonth
// is not set), so the FISCAL_ functions agree with the CALENDAR_ ones.
var dateFns = map[string]func(t time.Time) any{
	"CALENDAR_MONTH":   func(t time.Time) any { return float64(t.Month()) },
	"CALENDAR_QUARTER": func(t time.Time) any { return float64((int(t.Month())-1)/3 + 1) },
	"CALENDAR_YEAR":    func(t time.Time) any { return float64(t.Year()) },
	"DAY_IN_MONTH":     func(t time.Time) any { return float64(t.Day()) },
	"DAY_IN_WEEK":      func(t time.Time) any { return float64(t.Weekday()) + 1 }, // 1 = Sunday
	"DAY_IN_YEAR":      func(t time.Time) any { return float64(t.YearDay()) },
	"DAY_ONLY":         func(t time.Time) any { return t.Format(dateLayout) },
	"FISCAL_MONTH":     func(t time.Time) any { return float64(t.Month()) },
	"FISCAL_QUARTER":   func(t time.Time) any { return float64((int(t.Month())-1)/3 + 1) },
	"FISCAL_YEAR":      func(t time.Time) any { return float64(t.Year()) },
	"HOUR_IN_DAY":      func(t time.Time) any { return float64(t.Hour()) },
	"WEEK_IN_MONTH":    func(t time.Time) any { return float64((t.Day()-1)/7 + 1) },
	"WEEK_IN_YEAR":     func(t time.Time) any { return float64((t.YearDay()-1)/7 + 1) },
}

// datetimeOnlyFns refuse a date field: a date has no hour or time of day.
var datetimeOnlyFns = map[string]bool{"DAY_ONLY": true, "HOUR_IN_DAY": true}

// storedTime reads a stored date ("2006-01-02") or datetime value.
func storedTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || len(s) < 10 {
		return time.Time{}, false
	}
	if len(s) == 10 {
		t, err := time.Parse(dateLayout, s)
		return t, err == nil
	}
	return parseDateTime(s)
}

// isDateFn reports whether fn is a date function.
func isDateFn(fn string) bool { _, ok := dateFns[fn]; return ok }

// scalar is a compiled non-aggregate function of a field.
type scalar struct {
	get  getter
	cls  class
	fr   *fieldRef
	text string // normalized, to match GROUP BY keys
}

// compileScalar compiles a date function, convertTimezone, toLabel,
// convertCurrency, FORMAT or DISTANCE call on a field of sc. ctx names where
// it appears ("WHERE", "SELECT", "GROUP BY", "ORDER BY") for the rules that
// differ between clauses.
func (c *compiler) compileScalar(sc scope, e exprNode, ctx string) (*scalar, *Error) {
	switch {
	case e.fn == "DISTANCE":
		return c.compileDistance(sc, e)
	case isDateFn(e.fn):
		arg := exprNode{pos: e.argPos, path: e.path}
		if e.inner != nil {
			if e.inner.fn != "CONVERTTIMEZONE" || e.inner.inner != nil {
				return nil, c.errAt(e.inner.pos, CodeMalformed, "unexpected token: '"+e.inner.fn+"'")
			}
			arg = exprNode{pos: e.inner.argPos, path: e.inner.path}
		}
		fr, err := c.resolvePath(sc, arg.path, arg.pos)
		if err != nil {
			return nil, err
		}
		if fr.cls != clsDate && fr.cls != clsDateTime {
			return nil, c.errAt(arg.pos, CodeMalformed, "Invalid date function argument: "+fr.leaf.Name+" must be a date or dateTime field")
		}
		if fr.cls == clsDate && datetimeOnlyFns[e.fn] {
			return nil, c.errAt(arg.pos, CodeMalformed, e.fn+" can only be used with a dateTime field")
		}
		if e.inner != nil && fr.cls != clsDateTime {
			return nil, c.errAt(arg.pos, CodeMalformed, "convertTimezone() can only be used with a dateTime field")
		}
		fn, get := dateFns[e.fn], fr.getter()
		cls := clsNumber
		if e.fn == "DAY_ONLY" {
			cls = clsDate
		}
		return &scalar{cls: cls, fr: fr, text: e.fn + "(" + fr.key() + ")", get: func(ec *evalCtx, r Record) any {
			t, ok := storedTime(get(ec, r))
			if !ok {
				return nil
			}
			return fn(t)
		}}, nil
	case e.fn == "CONVERTTIMEZONE":
		return nil, c.errAt(e.pos, CodeMalformed, "convertTimezone() can only be used inside a date function")
	case e.fn == "TOLABEL", e.fn == "CONVERTCURRENCY", e.fn == "FORMAT":
		if e.inner != nil {
			if e.fn == "FORMAT" && ctx == "SELECT" {
				// FORMAT(MIN(x)) and FORMAT(convertCurrency(x)) are handled by the callers.
				return nil, nil
			}
			return nil, c.errAt(e.inner.pos, CodeMalformed, "unexpected token: '"+e.inner.fn+"'")
		}
		if e.fn == "FORMAT" && ctx != "SELECT" {
			return nil, c.errAt(e.pos, CodeMalformed, "FORMAT() can only be used in the SELECT clause")
		}
		fr, err := c.resolvePath(sc, e.path, e.argPos)
		if err != nil {
			return nil, err
		}
		get := fr.getter()
		switch e.fn {
		case "TOLABEL":
			if fr.leaf.Type != "picklist" && fr.leaf.Type != "multipicklist" && fr.leaf.Type != "reference" {
				return nil, c.errAt(e.argPos, CodeInvalidField, "toLabel() can only be used with picklist and record type fields: "+fr.leaf.Name)
			}
			labels := map[string]string{}
			for _, pv := range fr.leaf.PicklistValues {
				labels[strings.ToLower(pv.Value)] = pv.Label
			}
			get = func(ec *evalCtx, r Record) any {
				v, _ := fr.getter()(ec, r).(string)
				if l, ok := labels[strings.ToLower(v)]; ok {
					return l
				}
				if v == "" {
					return nil
				}
				return v
			}
			return &scalar{get: get, cls: clsString, fr: fr, text: "TOLABEL(" + fr.key() + ")"}, nil
		case "CONVERTCURRENCY":
			if fr.leaf.Type != "currency" {
				return nil, c.errAt(e.argPos, CodeInvalidField, "convertCurrency() can only be used with currency fields: "+fr.leaf.Name)
			}
		}
		// The emulated org has one currency: convertCurrency() and FORMAT() keep the value.
		return &scalar{get: get, cls: fr.cls, fr: fr, text: fr.key()}, nil
	}
	if aggregateFns[e.fn] {
		return nil, c.errAt(e.pos, CodeMalformed, "Aggregate functions are not allowed in this context: "+e.String())
	}
	return nil, c.errAt(e.pos, CodeMalformed, "unknown function: "+e.fn)
}

// geoFields finds the latitude and longitude fields behind a location or
// address field: BillingAddress -> BillingLatitude/BillingLongitude,
// Where__c -> Where__Latitude__s/Where__Longitude__s.
func geoFields(o *schema.Object, f *schema.Field) (lat, lon *schema.Field) {
	switch f.Type {
	case "address":
		p := strings.TrimSuffix(f.Name, "Address")
		return o.Field(p + "Latitude"), o.Field(p + "Longitude")
	case "location":
		p := strings.TrimSuffix(f.Name, "__c")
		if f.Name == p {
			return o.Field(p + "Latitude"), o.Field(p + "Longitude")
		}
		return o.Field(p + "__Latitude__s"), o.Field(p + "__Longitude__s")
	}
	return nil, nil
}

func (c *compiler) compileDistance(sc scope, e exprNode) (*scalar, *Error) {
	if e.inner != nil {
		return nil, c.errAt(e.inner.pos, CodeMalformed, "unexpected token: '"+e.inner.fn+"'")
	}
	fr, err := c.resolvePath(sc, e.path, e.argPos)
	if err != nil {
		return nil, err
	}
	if len(fr.hops) > 0 || fr.polyLeaf != nil {
		return nil, c.errAt(e.argPos, CodeInvalidField, "DISTANCE can only be used with a location or address field of the queried object: "+e.path)
	}
	lat, lon := geoFields(sc.obj, fr.leaf)
	if lat == nil || lon == nil {
		return nil, c.errAt(e.argPos, CodeInvalidField, "DISTANCE can only be used with location or address fields: "+fr.leaf.Name)
	}
	radius := 0.0
	switch e.geo.unit {
	case "mi":
		radius = 3958.7613
	case "km":
		radius = 6371.0088
	default:
		return nil, c.errAt(e.geo.unitPos, CodeMalformed, "Invalid distance unit: '"+e.geo.unit+"'. Use 'mi' or 'km'")
	}
	if math.Abs(e.geo.lat) > 90 || math.Abs(e.geo.lon) > 180 {
		return nil, c.errAt(e.pos, CodeMalformed, "Invalid latitude or longitude in GEOLOCATION")
	}
	lat0, lon0 := e.geo.lat*math.Pi/180, e.geo.lon*math.Pi/180
	latName, lonName := lat.Name, lon.Name
	return &scalar{cls: clsNumber, fr: fr, text: "DISTANCE", get: func(_ *evalCtx, r Record) any {
		la, ok1 := toFloat(r[latName])
		lo, ok2 := toFloat(r[lonName])
		if !ok1 || !ok2 || isNull(r[latName]) || isNull(r[lonName]) {
			return nil
		}
		la, lo = la*math.Pi/180, lo*math.Pi/180
		// haversine
		h := math.Pow(math.Sin((la-lat0)/2), 2) + math.Cos(lat0)*math.Cos(la)*math.Pow(math.Sin((lo-lon0)/2), 2)
		return 2 * radius * math.Asin(math.Min(1, math.Sqrt(h)))
	}}, nil
}
