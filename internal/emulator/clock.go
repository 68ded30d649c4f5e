package emulator

import (
	"encoding/json"
	"net/http"
	"time"
)

// clockRequest is the body of POST /__emulator/clock: exactly one of
// Advance (a Go duration such as "168h") or Set (an RFC 3339 time).
type clockRequest struct {
	Advance string `json:"advance"`
	Set     string `json:"set"`
}

// clockState is what the clock lever answers.
type clockState struct {
	Now    string `json:"now"`    // the org's clock, RFC 3339 in UTC
	Offset string `json:"offset"` // how far it is ahead of the real clock
}

// AdvanceClock moves the org's clock d ahead. Everything that reads the
// org's time sees it at once: session and authorization-code expiry, bulk
// job retention, query locators, CreatedDate of new records, date literals.
// The clock never moves back (Salesforce's does not), except by ResetClock.
func (o *Org) AdvanceClock(d time.Duration) {
	if d > 0 {
		o.clockOffset.Add(int64(d))
	}
}

// ResetClock puts the org's clock back on the real one.
func (o *Org) ResetClock() { o.clockOffset.Store(0) }

func (o *Org) clockState() clockState {
	return clockState{Now: o.now().UTC().Format(time.RFC3339Nano), Offset: time.Duration(o.clockOffset.Load()).String()}
}

// handleClock serves the clock lever:
//
//	GET    /__emulator/clock                          {"now": ..., "offset": ...}
//	POST   /__emulator/clock {"advance": "168h"}      move the clock ahead
//	POST   /__emulator/clock {"set": "2027-01-01T00:00:00Z"}   move it to a later time
//	DELETE /__emulator/clock                          back to the real clock
//
// Moving back (a negative advance, a set before now) is refused: records,
// jobs and sessions stamped "later" than now would make no sense.
func (e *Emulator) handleClock(w http.ResponseWriter, r *http.Request) {
	o := e.org
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		o.ResetClock()
	case http.MethodPost:
		var req clockRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, errf(400, "JSON_PARSER_ERROR", nil, "bad clock request: %v", err))
			return
		}
		switch {
		case req.Advance != "" && req.Set == "":
			d, err := time.ParseDuration(req.Advance)
			if err != nil || d < 0 {
				writeError(w, errf(400, "INVALID_INPUT", nil, "advance: want a positive Go duration such as \"168h\", got %q", req.Advance))
				return
			}
			o.AdvanceClock(d)
		case req.Set != "" && req.Advance == "":
			at, err := time.Parse(time.RFC3339Nano, req.Set)
			if err != nil {
				writeError(w, errf(400, "INVALID_INPUT", nil, "set: want an RFC 3339 time such as \"2027-01-01T00:00:00Z\", got %q", req.Set))
				return
			}
			d := at.Sub(o.now())
			if d < 0 {
				writeError(w, errf(400, "INVALID_INPUT", nil, "set: %s is before the org's clock (%s); the clock only moves ahead", req.Set, o.clockState().Now))
				return
			}
			o.AdvanceClock(d)
		default:
			writeError(w, errf(400, "INVALID_INPUT", nil, `want exactly one of "advance" or "set"`))
			return
		}
	default:
		writeError(w, methodNotAllowed(r.Method, "GET", "POST", "DELETE"))
		return
	}
	writeJSON(w, 200, o.clockState())
}
