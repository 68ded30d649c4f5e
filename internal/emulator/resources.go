package emulator

import (
	"net/http"
	"strings"
)

// versionResources are the names GET /services/data/vNN.0 lists, as the REST
// API's "List Available REST Resources" shows them. Each is served by
// dispatch: the core ones for real, the others as an org without the
// feature (see featureResources) or with nothing in it (empty lists).
var versionResources = []string{
	"tooling", "metadata", "eclair", "folders", "prechatForms", "contact-tracing", "jsonxform",
	"chatter", "payments", "tabs", "appMenu", "quickActions", "queryAll", "commerce", "wave", "iot",
	"analytics", "search", "smartdatadiscovery", "identity", "composite", "parameterizedSearch",
	"fingerprint", "theme", "nouns", "event", "serviceTemplates", "recent", "connect", "licensing",
	"limits", "process", "dedupe", "async-queries", "query", "jobs", "match", "emailConnect",
	"compactLayouts", "knowledgeManagement", "sobjects", "actions", "support",
}

// featureResources are listed resources for features this org does not
// have (no Chatter, Analytics, Knowledge, Commerce, …): they answer 403
// FUNCTIONALITY_NOT_ENABLED naming the feature, as such an org does. The
// text and the bracketed name of /wave ("[Wave]") are as recorded from a
// live org; the other names in brackets are the emulator's (see the
// package doc, Error texts).
var featureResources = map[string]string{
	"metadata": "Metadata REST", "eclair": "Maps", "folders": "Folders", "prechatForms": "Embedded Chat",
	"contact-tracing": "Contact Tracing", "jsonxform": "JSON Transformation", "chatter": "Chatter",
	"payments": "Payments", "commerce": "Commerce", "wave": "Wave", "iot": "IoT",
	"analytics": "Reports and Dashboards", "smartdatadiscovery": "Einstein Discovery",
	"fingerprint": "Fingerprint", "nouns": "Nouns", "event": "Event Monitoring",
	"serviceTemplates": "Service Templates", "licensing": "Licensing", "dedupe": "Duplicate Management",
	"async-queries": "Async SOQL", "match": "Matching", "emailConnect": "Email Connect",
	"knowledgeManagement": "Knowledge", "support": "Knowledge",
}

func featureNotEnabled(feature string) *apiError {
	return errf(http.StatusForbidden, "FUNCTIONALITY_NOT_ENABLED", nil,
		"This feature is not currently enabled for this user type or org: [%s]", feature)
}

func (e *Emulator) handleResources(q *apiRequest) {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	base := "/services/data/v" + q.version
	res := make(map[string]string, len(versionResources))
	for _, name := range versionResources {
		res[name] = base + "/" + name
	}
	res["identity"] = e.identityURL(q.r, q.sess.UserID)
	writeJSON(q.w, 200, res)
}

// identityURL is the user's identity URL on this org.
func (e *Emulator) identityURL(r *http.Request, userID string) string {
	return e.baseFor(r) + "/id/" + e.org.orgID + "/" + userID
}

// handleMinorResource serves the listed resources that are not a core part
// of the emulator; it reports false for names it does not know.
func (e *Emulator) handleMinorResource(q *apiRequest) bool {
	name := q.parts[0]
	if feature, ok := featureResources[name]; ok {
		writeError(q.w, featureNotEnabled(feature))
		return true
	}
	get := func(v any) {
		if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
			writeError(q.w, methodNotAllowed(q.r.Method))
			return
		}
		writeJSON(q.w, 200, v)
	}
	base := "/services/data/v" + q.version
	sub := ""
	if len(q.parts) > 1 {
		sub = strings.Join(q.parts[1:], "/")
	}
	switch {
	case name == "identity" && sub == "":
		// Salesforce lists the identity URL itself; this path is not it.
		writeError(q.w, notFound())
	case name == "recent" && sub == "":
		// Nobody has viewed anything through a user interface here.
		get([]any{})
	case name == "tabs" && sub == "":
		get([]any{})
	case name == "theme" && sub == "":
		get(map[string]any{"themeItems": []any{}})
	case name == "compactLayouts" && sub == "":
		// Without ?q=Object,… Salesforce names the missing parameter.
		if q.r.URL.Query().Get("q") == "" {
			writeError(q.w, errf(400, "MISSING_ARGUMENT", nil, "Missing required parameter: q"))
			return true
		}
		get(map[string]any{})
	case name == "appMenu" && sub == "":
		get(map[string]string{"AppSwitcher": base + "/appMenu/AppSwitcher", "Salesforce1": base + "/appMenu/Salesforce1"})
	case name == "appMenu" && (sub == "AppSwitcher" || sub == "Salesforce1"):
		get(map[string]any{"appMenuItems": []any{}})
	case name == "quickActions" && sub == "":
		get([]any{})
	case name == "process" && sub == "":
		get(map[string]string{"approvals": base + "/process/approvals", "rules": base + "/process/rules"})
	case name == "process" && sub == "approvals":
		get(map[string]any{"approvals": map[string]any{}})
	case name == "process" && sub == "rules":
		get(map[string]any{"rules": map[string]any{}})
	case name == "connect" && sub == "":
		get(map[string]string{"communities": base + "/connect/communities", "organization": base + "/connect/organization"})
	case name == "connect" && sub == "communities":
		// As recorded from an org without Experience Cloud sites.
		get(map[string]any{"communities": []any{}, "total": 0})
	case name == "parameterizedSearch" && sub == "":
		if q.r.URL.Query().Get("q") == "" {
			writeError(q.w, errf(400, "MISSING_ARGUMENT", nil, "Missing required parameter: q"))
			return true
		}
		get(map[string]any{"searchRecords": []any{}})
	case name == "actions" && sub == "":
		get(map[string]string{"standard": base + "/actions/standard", "custom": base + "/actions/custom"})
	case name == "actions" && (sub == "standard" || sub == "custom"):
		// No flows, Apex or quick actions are defined to invoke.
		get(map[string]any{"actions": []any{}})
	case name == "tooling":
		e.handleTooling(q, sub)
	case name == "identity" || name == "recent" || name == "tabs" || name == "theme" || name == "compactLayouts" ||
		name == "appMenu" || name == "quickActions" || name == "process" || name == "connect" || name == "parameterizedSearch" || name == "actions":
		writeError(q.w, notFound())
	default:
		return false
	}
	return true
}

// handleTooling answers the Tooling API as an org with no Apex, metadata
// or tooling objects to show: describe lists nothing, a query on the Apex
// code objects matches no rows, and every other named object is unknown.
func (e *Emulator) handleTooling(q *apiRequest, sub string) {
	base := "/services/data/v" + q.version + "/tooling"
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	switch {
	case sub == "":
		writeJSON(q.w, 200, map[string]string{"sobjects": base + "/sobjects", "query": base + "/query",
			"search": base + "/search", "executeAnonymous": base + "/executeAnonymous", "completions": base + "/completions"})
	case sub == "sobjects":
		writeJSON(q.w, 200, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": []any{}})
	case sub == "query":
		soql := q.r.URL.Query().Get("q")
		obj := fromObject(soql)
		if obj == "" {
			writeError(q.w, errf(400, "MALFORMED_QUERY", nil, "unexpected token: %s", soql))
			return
		}
		if toolingEmpty[strings.ToLower(obj)] {
			// The org has no Apex: a query on its code objects matches no
			// rows, in the shape recorded from live orgs (an empty result
			// names no entityTypeName).
			writeJSON(q.w, 200, map[string]any{"size": 0, "totalSize": 0, "done": true, "queryLocator": nil,
				"entityTypeName": nil, "records": []any{}})
			return
		}
		writeError(q.w, errf(400, "INVALID_TYPE", nil, "sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", obj))
	default:
		writeError(q.w, notFound())
	}
}

// toolingEmpty are the Tooling API objects of the org's code, of which it
// has none (lower case).
var toolingEmpty = map[string]bool{"apexclass": true, "apextrigger": true, "apexpage": true, "apexcomponent": true}

// fromObject finds the object named after FROM in a query, or "".
func fromObject(soql string) string {
	f := strings.Fields(soql)
	for i := 0; i+1 < len(f); i++ {
		if strings.EqualFold(f[i], "from") {
			return strings.TrimRight(f[i+1], ",")
		}
	}
	return ""
}

// listSubresources answers GET on a resource that only names the ones
// under it, as Salesforce does for /composite.
func (e *Emulator) listSubresources(q *apiRequest, name string, subs ...string) {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		writeError(q.w, methodNotAllowed(q.r.Method))
		return
	}
	base := "/services/data/v" + q.version + "/" + name + "/"
	out := make(map[string]string, len(subs))
	for _, s := range subs {
		out[s] = base + s
	}
	writeJSON(q.w, 200, out)
}
