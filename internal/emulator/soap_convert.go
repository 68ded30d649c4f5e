package emulator

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// maxLeadConverts is how many leads one convertLead call may carry.
const maxLeadConverts = 100

// convertLeadIn is the body of a convertLead request (Partner WSDL LeadConvert).
type convertLeadIn struct {
	LeadConverts []leadConvertIn `xml:"leadConverts"`
}

type leadConvertIn struct {
	AccountID              string `xml:"accountId"`
	ContactID              string `xml:"contactId"`
	ConvertedStatus        string `xml:"convertedStatus"`
	DoNotCreateOpportunity bool   `xml:"doNotCreateOpportunity"`
	LeadID                 string `xml:"leadId"`
	OpportunityName        string `xml:"opportunityName"`
	OverwriteLeadSource    bool   `xml:"overwriteLeadSource"`
	OwnerID                string `xml:"ownerId"`
	SendNotificationEmail  bool   `xml:"sendNotificationEmail"`
}

// nillable is an xsd element that is written as xsi:nil when empty.
type nillable string

func (n nillable) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if n == "" {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "xsi:nil"}, Value: "true"})
	}
	return e.EncodeElement(string(n), start)
}

// soapError is the Partner API's Error type (fields, message, statusCode).
type soapError struct {
	Fields     []string `xml:"fields"`
	Message    string   `xml:"message"`
	StatusCode string   `xml:"statusCode"`
}

// leadConvertResultOut is a LeadConvertResult, elements in WSDL order.
type leadConvertResultOut struct {
	AccountID     nillable    `xml:"accountId"`
	ContactID     nillable    `xml:"contactId"`
	Errors        []soapError `xml:"errors"`
	LeadID        nillable    `xml:"leadId"`
	OpportunityID nillable    `xml:"opportunityId"`
	Success       bool        `xml:"success"`
}

type convertLeadEnvelope struct {
	XMLName   xml.Name               `xml:"soapenv:Envelope"`
	NSEnv     string                 `xml:"xmlns:soapenv,attr"`
	NS        string                 `xml:"xmlns,attr"`
	NSXSI     string                 `xml:"xmlns:xsi,attr"`
	LimitInfo limitInfo              `xml:"soapenv:Header>LimitInfoHeader>limitInfo"`
	Results   []leadConvertResultOut `xml:"soapenv:Body>convertLeadResponse>result"`
}

type limitInfo struct {
	Current int    `xml:"current"`
	Limit   int    `xml:"limit"`
	Type    string `xml:"type"`
}

// convertLead converts each lead in its own transaction and answers with one
// result per lead, in order. A lead that cannot be converted gets
// success=false and its errors; the others are unaffected.
func (e *Emulator) convertLead(w http.ResponseWriter, r *http.Request, sess *session, in *convertLeadIn, apiUsed int) {
	if len(in.LeadConverts) > maxLeadConverts {
		soapFault(w, http.StatusInternalServerError, "sf:EXCEEDED_LEAD_CONVERT_LIMIT", "EXCEEDED_LEAD_CONVERT_LIMIT",
			fmt.Sprintf("Too many leads to convert: %d (at most %d in one call)", len(in.LeadConverts), maxLeadConverts))
		return
	}
	statuses, err := e.org.convertedStatuses(r.Context())
	if err != nil {
		soapFault(w, http.StatusInternalServerError, "sf:UNKNOWN_EXCEPTION", "UNKNOWN_EXCEPTION", err.Error())
		return
	}
	out := convertLeadEnvelope{NSEnv: nsSoapEnv, NS: nsPartner, NSXSI: nsXSI,
		LimitInfo: limitInfo{Current: apiUsed, Limit: e.org.apiLimit(), Type: "API REQUESTS"}}
	for _, lc := range in.LeadConverts {
		res, aerr := e.org.convertOne(r.Context(), sess.UserID, lc, statuses)
		if aerr != nil {
			fields := aerr.Fields
			out.Results = append(out.Results, leadConvertResultOut{
				Errors:  []soapError{{Fields: fields, Message: aerr.Message, StatusCode: aerr.Code}},
				Success: false,
			})
			continue
		}
		out.Results = append(out.Results, res)
	}
	writeXML(w, http.StatusOK, out)
}

// convertedStatuses maps each lead status with IsConverted = true, by
// lower-cased label and API name, to the value a converted lead's Status gets.
func (o *Org) convertedStatuses(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := o.store.Scan(ctx, "LeadStatus", false, func(rec store.Record) error {
		if conv, _ := rec["IsConverted"].(bool); !conv {
			return nil
		}
		label := str(rec["MasterLabel"])
		api := str(rec["ApiName"])
		if api == "" {
			api = label
		}
		out[strings.ToLower(label)] = api
		out[strings.ToLower(api)] = api
		return nil
	})
	return out, err
}

// errConvertFailed rolls back a conversion whose reason is kept aside.
var errConvertFailed = errors.New("lead conversion failed")

// convertOne converts one lead in one transaction: the account, contact and
// opportunity it creates (or reuses) and the lead's own change are written
// together or not at all.
func (o *Org) convertOne(ctx context.Context, userID string, lc leadConvertIn, statuses map[string]string) (leadConvertResultOut, *apiError) {
	var (
		res    leadConvertResultOut
		failed *apiError
	)
	err := o.store.Update(ctx, func(tx *store.Tx) error {
		var aerr *apiError
		res, aerr = o.convertInTx(ctx, tx, userID, lc, statuses)
		if aerr != nil {
			failed = aerr
			return errConvertFailed
		}
		return nil
	})
	if failed != nil {
		return leadConvertResultOut{}, failed
	}
	if err != nil {
		return leadConvertResultOut{}, internalError(err)
	}
	return res, nil
}

// leadToAccount, leadToContact and leadToOpportunity say which lead fields
// conversion copies, and where; fields the target object lacks are skipped.
var (
	leadToAccount = [][2]string{
		{"Phone", "Phone"}, {"Fax", "Fax"}, {"Website", "Website"}, {"Industry", "Industry"},
		{"NumberOfEmployees", "NumberOfEmployees"}, {"AnnualRevenue", "AnnualRevenue"}, {"Rating", "Rating"},
		{"Street", "BillingStreet"}, {"City", "BillingCity"}, {"State", "BillingState"},
		{"PostalCode", "BillingPostalCode"}, {"Country", "BillingCountry"}, {"LeadSource", "AccountSource"},
	}
	leadToContact = [][2]string{
		{"Salutation", "Salutation"}, {"FirstName", "FirstName"}, {"LastName", "LastName"}, {"Title", "Title"},
		{"Email", "Email"}, {"Phone", "Phone"}, {"MobilePhone", "MobilePhone"}, {"Fax", "Fax"},
		{"Description", "Description"}, {"HasOptedOutOfEmail", "HasOptedOutOfEmail"}, {"DoNotCall", "DoNotCall"},
		{"Street", "MailingStreet"}, {"City", "MailingCity"}, {"State", "MailingState"},
		{"PostalCode", "MailingPostalCode"}, {"Country", "MailingCountry"},
	}
)

func (o *Org) convertInTx(ctx context.Context, tx *store.Tx, userID string, lc leadConvertIn, statuses map[string]string) (leadConvertResultOut, *apiError) {
	leadObj := o.schema.Object("Lead")
	lead, leadID, aerr := o.liveRecordInTx(ctx, tx, leadObj, "leadId", lc.LeadID, true)
	if aerr != nil {
		return leadConvertResultOut{}, aerr
	}
	if conv, _ := lead["IsConverted"].(bool); conv {
		return leadConvertResultOut{}, errf(400, "CANNOT_UPDATE_CONVERTED_LEAD", nil,
			"This lead was already converted to the contact %s on %s.", str(lead["ConvertedContactId"]), str(lead["ConvertedDate"]))
	}
	status, ok := statuses[strings.ToLower(strings.TrimSpace(lc.ConvertedStatus))]
	if !ok {
		return leadConvertResultOut{}, errf(400, "INVALID_STATUS", []string{"convertedStatus"}, "invalid convertedStatus: %s", lc.ConvertedStatus)
	}
	owner := str(lead["OwnerId"])
	if strings.TrimSpace(lc.OwnerID) != "" {
		_, id, aerr := o.liveRecordInTx(ctx, tx, o.schema.Object("User"), "ownerId", lc.OwnerID, false)
		if aerr != nil {
			return leadConvertResultOut{}, aerr
		}
		owner = id
	}
	if owner == "" {
		owner = userID
	}
	company := strings.TrimSpace(str(lead["Company"]))
	if company == "" {
		company = strings.TrimSpace(str(lead["Name"]))
	}

	// The account: the one given, or a new one named after the company.
	var accountID string
	if strings.TrimSpace(lc.AccountID) != "" {
		_, id, aerr := o.liveRecordInTx(ctx, tx, o.schema.Object("Account"), "accountId", lc.AccountID, false)
		if aerr != nil {
			return leadConvertResultOut{}, aerr
		}
		accountID = id
	} else if strings.TrimSpace(lc.ContactID) != "" {
		return leadConvertResultOut{}, errf(400, "REQUIRED_FIELD_MISSING", []string{"accountId"},
			"accountId is required when contactId is specified")
	} else {
		accObj := o.schema.Object("Account")
		body := copyFields(lead, accObj, leadToAccount, true)
		body["Name"] = company
		body["OwnerId"] = owner
		id, aerr := o.create(ctx, tx, accObj, body, userID)
		if aerr != nil {
			return leadConvertResultOut{}, aerr
		}
		accountID = id
	}

	// The contact: the one given (it must belong to the account), with blanks
	// filled from the lead, or a new one.
	conObj := o.schema.Object("Contact")
	var contactID string
	if strings.TrimSpace(lc.ContactID) != "" {
		contact, id, aerr := o.liveRecordInTx(ctx, tx, conObj, "contactId", lc.ContactID, false)
		if aerr != nil {
			return leadConvertResultOut{}, aerr
		}
		if !sfid.Equal(str(contact["AccountId"]), accountID) {
			return leadConvertResultOut{}, errf(400, "INVALID_CROSS_REFERENCE_KEY", []string{"contactId"},
				"The contact %s is not associated with the account %s", id, accountID)
		}
		body := map[string]any{}
		for k, v := range copyFields(lead, conObj, leadToContact, false) {
			if contact[k] == nil || contact[k] == "" || contact[k] == false {
				body[k] = v
			}
		}
		if lc.OverwriteLeadSource && lead["LeadSource"] != nil && conObj.Field("LeadSource") != nil {
			body["LeadSource"] = lead["LeadSource"]
		}
		if len(body) > 0 {
			if aerr := o.update(ctx, tx, conObj, id, body, userID); aerr != nil {
				return leadConvertResultOut{}, aerr
			}
		}
		contactID = id
	} else {
		body := copyFields(lead, conObj, leadToContact, true)
		if lead["LeadSource"] != nil && conObj.Field("LeadSource") != nil {
			body["LeadSource"] = lead["LeadSource"]
		}
		body["AccountId"] = accountID
		body["OwnerId"] = owner
		id, aerr := o.create(ctx, tx, conObj, body, userID)
		if aerr != nil {
			return leadConvertResultOut{}, aerr
		}
		contactID = id
	}

	// The opportunity, unless told not to.
	var oppID string
	if !lc.DoNotCreateOpportunity {
		oppObj := o.schema.Object("Opportunity")
		name := strings.TrimSpace(lc.OpportunityName)
		if name == "" {
			name = company
		}
		body := map[string]any{"Name": name, "AccountId": accountID, "StageName": firstOpenStage(oppObj),
			"CloseDate": endOfQuarter(o.now()).Format("2006-01-02"), "OwnerId": owner}
		if lead["LeadSource"] != nil && oppObj.Field("LeadSource") != nil {
			body["LeadSource"] = lead["LeadSource"]
		}
		id, aerr := o.create(ctx, tx, oppObj, body, userID)
		if aerr != nil {
			return leadConvertResultOut{}, aerr
		}
		oppID = id
	}

	// The lead itself: converted fields are not writable through the API,
	// so they are set here rather than through update.
	now := o.now()
	lead["IsConverted"] = true
	lead["ConvertedAccountId"] = accountID
	lead["ConvertedContactId"] = contactID
	if oppID != "" {
		lead["ConvertedOpportunityId"] = oppID
	} else {
		lead["ConvertedOpportunityId"] = nil
	}
	lead["ConvertedDate"] = now.UTC().Format("2006-01-02")
	lead["Status"] = status
	lead["OwnerId"] = owner
	lead["LastModifiedDate"] = timestamp(now)
	lead["SystemModstamp"] = timestamp(now)
	lead["LastModifiedById"] = userID
	if err := tx.Replace(ctx, leadObj.Name, lead, indexValues(leadObj, lead)); err != nil {
		return leadConvertResultOut{}, storeError(err)
	}
	return leadConvertResultOut{AccountID: nillable(accountID), ContactID: nillable(contactID), LeadID: nillable(leadID),
		OpportunityID: nillable(oppID), Success: true}, nil
}

// liveRecordInTx reads a live record of obj named by an id argument of
// convertLead, with the errors Salesforce gives for a malformed id, an id of
// another object, and an id that names nothing.
func (o *Org) liveRecordInTx(ctx context.Context, tx *store.Tx, obj *schema.Object, arg, id string, isLead bool) (store.Record, string, *apiError) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, "", errf(400, "REQUIRED_FIELD_MISSING", []string{arg}, "Required field is missing: %s", arg)
	}
	norm, err := sfid.Normalize(id)
	if err != nil {
		return nil, "", errf(400, "MALFORMED_ID", []string{arg}, "%s: id value of incorrect type: %s", obj.Label+" ID", id)
	}
	if norm[:3] != obj.KeyPrefix {
		code := "INVALID_CROSS_REFERENCE_KEY"
		if isLead {
			code = "INVALID_ID_FIELD"
		}
		return nil, "", errf(400, code, []string{arg}, "invalid %s: %s is not a %s id", arg, id, obj.Label)
	}
	rec, _, err := tx.Get(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", errf(400, "INVALID_CROSS_REFERENCE_KEY", []string{arg}, "invalid cross reference id: %s", id)
	}
	if err != nil {
		return nil, "", internalError(err)
	}
	if deleted, _ := rec["IsDeleted"].(bool); deleted {
		return nil, "", errf(400, "ENTITY_IS_DELETED", []string{arg}, "entity is deleted")
	}
	return rec, norm, nil
}

// copyFields maps the lead's non-empty values onto the target object's fields.
func copyFields(lead store.Record, target *schema.Object, mapping [][2]string, creating bool) map[string]any {
	out := map[string]any{}
	for _, m := range mapping {
		f := target.Field(m[1])
		if f == nil || (creating && !f.Createable) || (!creating && !f.Updateable) {
			continue
		}
		v := lead[m[0]]
		if v == nil || v == "" {
			continue
		}
		out[f.Name] = v
	}
	return out
}

// firstOpenStage is the first active opportunity stage that is not closed.
func firstOpenStage(opp *schema.Object) string {
	f := opp.Field("StageName")
	if f != nil {
		for _, pv := range f.PicklistValues {
			if pv.Active && !strings.HasPrefix(strings.ToLower(pv.Value), "closed") {
				return pv.Value
			}
		}
	}
	return "Prospecting"
}

// endOfQuarter is the last day of t's calendar quarter, the close date a
// converted opportunity starts with.
func endOfQuarter(t time.Time) time.Time {
	t = t.UTC()
	firstOfNext := time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+4), 1, 0, 0, 0, 0, time.UTC)
	return firstOfNext.AddDate(0, 0, -1)
}
