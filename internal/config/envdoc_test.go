package config

import (
	"slices"
	"testing"
)

// TestEnvironmentListsEverySetting: every variable Load binds is in the
// environment help, with no name twice.
func TestEnvironmentListsEverySetting(t *testing.T) {
	listed := map[string]int{}
	for _, e := range Environment() {
		if len(e.Names) == 0 || e.Doc == "" {
			t.Errorf("entry %v: want names and a description", e)
		}
		for _, n := range e.Names {
			listed[n]++
		}
	}
	for _, e := range envNames {
		for _, n := range e.envs {
			if listed[n] == 0 {
				t.Errorf("%s (setting %s) is bound by Load but missing from Environment()", n, e.key)
			}
		}
	}
	for n, c := range listed {
		if c > 1 {
			t.Errorf("%s listed %d times", n, c)
		}
	}
	if !slices.Contains(Environment()[0].Names, "SFMCP_ORG") {
		t.Errorf("first entry %v", Environment()[0])
	}
}
