package emulator

import (
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
		version = DefaultAPIVersion
	case versionRe.MatchString("v" + v):
		version = v
	}
	base := e.baseFor(r)
	org15 := e.org.orgID[:15]
	data := base + "/services/data/v" + version
	out := map[string]any{
		"id":                      e.identityURL(r, userID),
		"asserted_user":           userID == sess.UserID,
		"user_id":                 userID,
		"organization_id":         e.org.orgID,
		"username":                str(user["Username"]),
		"nick_name":               str(user["Alias"]),
		"display_name":            str(user["Name"]),
		"email":                   str(user["Email"]),
		"email_verified":          true,
		"first_name":              str(user["FirstName"]),
		"last_name":               str(user["LastName"]),
		"timezone":                orDefault(str(user["TimeZoneSidKey"]), "America/Los_Angeles"),
		"photos":                  map[string]string{"picture": base + "/profilephoto/005/F", "thumbnail": base + "/profilephoto/005/T"},
		"addr_street":             nil,
		"addr_city":               nil,
		"addr_state":              nil,
		"addr_country":            nil,
		"addr_zip":                nil,
		"mobile_phone":            nil,
		"mobile_phone_verified":   false,
		"is_lightning_login_user": false,
		"status":                  map[string]any{"created_date": nil, "body": nil},
		"urls": map[string]string{
			"enterprise":    base + "/services/Soap/c/" + version + "/" + org15,
			"metadata":      base + "/services/Soap/m/" + version + "/" + org15,
			"partner":       base + "/services/Soap/u/" + version + "/" + org15,
			"rest":          data + "/",
			"sobjects":      data + "/sobjects/",
			"search":        data + "/search/",
			"query":         data + "/query/",
			"recent":        data + "/recent/",
			"tooling_soap":  base + "/services/Soap/T/" + version + "/" + org15,
			"tooling_rest":  data + "/tooling/",
			"profile":       base + "/" + userID,
			"feeds":         data + "/chatter/feeds",
			"groups":        data + "/chatter/groups",
			"users":         data + "/chatter/users",
			"feed_items":    data + "/chatter/feed-items",
			"feed_elements": data + "/chatter/feed-elements",
			"custom_domain": base,
		},
		"active":             user["IsActive"] != false,
		"user_type":          "STANDARD",
		"language":           orDefault(str(user["LanguageLocaleKey"]), "en_US"),
		"locale":             orDefault(str(user["LocaleSidKey"]), "en_US"),
		"utcOffset":          -28800000,
		"last_modified_date": str(user["LastModifiedDate"]),
		"is_app_installed":   true,
	}
	writeJSON(w, 200, out)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
