package ops

import (
	"testing"
	"time"
)

func TestAPIVersionRangeServes(t *testing.T) {
	r := APIVersionRange{Min: "31.0", Max: "60.0"}
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"31.0", true}, {"60.0", true}, {"45.0", true}, {"v45.0", true},
		{"30.0", false}, {"61.0", false}, {"99.0", false}, {"", false}, {"latest", false},
	} {
		if got := r.Serves(tc.v); got != tc.want {
			t.Errorf("Serves(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if (APIVersionRange{}).Serves("60.0") {
		t.Error("an empty range serves nothing")
	}
}

func TestOrgCacheTTLAndLogins(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	a := NewOrgCache(dir, "keyring:a", "https://x.my.salesforce.com/")
	a.now = func() time.Time { return now }
	b := NewOrgCache(dir, "keyring:b", "https://x.my.salesforce.com")
	if _, ok := a.Versions(); ok {
		t.Fatal("empty cache has versions")
	}
	if err := a.SetVersions(APIVersionRange{Min: "31.0", Max: "60.0"}); err != nil {
		t.Fatal(err)
	}
	if err := a.SetSObjects([]string{"Account", "Contact"}); err != nil {
		t.Fatal(err)
	}
	if r, ok := a.Versions(); !ok || r.Max != "60.0" {
		t.Errorf("Versions() = %v %v", r, ok)
	}
	if _, ok := b.Versions(); ok {
		t.Error("another login sees a's versions")
	}
	now = now.Add(2 * time.Hour) // past the object names' TTL, within the versions'
	if _, ok := a.SObjects(); ok {
		t.Error("object names outlived their TTL")
	}
	if _, ok := a.Versions(); !ok {
		t.Error("versions expired early")
	}
	now = now.Add(24 * time.Hour)
	if _, ok := a.Versions(); ok {
		t.Error("versions outlived their TTL")
	}
	var none *OrgCache
	if _, ok := none.Versions(); ok || none.SetVersions(APIVersionRange{}) != nil || none.Forget() != nil {
		t.Error("a nil cache must cache nothing and fail nothing")
	}
	if err := a.Forget(); err != nil {
		t.Fatal(err)
	}
}
