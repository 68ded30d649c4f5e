package emulator

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfmcp/sfmcp/internal/sfid"
)

// handleIdentity serves the identity URL, /id/{orgId}/{userId}, with the
// fields of the "Identity URL Response". The token may come as a bearer
// header or as the oauth_token parameter (jsforce's identity() sends the
// latter); version=NN.0 or latest fills in the {version} of the URLs.
func (e *Emulator) handleIdentity(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		writeError(w, methodNotAllowed(r.Method))
		return
	}
	badToken := func() {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Bad_OAuth_Token"))
	}
	var sess *session
	var aerr *apiError
	if tok := r.URL.Query().Get("oauth_token"); tok != "" && r.Header.Get("Authorization") == "" {
		sess, aerr = e.sessionFor(r, tok)
	} else {
		sess, aerr = e.authenticate(r)
	}
	if aerr != nil {
		badToken()
		return
	}
	badID := func() {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("Bad_Id"))
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/id/"), "/"), "/")
	if len(parts) != 2 || !sfid.Equal(parts[0], e.org.orgID) {
		badID()
		return
	}
	userID, err := sfid.Normalize(parts[1])
	if err != nil || !strings.HasPrefix(userID, "005") {
		badID()
		return
	}
	user, _, err := e.org.store.Get(r.Context(), userID)
	if err != nil {
		badID()
		return
	}
	version := "{version}"
	switch v := r.URL.Query().Get("version"); {
	case v == "latest":
		version = e.org.latestVersion()
	case versionRe.MatchString("v" + v):
		version = v
	}
	base := e.baseFor(r)
	org15 := e.org.orgID[:15]
	data := base + "/services/data/v" + version
	out := ordered{
		{"id", e.identityURL(r, userID)},
		{"asserted_user", userID == sess.UserID},
		{"user_id", userID},
		{"organization_id", e.org.orgID},
		{"username", str(user["Username"])},
		{"nick_name", str(user["Alias"])},
		{"display_name", str(user["Name"])},
		{"email", str(user["Email"])},
		{"email_verified", true},
		{"first_name", str(user["FirstName"])},
		{"last_name", str(user["LastName"])},
		{"timezone", orDefault(str(user["TimeZoneSidKey"]), "America/Los_Angeles")},
		{"photos", ordered{{"picture", base + "/profilephoto/005/F"}, {"thumbnail", base + "/profilephoto/005/T"}}},
		{"addr_street", nil},
		{"addr_city", nil},
		{"addr_state", nil},
		{"addr_country", nil},
		{"addr_zip", nil},
		{"mobile_phone", nil},
		{"mobile_phone_verified", false},
		{"is_lightning_login_user", false},
		{"status", ordered{{"created_date", nil}, {"body", nil}}},
		{"urls", ordered{
			{"enterprise", base + "/services/Soap/c/" + version + "/" + org15},
			{"metadata", base + "/services/Soap/m/" + version + "/" + org15},
			{"partner", base + "/services/Soap/u/" + version + "/" + org15},
			{"rest", data + "/"},
			{"sobjects", data + "/sobjects/"},
			{"search", data + "/search/"},
			{"query", data + "/query/"},
			{"recent", data + "/recent/"},
			{"tooling_soap", base + "/services/Soap/T/" + version + "/" + org15},
			{"tooling_rest", data + "/tooling/"},
			{"profile", base + "/" + userID},
			{"feeds", data + "/chatter/feeds"},
			{"groups", data + "/chatter/groups"},
			{"users", data + "/chatter/users"},
			{"feed_items", data + "/chatter/feed-items"},
			{"feed_elements", data + "/chatter/feed-elements"},
			{"custom_domain", base},
		}},
		{"active", user["IsActive"] != false},
		{"user_type", "STANDARD"},
		{"language", orDefault(str(user["LanguageLocaleKey"]), "en_US")},
		{"locale", orDefault(str(user["LocaleSidKey"]), "en_US")},
		{"utcOffset", -28800000},
		{"last_modified_date", str(user["LastModifiedDate"])},
		{"is_app_installed", true},
	}
	if identityFormat(r) == "xml" {
		writeIdentityXML(w, out)
		return
	}
	writeJSON(w, 200, out)
}

// identityFormat picks the answer's format as the "Identity URL Request
// Parameters" say: the format parameter (json or xml) wins over the Accept
// header; Accept is a list checked left to right, where application/json
// and */* mean JSON and application/xml means XML. Anything else, or
// nothing, is JSON. (Accept: application/x-www-form-urlencoded is listed
// too, but the docs show no such answer; the emulator answers JSON.)
func identityFormat(r *http.Request) string {
	switch f := strings.ToLower(r.URL.Query().Get("format")); f {
	case "json", "xml":
		return f
	}
	for _, a := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(a, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/xml":
			return "xml"
		case "application/json", "*/*", "application/x-www-form-urlencoded":
			return "json"
		}
	}
	return "json"
}

// ordered is a JSON object (and XML element content) that keeps its keys in
// the order Salesforce sends them.
type ordered []struct {
	k string
	v any
}

// MarshalJSON writes the fields in order.
func (o ordered) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(f.k)
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// writeIdentityXML writes the identity as the docs' XML example does: a
// <user> root declaring xsi, one element per field in order, nested maps as
// nested elements, null as xsi:nil, dates in the Z form.
func writeIdentityXML(w http.ResponseWriter, out ordered) {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n")
	appendIdentityXML(&b, out, "")
	b.WriteString("</user>\n")
	w.Header().Set("Content-Type", "application/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

func appendIdentityXML(b *bytes.Buffer, fields ordered, indent string) {
	for _, f := range fields {
		b.WriteString(indent + "<" + f.k)
		switch v := f.v.(type) {
		case nil:
			b.WriteString(" xsi:nil=\"true\"/>\n")
			continue
		case ordered:
			b.WriteString(">\n")
			appendIdentityXML(b, v, indent+"   ")
			b.WriteString(indent)
		case string:
			b.WriteByte('>')
			if t, ok := strings.CutSuffix(v, "+0000"); ok && f.k == "last_modified_date" {
				v = t + "Z"
			}
			_ = xml.EscapeText(b, []byte(v))
		default:
			b.WriteByte('>')
			fmt.Fprint(b, v)
		}
		b.WriteString("</" + f.k + ">\n")
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
