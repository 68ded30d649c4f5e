package mcpserver

import (
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/ops"
)

func TestLongRunningTools(t *testing.T) {
	want := map[string]bool{"salesforce_bulk_insert": true, "salesforce_bulk_update": true, "salesforce_bulk_upsert": true,
		"salesforce_bulk_delete": true, "salesforce_bulk_query": true}
	for _, e := range ops.Catalogue() {
		if got := longRunning(e); got != want[e.Meta.Name] {
			t.Errorf("%s: longRunning %v; want %v", e.Meta.Name, got, want[e.Meta.Name])
		}
	}
}

func TestTaskOwners(t *testing.T) {
	now := time.Now()
	o := &taskOwners{m: map[string]taskOwner{}}
	o.add("t1", "org/alice", now)
	o.add("t2", "", now)
	tests := []struct {
		id, owner string
		want      bool
	}{
		{"t1", "org/alice", true},
		{"t1", "org/bob", false},
		{"t1", "", false},
		{"t2", "", true},
		{"t2", "org/alice", false},
		{"unknown", "", false},
	}
	for _, tt := range tests {
		if got := o.allowed(tt.id, tt.owner); got != tt.want {
			t.Errorf("allowed(%q, %q) = %v; want %v", tt.id, tt.owner, got, tt.want)
		}
	}
	// Owners of tasks long past their TTL are forgotten.
	o.add("t3", "org/carol", now.Add(2*time.Hour))
	if o.allowed("t1", "org/alice") || !o.allowed("t3", "org/carol") {
		t.Errorf("after two hours: %v", o.m)
	}
}
