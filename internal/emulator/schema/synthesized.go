package schema

// The recorded fixtures have no describes for User, Organization, Group and
// LeadStatus, which every org has and which clients query (Owner.Name,
// userinfo's user, the converted lead status). They are written out here in
// the same shape as the recorded ones, with the fields clients use.

// fieldSpec is the compact form of a field; newField fills in the rest of a
// real describe entry.
type fieldSpec struct {
	name, label, typ string
	length           int
	nillable         bool
	createable       bool
	updateable       bool
	defaulted        bool
	refTo            []string
	rel              string
	picklist         []string
	nameField        bool
	unique           bool
}

func newField(sp fieldSpec) map[string]any {
	soap := map[string]string{"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int",
		"double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double", "date": "xsd:date",
		"datetime": "xsd:dateTime", "address": "urn:address"}[sp.typ]
	if soap == "" {
		soap = "xsd:string"
	}
	refTo := []any{}
	for _, r := range sp.refTo {
		refTo = append(refTo, r)
	}
	picklist := []any{}
	for i, v := range sp.picklist {
		picklist = append(picklist, map[string]any{"active": true, "defaultValue": i == 0, "label": v, "validFor": nil, "value": v})
	}
	var rel any
	if sp.rel != "" {
		rel = sp.rel
	}
	byteLength := sp.length * 3
	if sp.typ == "id" || sp.typ == "reference" {
		byteLength = 18
	}
	return map[string]any{
		"aggregatable": sp.typ != "textarea", "aiPredictionField": false, "autoNumber": false, "byteLength": byteLength,
		"calculated": false, "calculatedFormula": nil, "cascadeDelete": false, "caseSensitive": false,
		"compoundFieldName": nil, "controllerName": nil, "createable": sp.createable, "custom": false,
		"defaultValue": nil, "defaultValueFormula": nil, "defaultedOnCreate": sp.defaulted, "dependentPicklist": false,
		"deprecatedAndHidden": false, "digits": 0, "displayLocationInDecimal": false, "encrypted": false,
		"externalId": false, "extraTypeInfo": nil, "filterable": true, "filteredLookupInfo": nil,
		"formulaTreatNullNumberAsZero": false, "groupable": sp.typ != "double" && sp.typ != "datetime",
		"highScaleNumber": false, "htmlFormatted": false, "idLookup": sp.typ == "id" || sp.unique, "inlineHelpText": nil,
		"label": sp.label, "length": sp.length, "mask": nil, "maskType": nil, "name": sp.name, "nameField": sp.nameField,
		"namePointing": len(sp.refTo) > 1, "nillable": sp.nillable, "permissionable": sp.nillable && sp.typ != "id",
		"picklistValues": picklist, "polymorphicForeignKey": len(sp.refTo) > 1, "precision": 0,
		"queryByDistance": false, "referenceTargetField": nil, "referenceTo": refTo, "relationshipName": rel,
		"relationshipOrder": nil, "restrictedDelete": false, "restrictedPicklist": false, "scale": 0,
		"searchPrefilterable": false, "soapType": soap, "sortable": true, "type": sp.typ, "unique": sp.unique,
		"updateable": sp.updateable, "writeRequiresMasterRead": false,
	}
}

// auditFields are the system fields every object has.
func auditFields(label string) []fieldSpec {
	return []fieldSpec{
		{name: "Id", label: label + " ID", typ: "id", length: 18, defaulted: true},
		{name: "IsDeleted", label: "Deleted", typ: "boolean", defaulted: true},
		{name: "CreatedDate", label: "Created Date", typ: "datetime", defaulted: true},
		{name: "CreatedById", label: "Created By ID", typ: "reference", length: 18, defaulted: true, refTo: []string{"User"}, rel: "CreatedBy"},
		{name: "LastModifiedDate", label: "Last Modified Date", typ: "datetime", defaulted: true},
		{name: "LastModifiedById", label: "Last Modified By ID", typ: "reference", length: 18, defaulted: true, refTo: []string{"User"}, rel: "LastModifiedBy"},
		{name: "SystemModstamp", label: "System Modstamp", typ: "datetime", defaulted: true},
	}
}

func newObject(name, label, plural, prefix string, createable bool, specs []fieldSpec) map[string]any {
	fields := []any{}
	for _, sp := range append(auditFields(label), specs...) {
		if name == "Organization" || name == "LeadStatus" {
			// Nobody writes these through the API.
			sp.createable, sp.updateable = false, false
		}
		fields = append(fields, newField(sp))
	}
	return map[string]any{
		"actionOverrides": []any{}, "activateable": false, "associateEntityType": nil, "associateParentEntity": nil,
		"childRelationships": []any{}, "compactLayoutable": createable, "createable": createable, "custom": false,
		"customSetting": false, "deepCloneable": false, "defaultImplementation": nil, "deletable": createable,
		"deprecatedAndHidden": false, "extendedBy": nil, "extendsInterfaces": nil, "feedEnabled": false,
		"fields": fields, "hasSubtypes": false, "implementedBy": nil, "implementsInterfaces": nil, "isInterface": false,
		"isSubtype": false, "keyPrefix": prefix, "label": label, "labelPlural": plural, "layoutable": createable,
		"listviewable": nil, "lookupLayoutable": nil, "mergeable": false, "mruEnabled": createable, "name": name,
		"namedLayoutInfos": []any{}, "networkScopeFieldName": nil, "queryable": true, "recordTypeInfos": []any{},
		"replicateable": true, "retrieveable": true, "searchLayoutable": createable, "searchable": createable,
		"sobjectDescribeOption": "FULL", "supportedScopes": []any{}, "triggerable": createable,
		"undeletable": createable, "updateable": createable,
	}
}

func synthesized() []map[string]any {
	user := newObject("User", "User", "Users", "005", true, []fieldSpec{
		{name: "Username", label: "Username", typ: "string", length: 80, createable: true, updateable: true, unique: true},
		{name: "LastName", label: "Last Name", typ: "string", length: 80, createable: true, updateable: true},
		{name: "FirstName", label: "First Name", typ: "string", length: 40, nillable: true, createable: true, updateable: true},
		{name: "Name", label: "Full Name", typ: "string", length: 121, defaulted: true, nameField: true},
		{name: "Alias", label: "Alias", typ: "string", length: 8, createable: true, updateable: true},
		{name: "Email", label: "Email", typ: "email", length: 128, createable: true, updateable: true},
		{name: "Title", label: "Title", typ: "string", length: 80, nillable: true, createable: true, updateable: true},
		{name: "Phone", label: "Phone", typ: "phone", length: 40, nillable: true, createable: true, updateable: true},
		{name: "IsActive", label: "Active", typ: "boolean", defaulted: true, createable: true, updateable: true},
		{name: "TimeZoneSidKey", label: "Time Zone", typ: "picklist", length: 40, createable: true, updateable: true, picklist: []string{"America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Paris"}},
		{name: "LocaleSidKey", label: "Locale", typ: "picklist", length: 40, createable: true, updateable: true, picklist: []string{"en_US", "en_GB", "fr_FR"}},
		{name: "LanguageLocaleKey", label: "Language", typ: "picklist", length: 40, createable: true, updateable: true, picklist: []string{"en_US"}},
		{name: "EmailEncodingKey", label: "Email Encoding", typ: "picklist", length: 40, createable: true, updateable: true, picklist: []string{"UTF-8", "ISO-8859-1"}},
		{name: "UserType", label: "User Type", typ: "picklist", length: 40, nillable: true, defaulted: true, picklist: []string{"Standard"}},
		{name: "ProfileId", label: "Profile ID", typ: "reference", length: 18, nillable: true, createable: true, updateable: true, refTo: []string{"Profile"}, rel: "Profile"},
		{name: "ManagerId", label: "Manager ID", typ: "reference", length: 18, nillable: true, createable: true, updateable: true, refTo: []string{"User"}, rel: "Manager"},
		{name: "CompanyName", label: "Company Name", typ: "string", length: 80, nillable: true, createable: true, updateable: true},
		{name: "Department", label: "Department", typ: "string", length: 80, nillable: true, createable: true, updateable: true},
		{name: "LastLoginDate", label: "Last Login", typ: "datetime", nillable: true},
	})
	org := newObject("Organization", "Organization", "Organizations", "00D", false, []fieldSpec{
		{name: "Name", label: "Name", typ: "string", length: 80, nameField: true},
		{name: "Division", label: "Division", typ: "string", length: 80, nillable: true},
		{name: "Country", label: "Country", typ: "string", length: 80, nillable: true},
		{name: "Phone", label: "Phone", typ: "phone", length: 40, nillable: true},
		{name: "PrimaryContact", label: "Primary Contact", typ: "string", length: 80, nillable: true},
		{name: "DefaultLocaleSidKey", label: "Locale", typ: "picklist", length: 40, picklist: []string{"en_US"}},
		{name: "TimeZoneSidKey", label: "Default Time Zone", typ: "picklist", length: 40, picklist: []string{"America/Los_Angeles"}},
		{name: "LanguageLocaleKey", label: "Language", typ: "picklist", length: 40, picklist: []string{"en_US"}},
		{name: "OrganizationType", label: "Edition", typ: "picklist", length: 40, nillable: true, picklist: []string{"Developer Edition"}},
		{name: "InstanceName", label: "Instance Name", typ: "string", length: 5, nillable: true},
		{name: "IsSandbox", label: "Is Sandbox", typ: "boolean"},
		{name: "NamespacePrefix", label: "Namespace Prefix", typ: "string", length: 15, nillable: true},
		{name: "FiscalYearStartMonth", label: "Fiscal Year Starts In", typ: "int", nillable: true},
	})
	leadStatus := newObject("LeadStatus", "Lead Status Value", "Lead Status Values", "01J", false, []fieldSpec{
		{name: "MasterLabel", label: "Master Label", typ: "string", length: 255, nillable: true, nameField: true},
		{name: "ApiName", label: "Api Name", typ: "string", length: 255},
		{name: "SortOrder", label: "Sort Order", typ: "int", nillable: true},
		{name: "IsDefault", label: "Is Default", typ: "boolean"},
		{name: "IsConverted", label: "Is Converted", typ: "boolean"},
	})
	group := newObject("Group", "Group", "Groups", "00G", false, []fieldSpec{
		{name: "Name", label: "Name", typ: "string", length: 40, nameField: true},
		{name: "DeveloperName", label: "Developer Name", typ: "string", length: 80, nillable: true},
		{name: "Type", label: "Type", typ: "picklist", length: 40, picklist: []string{"Queue", "Regular"}},
	})
	return []map[string]any{user, org, leadStatus, group}
}
