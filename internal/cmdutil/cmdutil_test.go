package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/output"
)

type codedErr struct{ code int }

func (e codedErr) Error() string { return "coded" }
func (e codedErr) ExitCode() int { return e.code }

func TestExitCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want ExitCode
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("boom"), ExitError},
		{"flag", FlagErrorf("bad flag"), ExitUsage},
		{"wrapped flag", fmt.Errorf("ctx: %w", FlagErrorWrap(errors.New("x"))), ExitUsage},
		{"cancel", ErrCancel, ExitUsage},
		{"context canceled", fmt.Errorf("get: %w", context.Canceled), ExitUsage},
		{"auth", &AuthError{Msg: "no login"}, ExitAuth},
		{"wrapped auth", fmt.Errorf("query: %w", NoLoginError("")), ExitAuth},
		{"silent", ErrSilent, ExitError},
		{"config value", &config.ValueError{Key: "api_version", Value: "x"}, ExitUsage},
		{"unknown command", errors.New(`unknown command "x" for "sfmcp"`), ExitUsage},
		{"exit coder", codedErr{4}, ExitAuth},
		{"exit coder out of range", codedErr{300}, ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCodeOf(tt.err); got != tt.want {
				t.Errorf("ExitCodeOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	if FlagErrorWrap(nil) != nil {
		t.Error("FlagErrorWrap(nil) != nil")
	}
}

func testFactory(t *testing.T, cfg *config.Config) *Factory {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IOStreams: ios, Config: func() (*config.Config, error) { return cfg, nil }, KeyringLookup: noKeyring}
	return f
}

func blankConfig(t *testing.T, values map[string]any) *config.Config {
	t.Helper()
	cfg, err := config.Load(config.Options{NoEnv: true, NoFile: true})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		if err := cfg.Viper().MergeConfigMap(map[string]any{k: v}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func TestResolveCredentials(t *testing.T) {
	emulator := func(context.Context) (*Credentials, error) {
		return &Credentials{AccessToken: "00DEMU!x", InstanceURL: "http://127.0.0.1:1", Source: "emulator"}, nil
	}
	keyring := func(_ context.Context, org string) (*Credentials, error) {
		return &Credentials{AccessToken: "00DKEY!secret", InstanceURL: "https://k", Source: "keyring:" + org}, nil
	}
	tests := []struct {
		name       string
		values     map[string]any
		emulator   func(context.Context) (*Credentials, error)
		keyring    func(context.Context, string) (*Credentials, error)
		wantSource string
		wantCode   ExitCode
		wantErr    string
	}{
		{name: "env token", values: map[string]any{"access_token": "00D!t", "instance_url": "https://a.my.salesforce.com/"}, wantSource: "env"},
		{name: "emulator first", values: map[string]any{"emulator": true, "access_token": "00D!t", "instance_url": "https://a"}, emulator: emulator, wantSource: "emulator"},
		{name: "emulator not wired", values: map[string]any{"emulator": true}, wantCode: ExitError, wantErr: "emulator"},
		{name: "token without instance", values: map[string]any{"access_token": "00D!t"}, wantCode: ExitAuth, wantErr: "SALESFORCE_INSTANCE_URL"},
		{name: "keyring for org", values: map[string]any{"org": "prod"}, keyring: keyring, wantSource: "keyring:prod"},
		{name: "nothing", wantCode: ExitAuth, wantErr: "no Salesforce login: run `sfmcp login` or set SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL"},
		{name: "nothing for org", values: map[string]any{"org": "dev"}, wantCode: ExitAuth, wantErr: `no Salesforce login for org "dev"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testFactory(t, blankConfig(t, tt.values))
			f.EmulatorCredentials = tt.emulator
			if tt.keyring != nil {
				f.KeyringLookup = tt.keyring
			}
			creds, err := ResolveCredentials(context.Background(), f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				if got := ExitCodeOf(err); got != tt.wantCode {
					t.Fatalf("exit code %d, want %d", got, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if creds.Source != tt.wantSource {
				t.Fatalf("Source = %q, want %q", creds.Source, tt.wantSource)
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds), creds.AccessToken) {
				t.Fatal("formatting credentials shows the token")
			}
		})
	}
	f := testFactory(t, blankConfig(t, map[string]any{"access_token": "00D!t", "instance_url": "https://a.my.salesforce.com/"}))
	creds, _ := ResolveCredentials(context.Background(), f)
	if creds.InstanceURL != "https://a.my.salesforce.com" || creds.LoginURL != config.DefaultLoginURL {
		t.Fatalf("creds = %+v", *creds)
	}
}

func TestHTTPClientSharedAndNamed(t *testing.T) {
	var agent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { agent = r.UserAgent() }))
	defer srv.Close()
	cfg, err := config.Load(config.Options{Path: filepath.Join(t.TempDir(), "config.yaml"), NoEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	get := httpClientFunc(&Factory{AppVersion: "1.2.3", IOStreams: ios, Config: func() (*config.Config, error) { return cfg, nil }})
	c1, _ := get()
	c2, _ := get()
	if c1 != c2 {
		t.Fatal("HTTPClient built twice")
	}
	resp, err := c1.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if agent != "sfmcp/1.2.3" {
		t.Fatalf("User-Agent = %q", agent)
	}
}

// exporterCmd builds a command with the output flags and parses args.
func exporterCmd(t *testing.T, withCSV bool, args ...string) (*Exporter, error) {
	t.Helper()
	var exp Exporter
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return FlagErrorWrap(err) })
	AddJSONFlags(cmd, &exp)
	if withCSV {
		AddCSVFlag(cmd, &exp, nil)
	}
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	return &exp, cmd.Execute()
}

func TestExporterFlags(t *testing.T) {
	tests := []struct {
		args             []string
		csv              bool
		wantJSON, wantCS bool
		wantJQ           string
		wantErr          string
	}{
		{args: nil},
		{args: []string{"--json"}, wantJSON: true},
		{args: []string{"--jq", ".a"}, wantJSON: true, wantJQ: ".a"},
		{args: []string{"--csv"}, csv: true, wantCS: true},
		{args: []string{"--csv"}, wantErr: "unknown flag: --csv"},
		{args: []string{"--json", "--csv"}, csv: true, wantErr: "--csv cannot be combined"},
		{args: []string{"--csv", "--jq", "."}, csv: true, wantErr: "--csv cannot be combined"},
		{args: []string{"--jq", ".["}, wantErr: "invalid jq expression"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			exp, err := exporterCmd(t, tt.csv, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if ExitCodeOf(err) != ExitUsage {
					t.Fatalf("exit code %d, want 2", ExitCodeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if exp.JSON() != tt.wantJSON || exp.CSV() != tt.wantCS || (exp.JQ() != nil) != (tt.wantJQ != "") {
				t.Fatalf("JSON=%v CSV=%v JQ=%v", exp.JSON(), exp.CSV(), exp.JQ())
			}
			if tt.wantJQ != "" && exp.JQ().String() != tt.wantJQ {
				t.Fatalf("JQ = %q", exp.JQ().String())
			}
		})
	}
}

func TestExporterWrite(t *testing.T) {
	type row struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	rows := []row{{"a, b", 1}, {"c", 2}}
	ctx := context.Background()

	ios, _, out, _ := iostreams.Test()
	var exp Exporter
	exp.SetJSON(true)
	if err := exp.Write(ctx, ios, rows); err != nil {
		t.Fatal(err)
	}
	if want := "[\n  {\n    \"name\": \"a, b\",\n    \"n\": 1\n  },\n  {\n    \"name\": \"c\",\n    \"n\": 2\n  }\n]\n"; out.String() != want {
		t.Errorf("json: %q", out.String())
	}

	ios, _, out, _ = iostreams.Test()
	exp = Exporter{}
	if err := exp.SetJQ(".[].name"); err != nil {
		t.Fatal(err)
	}
	if err := exp.Write(ctx, ios, rows); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a, b\nc\n" {
		t.Errorf("jq: %q", out.String())
	}

	ios, _, out, _ = iostreams.Test()
	exp = Exporter{}
	exp.SetCSV(true)
	if err := exp.Write(ctx, ios, rows); err != nil {
		t.Fatal(err)
	}
	if out.String() != "name,n\n\"a, b\",1\nc,2\n" {
		t.Errorf("csv: %q", out.String())
	}
	if err := exp.Write(ctx, ios, rows[0]); err == nil {
		t.Error("--csv of a single value succeeded")
	}

	ios, _, out, _ = iostreams.Test()
	exp = Exporter{}
	exp.SetJSON(true)
	if err := exp.WriteRaw(ctx, ios, []byte(`{"a":[1]}`)); err != nil {
		t.Fatal(err)
	}
	if out.String() != "{\n  \"a\": [\n    1\n  ]\n}\n" {
		t.Errorf("raw: %q", out.String())
	}
}

func TestRecordFormatChoice(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var exp Exporter
	if exp.RecordFormat(ios) != output.RecordsCSV {
		t.Error("piped default is not CSV")
	}
	ios.SetStdoutTTY(true)
	if exp.RecordFormat(ios) != output.RecordsTable {
		t.Error("terminal default is not a table")
	}
	exp.SetJSON(true)
	if exp.RecordFormat(ios) != output.RecordsJSON {
		t.Error("--json is not JSON")
	}
	_ = exp.SetJQ(".")
	if exp.RecordFormat(ios) != output.RecordsJQ {
		t.Error("--jq is not jq")
	}

	ios, _, out, errOut := iostreams.Test()
	exp = Exporter{}
	rw := exp.RecordWriter(context.Background(), ios, output.RecordOptions{Columns: []string{"Id"}})
	_ = rw.Write([]byte(`{"Id":"1","Other":"x"}`))
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	// Fixed columns are a projection: the other field is left out silently.
	if out.String() != "Id\n1\n" || errOut.String() != "" {
		t.Errorf("out %q, err %q", out.String(), errOut.String())
	}
}

func TestRedactedPath(t *testing.T) {
	u, _ := url.Parse("https://x.my.salesforce.com/services/oauth2/revoke?token=00Dsecret&Access_Token=also&q=SELECT+Id")
	got := redactedPath(u)
	if strings.Contains(got, "secret") || strings.Contains(got, "also") || !strings.Contains(got, "q=SELECT+Id") {
		t.Errorf("redactedPath = %q", got)
	}
}
