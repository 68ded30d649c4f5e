package emulator

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// The SOAP Partner API: the emulator offers the one call REST lacks,
// convertLead (docs/salesforce-wire.md, "Lead conversion"). Requests are
// read and answers written with encoding/xml, so no value is ever pasted
// into markup.

// XML namespaces of the Partner API.
const (
	nsSoapEnv = "http://schemas.xmlsoap.org/soap/envelope/"
	nsPartner = "urn:partner.soap.sforce.com"
	nsFault   = "urn:fault.partner.soap.sforce.com"
	nsXSI     = "http://www.w3.org/2001/XMLSchema-instance"
)

// soapPath is /services/Soap/u/NN.0, optionally followed by the org id.
var soapPath = regexp.MustCompile(`^/services/Soap/u/(\d{2})\.0(?:/([A-Za-z0-9]{15}|[A-Za-z0-9]{18}))?/?$`)

// soapEnvelopeIn is a request envelope. Element names in the Partner
// namespace are matched by local name below the operation, as Salesforce
// does: clients write them prefixed or under a default namespace.
type soapEnvelopeIn struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Header  struct {
		SessionHeader *struct {
			SessionID string `xml:"sessionId"`
		} `xml:"urn:partner.soap.sforce.com SessionHeader"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
	Body *struct {
		ConvertLead *convertLeadIn `xml:"urn:partner.soap.sforce.com convertLead"`
		Other       []struct {
			XMLName xml.Name
		} `xml:",any"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// handleSoap serves the SOAP Partner API endpoint.
func (e *Emulator) handleSoap(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		soapFault(w, http.StatusMethodNotAllowed, "soapenv:Client", "", "SOAP requests must be POSTed")
		return
	}
	m := soapPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		soapFault(w, http.StatusNotFound, "soapenv:Client", "", "No such SOAP endpoint: "+r.URL.Path)
		return
	}
	if v, _ := strconv.Atoi(m[1]); v < minVersion || v > e.org.maxVersion() {
		soapFault(w, http.StatusInternalServerError, "sf:UNSUPPORTED_API_VERSION", "UNSUPPORTED_API_VERSION",
			fmt.Sprintf("Invalid Api version specified on URL: %s.0", m[1]))
		return
	}
	if m[2] != "" && !strings.EqualFold(m[2][:15], e.org.orgID[:15]) {
		soapFault(w, http.StatusInternalServerError, "sf:INVALID_LOGIN", "INVALID_LOGIN", "The organization id on the URL is not this org's")
		return
	}
	w, faulted := e.applyFaults(w, r)
	if faulted {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.org.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			soapFault(w, http.StatusInternalServerError, "sf:EXCEEDED_MAX_SIZE_REQUEST", "EXCEEDED_MAX_SIZE_REQUEST",
				fmt.Sprintf("The request exceeds the limit of %d bytes", e.org.opts.MaxBodyBytes))
			return
		}
		soapFault(w, http.StatusBadRequest, "soapenv:Client", "", "could not read the request body")
		return
	}
	var env soapEnvelopeIn
	if err := xml.Unmarshal(body, &env); err != nil {
		soapFault(w, http.StatusInternalServerError, "soapenv:Client", "", xmlErrorText(err))
		return
	}
	if env.Body == nil {
		soapFault(w, http.StatusInternalServerError, "soapenv:Client", "", "Missing body element in the SOAP envelope")
		return
	}
	// The session comes before the operation: an unauthenticated caller
	// learns nothing about what the endpoint offers.
	if env.Header.SessionHeader == nil || strings.TrimSpace(env.Header.SessionHeader.SessionID) == "" {
		invalidSessionFault(w)
		return
	}
	sess, aerr := e.sessionFor(r, strings.TrimSpace(env.Header.SessionHeader.SessionID))
	if aerr != nil {
		if aerr.Code == "INVALID_SESSION_ID" {
			invalidSessionFault(w)
			return
		}
		soapFault(w, http.StatusInternalServerError, "sf:UNKNOWN_EXCEPTION", "UNKNOWN_EXCEPTION", aerr.Message)
		return
	}
	switch {
	case env.Body.ConvertLead != nil:
		used := e.org.countAPICall()
		if used > e.org.apiLimit() {
			soapFault(w, http.StatusInternalServerError, "sf:REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
			return
		}
		e.convertLead(w, r, sess, env.Body.ConvertLead, used)
	case len(env.Body.Other) > 0:
		n := env.Body.Other[0].XMLName
		soapFault(w, http.StatusInternalServerError, "soapenv:Client", "",
			fmt.Sprintf("No operation available for request {%s}%s, please check the WSDL for the service.", n.Space, n.Local))
	default:
		soapFault(w, http.StatusInternalServerError, "soapenv:Client", "", "No operation in the SOAP body")
	}
}

func xmlErrorText(err error) string {
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("XML parse error at line %d: %s", syn.Line, syn.Msg)
	}
	if strings.Contains(err.Error(), "expected element type <Envelope>") {
		return "The root element of a SOAP request must be a SOAP 1.1 Envelope"
	}
	return "Unable to parse the request: " + err.Error()
}

// invalidSessionFault is what Salesforce answers for a missing, expired or
// revoked session: HTTP 500 and sf:INVALID_SESSION_ID.
func invalidSessionFault(w http.ResponseWriter) {
	soapFault(w, http.StatusInternalServerError, "sf:INVALID_SESSION_ID", "INVALID_SESSION_ID",
		"Invalid Session ID found in SessionHeader: Illegal Session")
}

// soapFault writes a SOAP fault. exceptionCode, when set, adds the
// UnexpectedErrorFault detail Salesforce sends with its sf: fault codes;
// the faultstring then reads "CODE: message", as on a real org.
func soapFault(w http.ResponseWriter, status int, faultCode, exceptionCode, msg string) {
	type detail struct {
		Type    string `xml:"xsi:type,attr"`
		Code    string `xml:"sf:exceptionCode"`
		Message string `xml:"sf:exceptionMessage"`
	}
	type fault struct {
		Code   string  `xml:"faultcode"`
		String string  `xml:"faultstring"`
		Detail *detail `xml:"detail>sf:UnexpectedErrorFault"`
	}
	type envelope struct {
		XMLName xml.Name `xml:"soapenv:Envelope"`
		NSEnv   string   `xml:"xmlns:soapenv,attr"`
		NSFault string   `xml:"xmlns:sf,attr"`
		NSXSI   string   `xml:"xmlns:xsi,attr"`
		Fault   fault    `xml:"soapenv:Body>soapenv:Fault"`
	}
	env := envelope{NSEnv: nsSoapEnv, NSFault: nsFault, NSXSI: nsXSI, Fault: fault{Code: faultCode, String: msg}}
	if exceptionCode != "" {
		env.Fault.String = exceptionCode + ": " + msg
		env.Fault.Detail = &detail{Type: "sf:UnexpectedErrorFault", Code: exceptionCode, Message: msg}
	}
	writeXML(w, status, env)
}

// writeXML writes v as an XML document.
func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		// Only a programming error can get here; say so in a fault that
		// needs no marshalling.
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, xml.Header+`<soapenv:Envelope xmlns:soapenv="`+nsSoapEnv+`"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>the emulator could not write its answer</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(out)
}
