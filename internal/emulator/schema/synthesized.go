package schema

// The recorded fixtures have no describes for User, Organization, Group,
// LeadStatus, Task, Campaign, products and price books, profiles, roles,
// record types and field history, which every org has and which clients
// query (Owner.Name, userinfo's user, the converted lead status, Profile.Name). They are written out here in
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
		if readOnlyObjects[name] {
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
		{name: "UserRoleId", label: "Role ID", typ: "reference", length: 18, nillable: true, createable: true, updateable: true, refTo: []string{"UserRole"}, rel: "UserRole"},
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
	return append([]map[string]any{user, org, leadStatus, group}, moreStandardObjects()...)
}

// readOnlyObjects are written by Salesforce itself (setup, field tracking),
// never through the data API.
var readOnlyObjects = map[string]bool{"Organization": true, "LeadStatus": true, "Profile": true, "RecordType": true,
	"AccountHistory": true, "ContactHistory": true, "LeadHistory": true, "OpportunityFieldHistory": true, "CaseHistory": true}

// childRel is a childRelationships entry of a describe.
func childRel(child, field, name string, cascade bool) map[string]any {
	var rel any
	if name != "" {
		rel = name
	}
	return map[string]any{"cascadeDelete": cascade, "childSObject": child, "deprecatedAndHidden": false, "field": field,
		"junctionIdListNames": []any{}, "junctionReferenceTo": []any{}, "relationshipName": rel, "restrictedDelete": false}
}

func withChildren(doc map[string]any, rels ...map[string]any) map[string]any {
	list := make([]any, len(rels))
	for i, r := range rels {
		list[i] = r
	}
	doc["childRelationships"] = list
	return doc
}

// historyObject is a field history object (AccountHistory, ...): which field
// of which record changed, from what to what. Salesforce writes them; the
// data API only reads them.
func historyObject(name, parent, prefix string) map[string]any {
	doc := newObject(name, parent+" History", parent+" History", prefix, false, []fieldSpec{
		{name: parent + "Id", label: parent + " ID", typ: "reference", length: 18, refTo: []string{parent}, rel: parent},
		{name: "Field", label: "Changed Field", typ: "picklist", length: 255, picklist: []string{"created", "Name", "Owner"}},
		{name: "DataType", label: "Data Type", typ: "picklist", length: 40, nillable: true, picklist: []string{"Text", "EntityId", "DateOnly"}},
		{name: "OldValue", label: "Old Value", typ: "anyType", length: 255, nillable: true},
		{name: "NewValue", label: "New Value", typ: "anyType", length: 255, nillable: true},
	})
	// History rows are never modified: no LastModified fields.
	var fields []any
	for _, f := range doc["fields"].([]any) {
		switch f.(map[string]any)["name"] {
		case "LastModifiedDate", "LastModifiedById", "SystemModstamp":
			continue
		}
		fields = append(fields, f)
	}
	doc["fields"] = fields
	doc["searchable"], doc["layoutable"] = false, false
	return doc
}

// moreStandardObjects are the standard objects clients query beyond the
// recorded ones: activities, campaigns, products and price books, the
// setup objects users and records point at, and field history.
func moreStandardObjects() []map[string]any {
	who := []string{"Contact", "Lead"}
	what := []string{"Account", "Opportunity", "Case", "Campaign", "Product2"}
	task := newObject("Task", "Task", "Tasks", "00T", true, []fieldSpec{
		{name: "WhoId", label: "Name ID", typ: "reference", length: 18, nillable: true, createable: true, updateable: true, refTo: who, rel: "Who"},
		{name: "WhatId", label: "Related To ID", typ: "reference", length: 18, nillable: true, createable: true, updateable: true, refTo: what, rel: "What"},
		{name: "Subject", label: "Subject", typ: "combobox", length: 255, nillable: true, createable: true, updateable: true, nameField: true, picklist: []string{"Call", "Send Letter", "Send Quote", "Other"}},
		{name: "ActivityDate", label: "Due Date Only", typ: "date", nillable: true, createable: true, updateable: true},
		{name: "Status", label: "Status", typ: "picklist", length: 40, createable: true, updateable: true, defaulted: true, picklist: []string{"Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"}},
		{name: "Priority", label: "Priority", typ: "picklist", length: 40, createable: true, updateable: true, defaulted: true, picklist: []string{"Normal", "High", "Low"}},
		{name: "IsHighPriority", label: "High Priority", typ: "boolean", defaulted: true},
		{name: "OwnerId", label: "Assigned To ID", typ: "reference", length: 18, createable: true, updateable: true, defaulted: true, refTo: []string{"User", "Group"}, rel: "Owner"},
		{name: "Description", label: "Description", typ: "textarea", length: 32000, nillable: true, createable: true, updateable: true},
		{name: "Type", label: "Type", typ: "picklist", length: 40, nillable: true, createable: true, updateable: true, picklist: []string{"Call", "Email", "Meeting", "Other"}},
		{name: "IsClosed", label: "Closed", typ: "boolean", defaulted: true},
		{name: "AccountId", label: "Account ID", typ: "reference", length: 18, nillable: true, defaulted: true, refTo: []string{"Account"}, rel: "Account"},
		{name: "TaskSubtype", label: "Task Subtype", typ: "picklist", length: 40, nillable: true, createable: true, picklist: []string{"Task", "Email", "Call"}},
		{name: "CallDurationInSeconds", label: "Call Duration", typ: "int", nillable: true, createable: true, updateable: true},
		{name: "CompletedDateTime", label: "Completed Date/Time", typ: "datetime", nillable: true},
	})
	campaign := withChildren(newObject("Campaign", "Campaign", "Campaigns", "701", true, []fieldSpec{
		{name: "Name", label: "Name", typ: "string", length: 80, createable: true, updateable: true, nameField: true},
		{name: "ParentId", label: "Parent Campaign ID", typ: "reference", length: 18, nillable: true, createable: true, updateable: true, refTo: []string{"Campaign"}, rel: "Parent"},
		{name: "Type", label: "Type", typ: "picklist", length: 40, nillable: true, createable: true, updateable: true, picklist: []string{"Conference", "Webinar", "Trade Show", "Public Relations", "Partners", "Referral Program", "Advertisement", "Banner Ads", "Direct Mail", "Email", "Telemarketing", "Other"}},
		{name: "Status", label: "Status", typ: "picklist", length: 40, nillable: true, createable: true, updateable: true, picklist: []string{"Planned", "In Progress", "Completed", "Aborted"}},
		{name: "StartDate", label: "Start Date", typ: "date", nillable: true, createable: true, updateable: true},
		{name: "EndDate", label: "End Date", typ: "date", nillable: true, createable: true, updateable: true},
		{name: "ExpectedRevenue", label: "Expected Revenue in Campaign", typ: "currency", nillable: true, createable: true, updateable: true},
		{name: "BudgetedCost", label: "Budgeted Cost in Campaign", typ: "currency", nillable: true, createable: true, updateable: true},
		{name: "ActualCost", label: "Actual Cost in Campaign", typ: "currency", nillable: true, createable: true, updateable: true},
		{name: "IsActive", label: "Active", typ: "boolean", defaulted: true, createable: true, updateable: true},
		{name: "Description", label: "Description", typ: "textarea", length: 32000, nillable: true, createable: true, updateable: true},
		{name: "NumberOfLeads", label: "Leads in Campaign", typ: "int", defaulted: true},
		{name: "NumberOfContacts", label: "Contacts in Campaign", typ: "int", defaulted: true},
		{name: "OwnerId", label: "Owner ID", typ: "reference", length: 18, createable: true, updateable: true, defaulted: true, refTo: []string{"User"}, rel: "Owner"},
	}), childRel("CampaignMember", "CampaignId", "CampaignMembers", true), childRel("Campaign", "ParentId", "ChildCampaigns", false),
		childRel("Opportunity", "CampaignId", "Opportunities", false), childRel("Task", "WhatId", "Tasks", true))
	member := newObject("CampaignMember", "Campaign Member", "Campaign Members", "00v", true, []fieldSpec{
		{name: "CampaignId", label: "Campaign ID", typ: "reference", length: 18, createable: true, refTo: []string{"Campaign"}, rel: "Campaign"},
		{name: "LeadId", label: "Lead ID", typ: "reference", length: 18, nillable: true, createable: true, refTo: []string{"Lead"}, rel: "Lead"},
		{name: "ContactId", label: "Contact ID", typ: "reference", length: 18, nillable: true, createable: true, refTo: []string{"Contact"}, rel: "Contact"},
		{name: "Status", label: "Status", typ: "picklist", length: 40, nillable: true, createable: true, updateable: true, picklist: []string{"Sent", "Responded"}},
		{name: "HasResponded", label: "Responded", typ: "boolean", defaulted: true},
		{name: "FirstRespondedDate", label: "First Responded Date", typ: "date", nillable: true},
		{name: "Name", label: "Name", typ: "string", length: 121, nillable: true, nameField: true},
	})
	product := withChildren(newObject("Product2", "Product", "Products", "01t", true, []fieldSpec{
		{name: "Name", label: "Product Name", typ: "string", length: 255, createable: true, updateable: true, nameField: true},
		{name: "ProductCode", label: "Product Code", typ: "string", length: 255, nillable: true, createable: true, updateable: true},
		{name: "Description", label: "Product Description", typ: "textarea", length: 4000, nillable: true, createable: true, updateable: true},
		{name: "IsActive", label: "Active", typ: "boolean", defaulted: true, createable: true, updateable: true},
		{name: "Family", label: "Product Family", typ: "picklist", length: 40, nillable: true, createable: true, updateable: true, picklist: []string{"None"}},
		{name: "QuantityUnitOfMeasure", label: "Quantity Unit Of Measure", typ: "picklist", length: 255, nillable: true, createable: true, updateable: true, picklist: []string{"Each"}},
		{name: "StockKeepingUnit", label: "Product SKU", typ: "string", length: 180, nillable: true, createable: true, updateable: true},
	}), childRel("PricebookEntry", "Product2Id", "PricebookEntries", true))
	pricebook := withChildren(newObject("Pricebook2", "Price Book", "Price Books", "01s", true, []fieldSpec{
		{name: "Name", label: "Price Book Name", typ: "string", length: 255, createable: true, updateable: true, nameField: true},
		{name: "IsActive", label: "Active", typ: "boolean", defaulted: true, createable: true, updateable: true},
		{name: "IsStandard", label: "Is Standard Price Book", typ: "boolean", defaulted: true},
		{name: "Description", label: "Description", typ: "string", length: 255, nillable: true, createable: true, updateable: true},
	}), childRel("PricebookEntry", "Pricebook2Id", "PricebookEntries", true), childRel("Opportunity", "Pricebook2Id", "Opportunities", false))
	entry := newObject("PricebookEntry", "Price Book Entry", "Price Book Entries", "01u", true, []fieldSpec{
		{name: "Name", label: "Product Name", typ: "string", length: 255, nillable: true, nameField: true},
		{name: "Pricebook2Id", label: "Price Book ID", typ: "reference", length: 18, createable: true, refTo: []string{"Pricebook2"}, rel: "Pricebook2"},
		{name: "Product2Id", label: "Product ID", typ: "reference", length: 18, createable: true, refTo: []string{"Product2"}, rel: "Product2"},
		{name: "UnitPrice", label: "List Price", typ: "currency", createable: true, updateable: true},
		{name: "IsActive", label: "Active", typ: "boolean", defaulted: true, createable: true, updateable: true},
		{name: "UseStandardPrice", label: "Use Standard Price", typ: "boolean", defaulted: true, createable: true, updateable: true},
		{name: "ProductCode", label: "Product Code", typ: "string", length: 255, nillable: true},
	})
	profile := withChildren(newObject("Profile", "Profile", "Profile", "00e", false, []fieldSpec{
		{name: "Name", label: "Name", typ: "string", length: 255, nameField: true},
		{name: "UserType", label: "User Type", typ: "picklist", length: 40, nillable: true, picklist: []string{"Standard", "PowerPartner", "CsnOnly", "Guest"}},
		{name: "Description", label: "Description", typ: "string", length: 255, nillable: true},
		{name: "UserLicenseId", label: "User License ID", typ: "reference", length: 18, nillable: true},
	}), childRel("User", "ProfileId", "Users", false))
	role := withChildren(newObject("UserRole", "Role", "Roles", "00E", true, []fieldSpec{
		{name: "Name", label: "Name", typ: "string", length: 80, createable: true, updateable: true, nameField: true},
		{name: "DeveloperName", label: "Developer Name", typ: "string", length: 80, nillable: true, createable: true, updateable: true},
		{name: "ParentRoleId", label: "Parent Role ID", typ: "reference", length: 18, nillable: true, createable: true, updateable: true, refTo: []string{"UserRole"}},
		{name: "RollupDescription", label: "Description", typ: "string", length: 80, nillable: true, createable: true, updateable: true},
		{name: "OpportunityAccessForAccountOwner", label: "Opportunity Access Level for Account Owner", typ: "picklist", length: 40, createable: true, updateable: true, picklist: []string{"None", "Read", "Edit"}},
	}), childRel("User", "UserRoleId", "Users", false))
	recordType := newObject("RecordType", "Record Type", "Record Types", "012", false, []fieldSpec{
		{name: "Name", label: "Name", typ: "string", length: 80, nameField: true},
		{name: "DeveloperName", label: "Record Type Name", typ: "string", length: 80},
		{name: "NamespacePrefix", label: "Namespace Prefix", typ: "string", length: 15, nillable: true},
		{name: "Description", label: "Description", typ: "string", length: 255, nillable: true},
		{name: "SobjectType", label: "SObject Type Name", typ: "picklist", length: 40, picklist: []string{"Account", "Contact", "Lead", "Opportunity", "Case", "Campaign"}},
		{name: "IsActive", label: "Active", typ: "boolean"},
		{name: "BusinessProcessId", label: "Business Process ID", typ: "reference", length: 18, nillable: true},
	})
	return []map[string]any{task, campaign, member, product, pricebook, entry, profile, role, recordType,
		historyObject("AccountHistory", "Account", "017"), historyObject("ContactHistory", "Contact", "017"),
		historyObject("LeadHistory", "Lead", "017"), historyObject("CaseHistory", "Case", "017"),
		historyObject("OpportunityFieldHistory", "Opportunity", "017")}
}
