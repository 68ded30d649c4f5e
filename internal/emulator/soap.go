package emulator

import (
	"fmt"
	"html"
	"net/http"
)

// handleSoap serves the SOAP Partner API endpoint. Lead conversion
// (convertLead) arrives with the lead issue; until then every call gets the
// fault a real org sends for an operation it does not offer.
func (e *Emulator) handleSoap(w http.ResponseWriter, r *http.Request) {
	soapFault(w, 500, "sf:UNKNOWN_EXCEPTION", "the emulator does not implement this SOAP operation yet")
}

func soapFault(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>%s</faultcode><faultstring>%s</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		html.EscapeString(code), html.EscapeString(msg))
}
