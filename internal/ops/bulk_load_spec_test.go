package ops

import (
	"context"
	"errors"
	"strings"
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

// TestCheckLoadColumns checks a load's header against the emulator's
// describes: what each operation needs, and the external id field of an
// upsert.
func TestCheckLoadColumns(t *testing.T) {
	t.Parallel()
	_, c := newOrg(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		spec   LoadSpec
		header []string
		want   string // "" when accepted; else part of the refusal
	}{
		{"insert", LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert}, []string{"Name", "Description"}, ""},
		{"unknown column", LoadSpec{SObject: "Account", Operation: salesforce.BulkInsert}, []string{"Name", "Nope__c"}, `"Nope__c" is not a field of Account`},
		{"update with Id", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpdate}, []string{"id", "Name"}, ""},
		{"update without Id", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpdate}, []string{"Name"}, "an update needs an Id column"},
		{"delete without Id", LoadSpec{SObject: "Account", Operation: salesforce.BulkDelete}, []string{"Name"}, "needs an Id column"},
		{"upsert on an external id", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert, ExternalIDField: "External_Id__c"}, []string{"External_Id__c", "Name"}, ""},
		{"upsert on Id", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert, ExternalIDField: "Id"}, []string{"Id", "Name"}, ""},
		{"upsert without its column", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert, ExternalIDField: "External_Id__c"}, []string{"Name"}, "needs a column named External_Id__c"},
		{"upsert on a plain field", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert, ExternalIDField: "Description"}, []string{"Description", "Name"}, "Account.Description is not an external id field"},
		{"upsert on no field", LoadSpec{SObject: "Account", Operation: salesforce.BulkUpsert, ExternalIDField: "Nope__c"}, []string{"Nope__c", "Name"}, "Nope__c is not a field of Account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLoadColumns(ctx, c, tc.spec, tc.header)
			var ie *LoadInputError
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v; want a LoadInputError with %q", err, tc.want)
			}
		})
	}
}
