package query

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func parse(t *testing.T, stdin string, args ...string) (*Options, error) {
	t.Helper()
	ios, in, _, _ := iostreams.Test()
	in.WriteString(stdin)
	var got *Options
	cmd := NewCmdQuery(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

func TestParse(t *testing.T) {
	o, err := parse(t, "", "--all", "--limit", "5", "--csv", "SELECT Id", "FROM Account")
	if err != nil {
		t.Fatal(err)
	}
	if o.SOQL != "SELECT Id FROM Account" || !o.All || o.Limit != 5 || !o.Exporter.CSV() {
		t.Errorf("options = %+v", o)
	}
	o, err = parse(t, "SELECT Name FROM Lead\n", "-", "--jq", ".[].Name")
	if err != nil || o.SOQL != "SELECT Name FROM Lead" || o.Exporter.JQ() == nil {
		t.Errorf("stdin: %+v %v", o, err)
	}
	for _, bad := range [][]string{{}, {"   "}, {"--limit", "-1", "SELECT Id FROM Account"}, {"--csv", "--json", "SELECT Id FROM Account"}} {
		if _, err := parse(t, "", bad...); cmdutil.ExitCodeOf(cmdutil.FlagErrorWrap(err)) != cmdutil.ExitUsage || err == nil {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func run(t *testing.T, em *emulatortest.Server, tty bool, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	f := &cmdutil.Factory{IOStreams: ios}
	cmd := NewCmdQuery(f, func(ctx context.Context, o *Options) error {
		o.Salesforce = func(context.Context) (*salesforce.Client, error) {
			return salesforce.New(salesforce.Config{
				HTTPClient: salesforce.NewHTTPClient(),
				Tokens:     salesforce.NewTokenSource(salesforce.TokenSourceConfig{Token: salesforce.Token{AccessToken: em.Token.AccessToken, InstanceURL: em.URL}}),
			})
		}
		return queryRun(ctx, o)
	})
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestQueryAgainstEmulator(t *testing.T) {
	em := emulatortest.New(t, func(o *emulator.Options) { o.PageSize = 200 })

	out, _, err := run(t, em, false, "SELECT Id, Name, Owner.Name FROM Account ORDER BY Name")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "Id,Name,Owner.Name" || len(lines) != emulator.SampleSizes.Accounts+1 {
		t.Errorf("CSV: header %q, %d lines", lines[0], len(lines))
	}

	out, _, err = run(t, em, false, "--json", "--limit", "3", "SELECT Id FROM Account")
	var recs []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 3 {
		t.Errorf("--json --limit 3: %v %q", err, out)
	}

	out, errOut, err := run(t, em, true, "--limit", "2", "SELECT Name FROM Account")
	if err != nil || !strings.Contains(out, "NAME") && !strings.Contains(out, "Name") || !strings.Contains(errOut, "2 of 250 records") {
		t.Errorf("table: %v\n%s\n%s", err, out, errOut)
	}

	out, _, err = run(t, em, false, "SELECT COUNT() FROM Account")
	if err != nil || strings.TrimSpace(out) != "250" {
		t.Errorf("count: %q %v", out, err)
	}

	_, _, err = run(t, em, false, "SELECT nope FROM Account")
	if err == nil || !strings.HasPrefix(err.Error(), "INVALID_FIELD: ") || cmdutil.ExitCodeOf(err) != cmdutil.ExitError {
		t.Errorf("bad field: %v", err)
	}
}
