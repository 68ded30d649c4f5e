package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

func emulatorLead(t *testing.T, c *Client, fields map[string]any) string {
	t.Helper()
	id, err := c.CreateRecord(context.Background(), "Lead", fields)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestConvertLeadAgainstEmulator(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	c := newEmulatorClient(t, em, false)
	ctx := context.Background()
	lead := emulatorLead(t, c, map[string]any{"LastName": "Soap", "Company": "Angle <brackets> & 'quotes'"})
	other := emulatorLead(t, c, map[string]any{"LastName": "Other", "Company": "O"})

	// Values that would break hand-built XML travel escaped.
	res, err := c.ConvertLead(ctx, []LeadConvert{
		{LeadID: lead, ConvertedStatus: "Closed - Converted", OpportunityName: "</opportunityName><leadId>x</leadId> & more"},
		{LeadID: other, ConvertedStatus: "Working - Contacted", DoNotCreateOpportunity: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].Success || res[0].LeadID != lead || res[0].AccountID == "" || res[0].OpportunityID == "" {
		t.Fatalf("results %+v", res)
	}
	if res[1].Success || len(res[1].Errors) == 0 || res[1].Errors[0].ErrorCode != "INVALID_STATUS" || res[1].LeadID != other {
		t.Fatalf("bad status result %+v", res[1])
	}
	var apiErr *APIError
	if err := res[1].Err(); !errors.As(err, &apiErr) || apiErr.ErrorCode != "INVALID_STATUS" {
		t.Errorf("Err(): %v", err)
	}
	raw, err := c.GetRecord(ctx, "Opportunity", res[0].OpportunityID, []string{"Name"})
	if err != nil {
		t.Fatal(err)
	}
	var opp struct{ Name string }
	_ = json.Unmarshal(raw, &opp)
	if opp.Name != "</opportunityName><leadId>x</leadId> & more" {
		t.Errorf("opportunity name %q", opp.Name)
	}
	raw, _ = c.GetRecord(ctx, "Account", res[0].AccountID, []string{"Name"})
	var acc struct{ Name string }
	_ = json.Unmarshal(raw, &acc)
	if acc.Name != "Angle <brackets> & 'quotes'" {
		t.Errorf("account name %q", acc.Name)
	}
}

func TestConvertLeadRefreshesExpiredSession(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	c := newEmulatorClient(t, em, true)
	lead := emulatorLead(t, c, map[string]any{"LastName": "Refresh", "Company": "R"})
	em.ExpireSessions(t)
	res, err := c.ConvertLead(context.Background(), []LeadConvert{{LeadID: lead, ConvertedStatus: "Closed - Converted", DoNotCreateOpportunity: true}})
	if err != nil || !res[0].Success {
		t.Fatalf("after expiry: %v %+v", err, res)
	}
	if c.tokens.Token().AccessToken == em.Token.AccessToken {
		t.Error("the token was not renewed")
	}
}

func TestConvertLeadExpiredSessionWithoutRefresh(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	c := newEmulatorClient(t, em, false)
	lead := emulatorLead(t, c, map[string]any{"LastName": "NoRefresh", "Company": "R"})
	em.ExpireSessions(t)
	_, err := c.ConvertLead(context.Background(), []LeadConvert{{LeadID: lead, ConvertedStatus: "Closed - Converted"}})
	var ae *AuthError
	var fault *SOAPFault
	if !errors.As(err, &ae) || !errors.As(err, &fault) || fault.ExceptionCode != "INVALID_SESSION_ID" || !IsAuthError(err) {
		t.Fatalf("got %T %v", err, err)
	}
	if strings.Contains(err.Error(), em.Token.AccessToken) {
		t.Error("the token leaked into the error")
	}
}

func TestConvertLeadFaultsAreTyped(t *testing.T) {
	t.Parallel()
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4096)
		n, _ := r.Body.Read(b)
		gotBody = string(b[:n])
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(500)
		w.Write([]byte(`<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:EXCEEDED_LEAD_CONVERT_LIMIT</faultcode><faultstring>EXCEEDED_LEAD_CONVERT_LIMIT: too many</faultstring><detail><sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault"><sf:exceptionCode>EXCEEDED_LEAD_CONVERT_LIMIT</sf:exceptionCode><sf:exceptionMessage>too many</sf:exceptionMessage></sf:UnexpectedErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`))
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL)
	_, err := c.ConvertLead(context.Background(), []LeadConvert{{LeadID: "00Q000000000001", ConvertedStatus: "Closed - Converted"}})
	var fault *SOAPFault
	var apiErr *APIError
	if !errors.As(err, &fault) || fault.ExceptionCode != "EXCEEDED_LEAD_CONVERT_LIMIT" || !errors.As(err, &apiErr) || apiErr.ErrorCode != "EXCEEDED_LEAD_CONVERT_LIMIT" {
		t.Fatalf("got %T %v", err, err)
	}
	if err.Error() != "EXCEEDED_LEAD_CONVERT_LIMIT: too many" {
		t.Errorf("message %q", err.Error())
	}
	if !strings.Contains(gotBody, "<sessionId>"+testAccessToken+"</sessionId>") || !strings.Contains(gotBody, `<leadId>00Q000000000001EAA</leadId>`) {
		t.Errorf("request body %s", gotBody)
	}
	if _, err := c.ConvertLead(context.Background(), []LeadConvert{{LeadID: "bogus", ConvertedStatus: "x"}}); err == nil {
		t.Error("a malformed lead id was sent")
	}
}
