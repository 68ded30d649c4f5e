package ops

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3},
		{"acount", "account", 1}, {"contcat", "contact", 1}, {"lead", "lead", 0},
		{"kitten", "sitting", 3}, {"oppurtunity", "opportunity", 1}, {"ab", "ba", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNearNames(t *testing.T) {
	names := []string{"Account", "AccountContactRelation", "Contact", "Contract", "Lead", "Invoice__c", "Case", "Opportunity"}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Acount", []string{"Account"}},
		{"contcat", []string{"Contact", "Contract"}},
		{"Contac", []string{"Contact", "Contract"}},
		{"Invoice", []string{"Invoice__c"}},
		{"Oppurtunity", []string{"Opportunity"}},
		{"Cas", []string{"Case"}},
		{"Zebra", []string{}},
	} {
		if got := NearNames(tc.name, names, 3); !slices.Equal(got, tc.want) {
			t.Errorf("NearNames(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := NearNames("Cas", []string{"Case", "Cat", "Car", "Cap"}, 2); len(got) != 2 {
		t.Errorf("max 2: %v", got)
	}
}

func TestUnknownSObjectErrorWording(t *testing.T) {
	api := &salesforce.APIError{StatusCode: 404, ErrorCode: "NOT_FOUND", Message: "The requested resource does not exist"}
	e := &UnknownSObjectError{Name: "Contac", Suggestions: []string{"Contact", "Contract"}, Err: api}
	if got := e.Error(); !strings.HasPrefix(got, "NOT_FOUND: The requested resource does not exist") ||
		!strings.HasSuffix(got, `(this org has no object "Contac"; did you mean Contact or Contract?)`) {
		t.Errorf("Error() = %q", got)
	}
	var back *salesforce.APIError
	if !errors.As(e, &back) || back.ErrorCode != "NOT_FOUND" {
		t.Error("Salesforce's answer is not in the chain")
	}
	if got := (&UnknownSObjectError{Name: "Zebra", Err: api}).Detail(); got != `this org has no object "Zebra"` {
		t.Errorf("Detail() without suggestions = %q", got)
	}
}
