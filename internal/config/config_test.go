package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// clearEnv blanks every variable Load reads, so the developer's environment
// cannot leak into a test. Viper treats an empty variable as unset.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, e := range envNames {
		for _, name := range e.envs {
			t.Setenv(name, "")
		}
	}
	t.Setenv("SFMCP_CONFIG", "")
}

func globalFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("sfmcp", pflag.ContinueOnError)
	fs.String("org", "", "")
	fs.Bool("emulator", false, "")
	fs.String("api-version", "", "")
	fs.Bool("quiet", false, "")
	fs.Bool("verbose", false, "")
	return fs
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAPIVersionPrecedence(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		args []string
		want string
	}{
		{name: "default", want: DefaultAPIVersion},
		{name: "file", file: "api_version: '61.0'\n", want: "61.0"},
		{name: "env beats file", file: "api_version: 61.0\n", env: map[string]string{"SF_API_VERSION": "v59.0"}, want: "59.0"},
		{name: "SFMCP_ name beats compatibility name", env: map[string]string{"SF_API_VERSION": "59.0", "SFMCP_API_VERSION": "62"}, want: "62.0"},
		{name: "flag beats env", env: map[string]string{"SFMCP_API_VERSION": "62.0"}, args: []string{"--api-version", "v64.0"}, want: "64.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := filepath.Join(t.TempDir(), "missing.yaml")
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			fs := globalFlags()
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := Load(Options{Flags: fs, Path: path})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.APIVersion(); got != tt.want {
				t.Errorf("APIVersion() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompatibilityEnvNames(t *testing.T) {
	tests := []struct {
		env  map[string]string
		get  func(*Config) string
		want string
	}{
		{map[string]string{"SALESFORCE_ACCESS_TOKEN": "00Dx!tok"}, (*Config).AccessToken, "00Dx!tok"},
		{map[string]string{"SF_ACCESS_TOKEN": "00Dy!tok"}, (*Config).AccessToken, "00Dy!tok"},
		{map[string]string{"SALESFORCE_INSTANCE_URL": "https://a.my.salesforce.com/"}, (*Config).InstanceURL, "https://a.my.salesforce.com"},
		{map[string]string{"SF_INSTANCE_URL": "https://b.my.salesforce.com", "SALESFORCE_INSTANCE_URL": "https://a.my.salesforce.com"}, (*Config).InstanceURL, "https://a.my.salesforce.com"},
		{map[string]string{"SFMCP_INSTANCE_URL": "https://c", "SALESFORCE_INSTANCE_URL": "https://a"}, (*Config).InstanceURL, "https://c"},
		{map[string]string{"SALESFORCE_CLIENT_ID": "id1", "SF_CLIENT_ID": "id2"}, (*Config).ClientID, "id1"},
		{map[string]string{"SF_CLIENT_SECRET": "s"}, (*Config).ClientSecret, "s"},
		{map[string]string{"SALESFORCE_LOGIN_URL": "https://test.salesforce.com"}, (*Config).LoginURL, "https://test.salesforce.com"},
		{nil, (*Config).LoginURL, DefaultLoginURL},
		{map[string]string{"SF_TOKEN_URL": "https://t/services/oauth2/token"}, (*Config).TokenURL, "https://t/services/oauth2/token"},
		{map[string]string{"LOG_LEVEL": "DEBUG"}, (*Config).LogLevel, "debug"},
		{map[string]string{"FASTMCP_PORT": "9000"}, func(c *Config) string { return c.String(KeyPort) }, "9000"},
		{map[string]string{"FASTMCP_PORT": "9000", "PORT": "8080"}, func(c *Config) string { return c.String(KeyPort) }, "8080"},
		{map[string]string{"MCP_PORT": "3333"}, func(c *Config) string { return c.String(KeyPort) }, "3333"},
		{map[string]string{"MCP_HOST": "0.0.0.0"}, func(c *Config) string { return c.String(KeyHost) }, "0.0.0.0"},
		{map[string]string{"OAUTH_MODE": "proxy"}, func(c *Config) string { return c.String(KeyOAuthMode) }, "proxy"},
		{map[string]string{"REDIS_URL": "redis://x"}, func(c *Config) string { return c.String(KeyRedisURL) }, "redis://x"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(keys(tt.env), "+"), func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := Load(Options{Path: filepath.Join(t.TempDir(), "none.yaml")})
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	if out == nil {
		out = []string{"none"}
	}
	return out
}

func TestFlagsEnvFileForOrg(t *testing.T) {
	clearEnv(t)
	path := writeFile(t, "org: from-file\n")
	load := func(args ...string) *Config {
		t.Helper()
		fs := globalFlags()
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		c, err := Load(Options{Flags: fs, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := load().Org(); got != "from-file" {
		t.Errorf("file: Org() = %q", got)
	}
	t.Setenv("SFMCP_ORG", "from-env")
	if got := load().Org(); got != "from-env" {
		t.Errorf("env: Org() = %q", got)
	}
	if got := load("--org", "from-flag").Org(); got != "from-flag" {
		t.Errorf("flag: Org() = %q", got)
	}
	if load().Emulator() {
		t.Error("Emulator() without flag")
	}
	if !load("--emulator").Emulator() {
		t.Error("Emulator() with --emulator = false")
	}
	t.Setenv("SFMCP_EMULATOR", "true")
	if !load().Emulator() {
		t.Error("Emulator() with SFMCP_EMULATOR=true = false")
	}
}

func TestConfigPathFromEnv(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if got, want := DefaultPath(), filepath.Join(dir, "sfmcp", "config.yaml"); got != want {
		t.Errorf("DefaultPath() = %q, want %q", got, want)
	}
	t.Setenv("SFMCP_CONFIG", "/elsewhere/c.yaml")
	if got := DefaultPath(); got != "/elsewhere/c.yaml" {
		t.Errorf("DefaultPath() with SFMCP_CONFIG = %q", got)
	}
	p := writeFile(t, "login_url: https://test.salesforce.com\n")
	t.Setenv("SFMCP_CONFIG", p)
	c, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Path() != p || c.LoginURL() != "https://test.salesforce.com" {
		t.Errorf("Path() = %q, LoginURL() = %q", c.Path(), c.LoginURL())
	}
}

func TestSecretsNeverInFile(t *testing.T) {
	clearEnv(t)
	p := writeFile(t, "access_token: 00Dabc!secret\n")
	_, err := Load(Options{Path: p})
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("Load with a token in the file: err = %v", err)
	}
	if strings.Contains(err.Error(), "00Dabc") {
		t.Fatalf("error leaks the secret: %v", err)
	}

	c, err := Load(Options{Path: filepath.Join(t.TempDir(), "c.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("refresh_token", "x"); err == nil {
		t.Fatal("Set(refresh_token) succeeded")
	}
}

func TestSaveWritesOnlyFileLayer(t *testing.T) {
	clearEnv(t)
	t.Setenv("SALESFORCE_ACCESS_TOKEN", "00Dsecret!token")
	t.Setenv("SFMCP_API_VERSION", "60.0")
	path := filepath.Join(t.TempDir(), "sub", "config.yaml")
	c, err := Load(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("org", "prod"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("orgs", []map[string]string{{"alias": "prod", "instance_url": "https://p.my.salesforce.com"}}); err != nil {
		t.Fatal(err)
	}
	if c.Org() != "prod" {
		t.Fatalf("Org() after Set = %q", c.Org())
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if strings.Contains(s, "secret") || strings.Contains(s, "60.0") {
		t.Fatalf("Save wrote environment values:\n%s", s)
	}
	if !strings.Contains(s, "org: prod") || !strings.Contains(s, "alias: prod") {
		t.Fatalf("saved file:\n%s", s)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("mode = %v, want 0600", st.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}

	again, err := Load(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if again.Org() != "prod" {
		t.Fatalf("reloaded Org() = %q", again.Org())
	}
}

func TestInvalidAPIVersion(t *testing.T) {
	clearEnv(t)
	t.Setenv("SF_API_VERSION", "latest")
	_, err := Load(Options{Path: filepath.Join(t.TempDir(), "c.yaml")})
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Key != KeyAPIVersion {
		t.Fatalf("err = %v, want *ValueError for api_version", err)
	}
}

func TestBrokenFile(t *testing.T) {
	clearEnv(t)
	if _, err := Load(Options{Path: writeFile(t, "org: [unclosed\n")}); err == nil {
		t.Fatal("Load of invalid YAML succeeded")
	}
}

func TestNoEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("SALESFORCE_ACCESS_TOKEN", "tok")
	c, err := Load(Options{NoEnv: true, Path: filepath.Join(t.TempDir(), "c.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessToken() != "" {
		t.Fatal("NoEnv config read the environment")
	}
}

func TestNoFile(t *testing.T) {
	clearEnv(t)
	c, err := Load(Options{NoEnv: true, NoFile: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.APIVersion() != DefaultAPIVersion || c.Path() != "" {
		t.Fatalf("APIVersion() = %q, Path() = %q", c.APIVersion(), c.Path())
	}
	if err := c.Set("org", "x"); err != nil || c.Org() != "x" {
		t.Fatalf("Set: %v, Org() = %q", err, c.Org())
	}
	if err := c.Save(); err == nil {
		t.Fatal("Save without a file succeeded")
	}
}

// TestLeadStatuses: the lead statuses come from the environment or the
// config file, the environment first.
func TestLeadStatuses(t *testing.T) {
	clearEnv(t)
	path := writeFile(t, "lead_converted_status: Qualified\nlead_not_converted_status: \" Unqualified \"\n")
	c, err := Load(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if c.LeadConvertedStatus() != "Qualified" || c.LeadNotConvertedStatus() != "Unqualified" {
		t.Errorf("file: %q %q", c.LeadConvertedStatus(), c.LeadNotConvertedStatus())
	}
	t.Setenv("SFMCP_LEAD_CONVERTED_STATUS", "Closed - Converted")
	if c, err = Load(Options{Path: path}); err != nil || c.LeadConvertedStatus() != "Closed - Converted" || c.LeadNotConvertedStatus() != "Unqualified" {
		t.Errorf("env over file: %q %q %v", c.LeadConvertedStatus(), c.LeadNotConvertedStatus(), err)
	}
	if c, err = Load(Options{NoFile: true, NoEnv: true}); err != nil || c.LeadConvertedStatus() != "" || c.LeadNotConvertedStatus() != "" {
		t.Errorf("unset: %v", err)
	}
}
