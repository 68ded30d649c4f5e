package salesforce

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The SOAP Partner API, for the one call REST lacks: convertLead. Requests
// are built and answers read with encoding/xml, so every value is escaped.

const (
	soapEnvNS     = "http://schemas.xmlsoap.org/soap/envelope/"
	soapPartnerNS = "urn:partner.soap.sforce.com"
)

// MaxLeadConverts is how many leads one convertLead call may carry.
const MaxLeadConverts = 100

// LeadConvert asks for one lead to be converted (Partner WSDL LeadConvert).
type LeadConvert struct {
	LeadID string
	// ConvertedStatus must be a lead status with IsConverted = true.
	ConvertedStatus        string
	DoNotCreateOpportunity bool
	// AccountID merges into an existing account instead of creating one.
	AccountID string
	// ContactID merges into an existing contact of AccountID.
	ContactID             string
	OpportunityName       string
	OwnerID               string
	OverwriteLeadSource   bool
	SendNotificationEmail bool
}

// LeadConvertResult is Salesforce's answer for one lead, in request order.
type LeadConvertResult struct {
	LeadID        string
	AccountID     string
	ContactID     string
	OpportunityID string
	Success       bool
	// Errors say why the lead was not converted (ErrorCode is the statusCode).
	Errors []ErrorDetail
}

// Err returns the result's failure as an *APIError, or nil on success.
func (r LeadConvertResult) Err() error {
	if r.Success {
		return nil
	}
	return saveFailure(http.StatusBadRequest, append([]ErrorDetail(nil), r.Errors...))
}

// SOAPFault is a SOAP fault from Salesforce. ExceptionCode is Salesforce's
// code (INVALID_SESSION_ID, ...) when it sent one; FaultCode is the raw
// faultcode (sf:INVALID_SESSION_ID, soapenv:Client). It unwraps to an
// *APIError carrying the same code, so callers that handle REST errors
// handle faults too.
type SOAPFault struct {
	StatusCode    int
	FaultCode     string
	ExceptionCode string
	Message       string
}

// Error reads like "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader".
func (f *SOAPFault) Error() string {
	code := f.code()
	msg := strings.TrimPrefix(f.Message, code+": ")
	if code == "" {
		return "SOAP fault: " + msg
	}
	return code + ": " + msg
}

func (f *SOAPFault) code() string {
	if f.ExceptionCode != "" {
		return f.ExceptionCode
	}
	if _, c, ok := strings.Cut(f.FaultCode, ":"); ok {
		return c
	}
	return f.FaultCode
}

// Unwrap returns the fault as an *APIError.
func (f *SOAPFault) Unwrap() error {
	code := f.code()
	return &APIError{StatusCode: f.StatusCode, ErrorCode: code, Message: strings.TrimPrefix(f.Message, code+": "),
		Errors: []ErrorDetail{{ErrorCode: code, Message: strings.TrimPrefix(f.Message, code+": ")}}}
}

// ExitCode makes the CLI exit 4 for a session fault and 1 otherwise.
func (f *SOAPFault) ExitCode() int {
	if f.code() == "INVALID_SESSION_ID" {
		return 4
	}
	return 1
}

// Request envelope. Element order follows the WSDL's sequence.
type soapConvertEnvelope struct {
	XMLName xml.Name `xml:"soapenv:Envelope"`
	NSEnv   string   `xml:"xmlns:soapenv,attr"`
	Header  struct {
		Session struct {
			XMLName   xml.Name `xml:"urn:partner.soap.sforce.com SessionHeader"`
			SessionID string   `xml:"sessionId"`
		}
	} `xml:"soapenv:Header"`
	Body struct {
		ConvertLead struct {
			XMLName      xml.Name          `xml:"urn:partner.soap.sforce.com convertLead"`
			LeadConverts []soapLeadConvert `xml:"leadConverts"`
		}
	} `xml:"soapenv:Body"`
}

type soapLeadConvert struct {
	AccountID              string `xml:"accountId,omitempty"`
	ContactID              string `xml:"contactId,omitempty"`
	ConvertedStatus        string `xml:"convertedStatus"`
	DoNotCreateOpportunity bool   `xml:"doNotCreateOpportunity"`
	LeadID                 string `xml:"leadId"`
	OpportunityName        string `xml:"opportunityName,omitempty"`
	OverwriteLeadSource    bool   `xml:"overwriteLeadSource"`
	OwnerID                string `xml:"ownerId,omitempty"`
	SendNotificationEmail  bool   `xml:"sendNotificationEmail"`
}

// soapAnswer reads a response envelope: results or a fault. Element names
// are matched by local name, whatever prefixes the server chose.
type soapAnswer struct {
	Body struct {
		Results []struct {
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
		} `xml:"convertLeadResponse>result"`
		Fault *struct {
			Code          string `xml:"faultcode"`
			String        string `xml:"faultstring"`
			ExceptionCode string `xml:"detail>UnexpectedErrorFault>exceptionCode"`
			Exception     []struct {
				Code string `xml:"exceptionCode"`
			} `xml:"detail>fault"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

// soapTimeout bounds one convertLead exchange when ctx has no deadline.
const soapTimeout = 2 * time.Minute

// ConvertLead converts leads through the SOAP Partner API and returns one
// result per lead, in order. A lead that could not be converted has
// Success false and its Errors; the error return is for the call as a whole
// (a SOAP fault as *SOAPFault, a network failure, an expired session that
// could not be renewed as *AuthError).
//
// The call is not retried after a transient failure, since a conversion
// whose answer was lost may have happened. An INVALID_SESSION_ID fault
// renews the session and sends the call once more, as REST calls do:
// Salesforce refused it before doing anything.
func (c *Client) ConvertLead(ctx context.Context, converts []LeadConvert) ([]LeadConvertResult, error) {
	if len(converts) == 0 {
		return nil, nil
	}
	if len(converts) > MaxLeadConverts {
		return nil, &ValidationError{Field: "leadConverts", Message: fmt.Sprintf("%d leads; at most %d in one call", len(converts), MaxLeadConverts)}
	}
	env := soapConvertEnvelope{NSEnv: soapEnvNS}
	for i, lc := range converts {
		lead, err := normalizeID(lc.LeadID)
		if err != nil {
			return nil, &ValidationError{Field: fmt.Sprintf("leadConverts[%d].leadId", i), Message: err.Error()}
		}
		if strings.TrimSpace(lc.ConvertedStatus) == "" {
			return nil, &ValidationError{Field: fmt.Sprintf("leadConverts[%d].convertedStatus", i), Message: "is empty"}
		}
		in := soapLeadConvert{LeadID: lead, ConvertedStatus: lc.ConvertedStatus, DoNotCreateOpportunity: lc.DoNotCreateOpportunity,
			OpportunityName: lc.OpportunityName, OverwriteLeadSource: lc.OverwriteLeadSource, SendNotificationEmail: lc.SendNotificationEmail}
		for _, ref := range []struct {
			name string
			in   string
			out  *string
		}{{"accountId", lc.AccountID, &in.AccountID}, {"contactId", lc.ContactID, &in.ContactID}, {"ownerId", lc.OwnerID, &in.OwnerID}} {
			if strings.TrimSpace(ref.in) == "" {
				continue
			}
			id, err := normalizeID(ref.in)
			if err != nil {
				return nil, &ValidationError{Field: fmt.Sprintf("leadConverts[%d].%s", i, ref.name), Message: err.Error()}
			}
			*ref.out = id
		}
		env.Body.ConvertLead.LeadConverts = append(env.Body.ConvertLead.LeadConverts, in)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, soapTimeout)
		defer cancel()
	}

	path := "/services/Soap/u/" + c.version
	refreshed := false
	for {
		token := c.tokens.accessToken()
		env.Header.Session.SessionID = token
		body, err := xml.Marshal(env)
		if err != nil {
			return nil, fmt.Errorf("convertLead: encode request: %w", err)
		}
		results, fault, err := c.soapCall(ctx, path, append([]byte(xml.Header), body...))
		if err != nil {
			return nil, fmt.Errorf("convertLead: %w", err)
		}
		if fault == nil {
			if len(results) != len(converts) {
				return nil, fmt.Errorf("convertLead: %d results for %d leads", len(results), len(converts))
			}
			for i := range results {
				if results[i].LeadID == "" {
					results[i].LeadID = env.Body.ConvertLead.LeadConverts[i].LeadID
				}
			}
			return results, nil
		}
		if fault.code() != "INVALID_SESSION_ID" {
			return nil, fault
		}
		if refreshed || !c.tokens.CanRefresh() {
			return nil, &AuthError{Message: "Salesforce rejected the session; log in again", Err: fault}
		}
		refreshed = true
		if err := c.refresh(ctx, token); err != nil {
			return nil, err
		}
	}
}

// soapCall posts one envelope and reads the answer: results, or a fault.
func (c *Client) soapCall(ctx context.Context, path string, body []byte) (_ []LeadConvertResult, _ *SOAPFault, err error) {
	if err := c.checkBudget(&request{method: http.MethodPost, path: path}); err != nil {
		return nil, nil, err
	}
	ctx, obs := c.observe(ctx, http.MethodPost, path, 1)
	status, code := 0, ""
	defer func() { obs.end(RequestResult{Status: status, ErrorCode: code, Err: err}) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.instanceStr+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	req.Header.Set("Accept", "text/xml")
	req.Header.Set("User-Agent", c.userAgent)
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		return nil, nil, c.transportError(&request{method: http.MethodPost, path: path}, err, 1)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	c.recordUsage(resp.Header)
	c.log.DebugContext(ctx, "salesforce SOAP request", "path", path, "status", resp.StatusCode, "elapsed", time.Since(start))
	data, err := readLimited(resp.Body, c.maxBody)
	if errors.Is(err, errBodyTooLarge) {
		return nil, nil, c.tooLarge(http.MethodPost, path)
	}
	if err != nil {
		return nil, nil, c.transportError(&request{method: http.MethodPost, path: path}, err, 1)
	}
	var ans soapAnswer
	xmlErr := xml.Unmarshal(data, &ans)
	if xmlErr == nil && ans.Body.Fault != nil {
		f := ans.Body.Fault
		fault := &SOAPFault{StatusCode: resp.StatusCode, FaultCode: strings.TrimSpace(f.Code),
			ExceptionCode: strings.TrimSpace(f.ExceptionCode), Message: c.redact(strings.TrimSpace(f.String))}
		if fault.ExceptionCode == "" && len(f.Exception) > 0 {
			fault.ExceptionCode = strings.TrimSpace(f.Exception[0].Code)
		}
		code = fault.code()
		return nil, fault, nil
	}
	if resp.StatusCode != http.StatusOK || xmlErr != nil {
		// Not SOAP: a proxy's page, or a REST-style error body.
		e := parseAPIError(resp.StatusCode, resp.Header.Get("Content-Type"), data)
		e.Message = c.redact(e.Message)
		if resp.StatusCode == http.StatusOK {
			e.Message = "the answer is not a SOAP envelope"
		}
		if e.isExpiredSession() {
			return nil, &SOAPFault{StatusCode: resp.StatusCode, FaultCode: "sf:INVALID_SESSION_ID", ExceptionCode: "INVALID_SESSION_ID", Message: e.Message}, nil
		}
		return nil, nil, e
	}
	out := make([]LeadConvertResult, 0, len(ans.Body.Results))
	for _, r := range ans.Body.Results {
		res := LeadConvertResult{LeadID: r.LeadID, AccountID: r.AccountID, ContactID: r.ContactID, OpportunityID: r.OpportunityID, Success: r.Success}
		for _, e := range r.Errors {
			res.Errors = append(res.Errors, ErrorDetail{ErrorCode: e.StatusCode, Message: c.redact(e.Message), Fields: e.Fields})
		}
		out = append(out, res)
	}
	return out, nil, nil
}
