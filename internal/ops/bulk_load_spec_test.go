package ops

import (
	"errors"
	"testing"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestLoadSpecValidate: a load's object and external id field must be API
// names (they go into the job Salesforce creates), and every check runs
// whatever an earlier one found: a valid object name must not wave through
// a bad operation, external id or upload bound.
func TestLoadSpecValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		spec  LoadSpec
		field string // "" means valid
	}{
		{"insert", LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert}, ""},
		{"upsert", LoadSpec{SObject: "Contact", Operation: salesforce.BulkUpsert, ExternalIDField: "Ext_Id__c"}, ""},
		{"object not an API name", LoadSpec{SObject: "Account/../Contact", Operation: salesforce.BulkInsert}, "sobject"},
		{"object missing", LoadSpec{Operation: salesforce.BulkDelete}, "sobject"},
		{"unknown operation", LoadSpec{SObject: "Account", Operation: "merge"}, "operation"},
		{"external id on insert", LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert, ExternalIDField: "Ext_Id__c"}, "external_id_field"},
		{"upsert without external id", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert}, "external_id_field"},
		{"external id not an API name", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert, ExternalIDField: "Ext Id"}, "external_id_field"},
		{"external id fine, bound negative", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert, ExternalIDField: "Ext_Id__c", MaxUploadBytes: -1}, "max_upload_bytes"},
		{"negative upload bound", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpdate, MaxUploadBytes: -1}, "max_upload_bytes"},
	} {
		err := tt.spec.Validate()
		var ie *InputError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tt.name, err)
		case tt.field != "" && (!errors.As(err, &ie) || ie.Field != tt.field):
			t.Errorf("%s: Validate() = %v, want an input error on %s", tt.name, err, tt.field)
		}
	}
}
