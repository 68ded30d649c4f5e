package ops

import (
	"errors"
	"testing"
)

func TestCleanAPIPath(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want "" = refused
	}{
		{"/services/data/v62.0/limits", "/services/data/v62.0/limits"},
		{"/services/data/v62.0/sobjects/Account/", "/services/data/v62.0/sobjects/Account"},
		{"/services/data", "/services/data"},
		{"v61.0/sobjects", "/services/data/v61.0/sobjects"},
		{"sobjects/Account/describe", "/services/data/v62.0/sobjects/Account/describe"},
		{"sobjects/Account/Ext__c/a%20b", "/services/data/v62.0/sobjects/Account/Ext__c/a%20b"},
		{"", ""},
		{"https://evil.example.com/services/data/v62.0/limits", ""},
		{"//evil.example.com/services/data", ""},
		{"/services/data/v62.0/../../secur/frontdoor.jsp", ""},
		{"/services/data/v62.0/./limits", ""},
		{"/services/data/v62.0//limits", ""},
		{"/services/data/v62.0/%2e%2e/%2e%2e/id", ""},
		{"/services/data/v62.0/sobjects%2FAccount", ""},
		{"/services/data/v62.0/%252e%252e", ""},
		{"/services/data/v62.0/limits?x=1", ""},
		{"/services/data/v62.0/limits#x", ""},
		{`/services/data/v62.0\..\limits`, ""},
		{"/services/apexrest/Thing", ""},
		{"/services/oauth2/token", ""},
		{"/services/Soap/u/62.0", ""},
		{"/services/data/limits", ""},
		{"/services/datax/v62.0", ""},
		{"/services/data/v62.0/limits\r\nX: y", ""},
		{"/services/data/v62.0/é", ""},
		{"/services/data/v62.0/%zz", ""},
		{"javascript:alert(1)", ""},
	} {
		got, err := CleanAPIPath(tt.in, "62.0")
		var in *InputError
		switch {
		case tt.want == "" && (err == nil || !errors.As(err, &in)):
			t.Errorf("%q: %q %v; want refused", tt.in, got, err)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("%q: %q %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestAPIKind(t *testing.T) {
	for args, want := range map[string]string{
		`{"path":"limits"}`:                "read",
		`{"method":"get","path":"limits"}`: "read",
		`{"method":"DELETE","path":"x"}`:   "delete",
		`{"method":"patch","path":"x"}`:    "update",
		`{"method":"PUT","path":"x"}`:      "update",
		`{"method":"POST","path":"x"}`:     "write",
		`{"method":"BREW","path":"x"}`:     "write",
	} {
		if got := APIKind([]byte(args)); got != want {
			t.Errorf("%s: %s; want %s", args, got, want)
		}
	}
}
