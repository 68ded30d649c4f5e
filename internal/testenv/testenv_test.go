package testenv

import (
	"testing"
)

// recorder is a testing.TB that records how a test ended instead of ending it.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Skip(...any)           { r.skipped = true }

func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		ci                 string
		wantFail, wantSkip bool
	}{
		{ci: "true", wantFail: true},
		{ci: "1", wantFail: true},
		{ci: "", wantSkip: true},
		{ci: "false", wantSkip: true},
		{ci: "nonsense", wantSkip: true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			Missing(r, "redis-server")
			if r.failed != tc.wantFail || r.skipped != tc.wantSkip {
				t.Fatalf("failed=%v skipped=%v, want failed=%v skipped=%v", r.failed, r.skipped, tc.wantFail, tc.wantSkip)
			}
		})
	}
}

func TestLookPathFound(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	if p := LookPath(r, "sh", "a shell"); p == "" || r.failed {
		t.Fatalf("LookPath(sh) = %q, failed=%v", p, r.failed)
	}
	LookPath(r, "no-such-program-sfmcp", "nothing installs it")
	if !r.failed {
		t.Fatal("a missing program under CI=true did not fail the test")
	}
}
