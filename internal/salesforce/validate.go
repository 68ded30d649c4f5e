package salesforce

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sfmcp/sfmcp/internal/sfid"
)

// namePattern is the shape of an sObject or field API name, custom ones
// included ("Invoice__c", "ns__Field__c"). Anything else—slashes, dots, "..",
// percent signs—could change the meaning of the URL it is put in.
var namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// maxNameLength is generous: Salesforce caps API names at 40 characters plus
// a namespace prefix and suffix.
const maxNameLength = 120

func validateName(field, name string) error {
	if name == "" {
		return &ValidationError{Field: field, Message: "is empty"}
	}
	if len(name) > maxNameLength || !namePattern.MatchString(name) {
		return &ValidationError{Field: field, Message: fmt.Sprintf("%q is not an API name (letters, digits and underscores, starting with a letter)", clipText(name, 60))}
	}
	return nil
}

func validateSObject(name string) error { return validateName("sobject", name) }

// normalizeID checks a record id and returns its 18-character form.
func normalizeID(id string) (string, error) {
	n, err := sfid.Normalize(strings.TrimSpace(id))
	if err != nil {
		return "", &ValidationError{Field: "record id", Message: strings.TrimPrefix(err.Error(), sfid.ErrInvalid.Error()+": ")}
	}
	return n, nil
}
