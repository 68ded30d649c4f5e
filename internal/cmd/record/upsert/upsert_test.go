package upsert

import (
	"bytes"
	"context"
	"testing"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func TestParse(t *testing.T) {
	ios, in, _, _ := iostreams.Test()
	in.WriteString(`{"Industry":"Energy"}`)
	var got *Options
	cmd := NewCmdUpsert(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"Account", "External_Id__c", "A-42", "Name=Acme", "--data", "-", "--json"})
	cmd.SetOut(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.SObject != "Account" || got.ExternalIDField != "External_Id__c" || got.ExternalIDValue != "A-42" ||
		len(got.Assignments) != 1 || got.Assignments[0].Field != "Name" || got.Data["Industry"] != "Energy" || !got.Exporter.JSON() {
		t.Errorf("options = %+v", got)
	}
	cmd.SetArgs([]string{"Account", "Bad Field", "A-42"})
	if err := cmd.Execute(); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Errorf("bad field: %v", err)
	}
}
