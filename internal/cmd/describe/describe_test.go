package describe

import (
	"bytes"
	"context"
	"testing"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		want  Options
		usage bool
	}{
		{args: nil, want: Options{}},
		{args: []string{"Account"}, want: Options{SObject: "Account"}},
		{args: []string{"Lead", "--full"}, want: Options{SObject: "Lead", Full: true}},
		{args: []string{"Lead", "--fields"}, want: Options{SObject: "Lead", FieldsOnly: true}},
		{args: []string{"--full"}, usage: true},
		{args: []string{"Lead", "--full", "--fields"}, usage: true},
		{args: []string{"Lead", "--full", "--csv"}, usage: true},
		{args: []string{"Le/ad"}, usage: true},
	} {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdDescribe(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if tt.usage {
			if cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
				t.Errorf("%q: %v, want a usage error", tt.args, err)
			}
			continue
		}
		if err != nil || got.SObject != tt.want.SObject || got.Full != tt.want.Full || got.FieldsOnly != tt.want.FieldsOnly {
			t.Errorf("%q: %+v %v", tt.args, got, err)
		}
	}
}
