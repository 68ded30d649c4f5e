package emulator_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// soapConvert is one leadConverts entry of a test request; empty strings
// are left out.
type soapConvert struct {
	LeadID, Status, AccountID, ContactID, OpportunityName, OwnerID string
	NoOpportunity                                                  bool
}

// soapRequest builds a convertLead envelope, every value escaped.
func soapRequest(t *testing.T, session string, lcs ...soapConvert) string {
	t.Helper()
	esc := func(s string) string {
		var b bytes.Buffer
		if err := xml.EscapeText(&b, []byte(s)); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader><urn:sessionId>`)
	b.WriteString(esc(session))
	b.WriteString(`</urn:sessionId></urn:SessionHeader></soapenv:Header><soapenv:Body><urn:convertLead>`)
	for _, lc := range lcs {
		b.WriteString("<urn:leadConverts>")
		for _, kv := range [][2]string{{"accountId", lc.AccountID}, {"contactId", lc.ContactID}, {"convertedStatus", lc.Status},
			{"doNotCreateOpportunity", fmt.Sprint(lc.NoOpportunity)}, {"leadId", lc.LeadID},
			{"opportunityName", lc.OpportunityName}, {"ownerId", lc.OwnerID}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "<urn:%s>%s</urn:%s>", kv[0], esc(kv[1]), kv[0])
			}
		}
		b.WriteString("</urn:leadConverts>")
	}
	b.WriteString(`</urn:convertLead></soapenv:Body></soapenv:Envelope>`)
	return b.String()
}

func soapPost(t *testing.T, em *emulatortest.Server, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, em.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type soapResult struct {
	AccountID     string `xml:"accountId"`
	ContactID     string `xml:"contactId"`
	LeadID        string `xml:"leadId"`
	OpportunityID string `xml:"opportunityId"`
	Success       bool   `xml:"success"`
	Errors        []struct {
		StatusCode string   `xml:"statusCode"`
		Message    string   `xml:"message"`
		Fields     []string `xml:"fields"`
	} `xml:"errors"`
}

func soapResults(t *testing.T, status int, body []byte) []soapResult {
	t.Helper()
	if status != 200 {
		t.Fatalf("HTTP %d: %s", status, body)
	}
	var env struct {
		Results []soapResult `xml:"Body>convertLeadResponse>result"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return env.Results
}

type soapFaultBody struct {
	Code          string `xml:"Body>Fault>faultcode"`
	String        string `xml:"Body>Fault>faultstring"`
	ExceptionCode string `xml:"Body>Fault>detail>UnexpectedErrorFault>exceptionCode"`
}

func wantFault(t *testing.T, status int, body []byte, wantCode string) soapFaultBody {
	t.Helper()
	var f soapFaultBody
	if err := xml.Unmarshal(body, &f); err != nil {
		t.Fatalf("fault is not XML: %v\n%s", err, body)
	}
	if status != 500 || f.Code != wantCode {
		t.Fatalf("HTTP %d faultcode %q (%s); want 500 %s", status, f.Code, f.String, wantCode)
	}
	return f
}

// newLead creates a lead over REST and returns its id.
func newLead(t *testing.T, em *emulatortest.Server, fields map[string]any) string {
	t.Helper()
	status, body := em.Do(t, "POST", "/services/data/v62.0/sobjects/Lead", fields)
	if status != 201 {
		t.Fatalf("create lead: %d %s", status, body)
	}
	var res struct{ ID string }
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	return res.ID
}

func getRecord(t *testing.T, em *emulatortest.Server, object, id string) map[string]any {
	t.Helper()
	status, body := em.Do(t, "GET", "/services/data/v62.0/sobjects/"+object+"/"+id, nil)
	if status != 200 {
		t.Fatalf("get %s %s: %d %s", object, id, status, body)
	}
	var rec map[string]any
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestConvertLeadCreatesAccountContactOpportunity(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	id := newLead(t, em, map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical Engines & Co",
		"Email": "ada@engines.example", "Phone": "+44 20 5555", "Title": "CTO", "LeadSource": "Web", "City": "London"})

	status, body := soapPost(t, em, "/services/Soap/u/62.0", soapRequest(t, em.Token.AccessToken,
		soapConvert{LeadID: id, Status: "Closed - Converted", OpportunityName: "Engines <first> deal"}))
	got := soapResults(t, status, body)
	if len(got) != 1 || !got[0].Success || got[0].LeadID != id || got[0].AccountID == "" || got[0].ContactID == "" || got[0].OpportunityID == "" {
		t.Fatalf("result %+v\n%s", got, body)
	}
	r := got[0]
	acc := getRecord(t, em, "Account", r.AccountID)
	if acc["Name"] != "Analytical Engines & Co" || acc["Phone"] != "+44 20 5555" || acc["BillingCity"] != "London" {
		t.Errorf("account %v %v %v", acc["Name"], acc["Phone"], acc["BillingCity"])
	}
	con := getRecord(t, em, "Contact", r.ContactID)
	if con["LastName"] != "Lovelace" || con["FirstName"] != "Ada" || con["Email"] != "ada@engines.example" ||
		con["AccountId"] != r.AccountID || con["Title"] != "CTO" || con["LeadSource"] != "Web" {
		t.Errorf("contact %v", con)
	}
	opp := getRecord(t, em, "Opportunity", r.OpportunityID)
	if opp["Name"] != "Engines <first> deal" || opp["StageName"] != "Prospecting" || opp["AccountId"] != r.AccountID || opp["CloseDate"] == nil {
		t.Errorf("opportunity %v %v %v %v", opp["Name"], opp["StageName"], opp["AccountId"], opp["CloseDate"])
	}
	lead := getRecord(t, em, "Lead", id)
	if lead["IsConverted"] != true || lead["Status"] != "Closed - Converted" || lead["ConvertedAccountId"] != r.AccountID ||
		lead["ConvertedContactId"] != r.ContactID || lead["ConvertedOpportunityId"] != r.OpportunityID || lead["ConvertedDate"] == nil {
		t.Errorf("lead after conversion: %v", lead)
	}

	// A converted lead refuses a second conversion and updates.
	status, body = soapPost(t, em, "/services/Soap/u/62.0", soapRequest(t, em.Token.AccessToken,
		soapConvert{LeadID: id, Status: "Closed - Converted"}))
	again := soapResults(t, status, body)
	if len(again) != 1 || again[0].Success || len(again[0].Errors) != 1 || again[0].Errors[0].StatusCode != "CANNOT_UPDATE_CONVERTED_LEAD" {
		t.Errorf("second conversion: %+v", again)
	}
	status, body = em.Do(t, "PATCH", "/services/data/v62.0/sobjects/Lead/"+id, map[string]any{"Phone": "1"})
	if status != 400 || !strings.Contains(string(body), "CANNOT_UPDATE_CONVERTED_LEAD") {
		t.Errorf("update of a converted lead: %d %s", status, body)
	}
}

func TestConvertLeadIntoExistingAccountAndContact(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	_, body := em.Do(t, "POST", "/services/data/v62.0/sobjects/Account", map[string]any{"Name": "Existing Inc"})
	var acc struct{ ID string }
	_ = json.Unmarshal(body, &acc)
	_, body = em.Do(t, "POST", "/services/data/v62.0/sobjects/Contact", map[string]any{"LastName": "Known", "AccountId": acc.ID})
	var con struct{ ID string }
	_ = json.Unmarshal(body, &con)
	_, body = em.Do(t, "POST", "/services/data/v62.0/sobjects/Account", map[string]any{"Name": "Other Inc"})
	var other struct{ ID string }
	_ = json.Unmarshal(body, &other)

	lead := newLead(t, em, map[string]any{"LastName": "Known", "Company": "Existing", "Email": "known@existing.example", "Title": "Buyer"})
	// The contact must belong to the account.
	status, body := soapPost(t, em, "/services/Soap/u/62.0/"+em.Org().OrgID(), soapRequest(t, em.Token.AccessToken,
		soapConvert{LeadID: lead, Status: "Closed - Converted", AccountID: other.ID, ContactID: con.ID, NoOpportunity: true}))
	bad := soapResults(t, status, body)
	if bad[0].Success || bad[0].Errors[0].StatusCode != "INVALID_CROSS_REFERENCE_KEY" {
		t.Fatalf("contact of another account: %+v", bad)
	}
	if getRecord(t, em, "Lead", lead)["IsConverted"] != false {
		t.Fatal("a failed conversion changed the lead")
	}

	status, body = soapPost(t, em, "/services/Soap/u/62.0", soapRequest(t, em.Token.AccessToken,
		soapConvert{LeadID: lead, Status: "closed - converted", AccountID: acc.ID, ContactID: con.ID, NoOpportunity: true}))
	got := soapResults(t, status, body)
	if !got[0].Success || got[0].AccountID != acc.ID || got[0].ContactID != con.ID || got[0].OpportunityID != "" {
		t.Fatalf("merge: %+v\n%s", got, body)
	}
	if !strings.Contains(string(body), `<opportunityId xsi:nil="true">`) {
		t.Errorf("no opportunity should be xsi:nil: %s", body)
	}
	c := getRecord(t, em, "Contact", con.ID)
	if c["Email"] != "known@existing.example" || c["Title"] != "Buyer" {
		t.Errorf("blank contact fields were not filled from the lead: %v %v", c["Email"], c["Title"])
	}
}

func TestConvertLeadPerLeadErrors(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	good := newLead(t, em, map[string]any{"LastName": "Good", "Company": "G"})
	plain := newLead(t, em, map[string]any{"LastName": "Plain", "Company": "P"})
	_, body := em.Do(t, "POST", "/services/data/v62.0/sobjects/Account", map[string]any{"Name": "Not a lead"})
	var acc struct{ ID string }
	_ = json.Unmarshal(body, &acc)
	deleted := newLead(t, em, map[string]any{"LastName": "Gone", "Company": "G"})
	em.Do(t, "DELETE", "/services/data/v62.0/sobjects/Lead/"+deleted, nil)

	status, body := soapPost(t, em, "/services/Soap/u/66.0", soapRequest(t, em.Token.AccessToken,
		soapConvert{LeadID: "not-an-id", Status: "Closed - Converted"},
		soapConvert{LeadID: acc.ID, Status: "Closed - Converted"},
		soapConvert{LeadID: "00QEMU000000zzz", Status: "Closed - Converted"},
		soapConvert{LeadID: plain, Status: "Working - Contacted"},
		soapConvert{LeadID: deleted, Status: "Closed - Converted"},
		soapConvert{LeadID: good, Status: "Closed - Converted", NoOpportunity: true},
		soapConvert{LeadID: plain, Status: "Closed - Converted", ContactID: "003000000000001"},
	))
	got := soapResults(t, status, body)
	want := []string{"MALFORMED_ID", "INVALID_ID_FIELD", "INVALID_CROSS_REFERENCE_KEY", "INVALID_STATUS", "ENTITY_IS_DELETED", "", "REQUIRED_FIELD_MISSING"}
	if len(got) != len(want) {
		t.Fatalf("%d results for %d leads", len(got), len(want))
	}
	for i, w := range want {
		code := ""
		if len(got[i].Errors) > 0 {
			code = got[i].Errors[0].StatusCode
		}
		if code != w || got[i].Success != (w == "") {
			t.Errorf("lead %d: success %v code %q (%+v); want %q", i, got[i].Success, code, got[i].Errors, w)
		}
	}
	if getRecord(t, em, "Lead", plain)["IsConverted"] != false {
		t.Error("a lead with a non-converted status was converted")
	}
}

func TestSoapFaults(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	lead := newLead(t, em, map[string]any{"LastName": "F", "Company": "F"})
	req := soapRequest(t, em.Token.AccessToken, soapConvert{LeadID: lead, Status: "Closed - Converted"})

	for _, tc := range []struct {
		name, path, body, code string
	}{
		{"bad session", "/services/Soap/u/62.0", soapRequest(t, "00Dbogus!AQnope", soapConvert{LeadID: lead, Status: "Closed - Converted"}), "sf:INVALID_SESSION_ID"},
		{"no header", "/services/Soap/u/62.0", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><convertLead xmlns="urn:partner.soap.sforce.com"/></soapenv:Body></soapenv:Envelope>`, "sf:INVALID_SESSION_ID"},
		{"malformed XML", "/services/Soap/u/62.0", req[:len(req)-20], "soapenv:Client"},
		{"not SOAP", "/services/Soap/u/62.0", `<hello/>`, "soapenv:Client"},
		{"unknown operation", "/services/Soap/u/62.0", strings.ReplaceAll(req, "convertLead>", "deleteEverything>"), "soapenv:Client"},
		{"bad boolean", "/services/Soap/u/62.0", strings.Replace(req, "<urn:leadId>", "<urn:doNotCreateOpportunity>maybe</urn:doNotCreateOpportunity><urn:leadId>", 1), "soapenv:Client"},
		{"old version", "/services/Soap/u/12.0", req, "sf:UNSUPPORTED_API_VERSION"},
	} {
		status, body := soapPost(t, em, tc.path, tc.body)
		wantFault(t, status, body, tc.code)
	}
	em.ExpireSessions(t)
	status, body := soapPost(t, em, "/services/Soap/u/62.0", req)
	if f := wantFault(t, status, body, "sf:INVALID_SESSION_ID"); f.ExceptionCode != "INVALID_SESSION_ID" {
		t.Errorf("expired session: exceptionCode %q", f.ExceptionCode)
	}
}
