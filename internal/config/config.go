// Package config resolves sfmcp's settings from, in order of precedence:
// command-line flags > environment > config file > defaults.
//
// There is one *viper.Viper per process, created by Load (the factory calls it
// once); nothing here is global.
//
// The config file ($SFMCP_CONFIG, else $XDG_CONFIG_HOME/sfmcp/config.yaml, else
// ~/.config/sfmcp/config.yaml) holds non-secret metadata only: API version,
// login URL, the list of logins and the default org. Secrets (access and
// refresh tokens, client secrets, encryption keys) live in the OS keyring or the
// environment; Load refuses a file that contains one and Set refuses to store
// one, so that a config file can be shared or committed without leaking anything.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	yaml "go.yaml.in/yaml/v3"
)

// Keys of the settings sfmcp knows. Config file keys and viper keys are the same.
const (
	KeyOrg                  = "org"         // default login alias (--org, SFMCP_ORG; file: org)
	KeyEmulator             = "emulator"    // use the local emulator org (--emulator, SFMCP_EMULATOR)
	KeyAPIVersion           = "api_version" // Salesforce REST API version, e.g. "66.0"
	KeyQuiet                = "quiet"       // suppress non-essential stderr output
	KeyVerbose              = "verbose"     // extra diagnostics on stderr
	KeyAccessToken          = "access_token"
	KeyRefreshToken         = "refresh_token"
	KeyInstanceURL          = "instance_url"
	KeyLoginURL             = "login_url"
	KeyTokenURL             = "token_url"
	KeyClientID             = "client_id"
	KeyClientSecret         = "client_secret"
	KeyUserID               = "user_id"
	KeyOrgID                = "org_id"
	KeyUsername             = "username"
	KeyLogLevel             = "log_level"
	KeyOAuthMode            = "oauth_mode"
	KeyBaseURL              = "base_url"
	KeyOAuthRequiredScopes  = "oauth_required_scopes"
	KeyOAuthStorageType     = "oauth_storage_type"
	KeyRedisURL             = "redis_url"
	KeyStorageEncryptionKey = "storage_encryption_key"
	KeyHost                 = "host"
	KeyPort                 = "port"
	// The lead statuses of lead sync (CLI and MCP alike): the Status a
	// conversion sets ("" = the org's first converted status) and the one
	// "objected" sets ("" = Closed - Not Converted).
	KeyLeadConvertedStatus    = "lead_converted_status"
	KeyLeadNotConvertedStatus = "lead_not_converted_status"
	// KeyAPIBudget is the share of the org's daily API requests sfmcp may
	// use, in percent (--api-budget, SFMCP_API_BUDGET); "" or 0: no budget.
	KeyAPIBudget = "api_budget"
	// KeyAuditLog is the file (or "-" for stderr) that gets one JSON line per
	// tool call and CLI write (--audit-log, SFMCP_AUDIT_LOG).
	KeyAuditLog = "audit_log"
)

// DefaultAPIVersion is the Salesforce API version used when none is configured.
const DefaultAPIVersion = "66.0"

// DefaultLoginURL is where production orgs log in.
const DefaultLoginURL = "https://login.salesforce.com"

// envNames maps each key to the environment variables that set it, first set
// wins. sfmcp's own SFMCP_* name comes first; the others are the names the two
// Python servers sfmcp replaces used (design.md §5), kept so their deployments
// work unchanged.
var envNames = []struct {
	key  string
	envs []string
}{
	{KeyOrg, []string{"SFMCP_ORG"}},
	{KeyEmulator, []string{"SFMCP_EMULATOR"}},
	{KeyAPIVersion, []string{"SFMCP_API_VERSION", "SF_API_VERSION"}},
	{KeyQuiet, []string{"SFMCP_QUIET"}},
	{KeyVerbose, []string{"SFMCP_VERBOSE"}},
	{KeyAccessToken, []string{"SFMCP_ACCESS_TOKEN", "SALESFORCE_ACCESS_TOKEN", "SF_ACCESS_TOKEN"}},
	{KeyRefreshToken, []string{"SFMCP_REFRESH_TOKEN", "SALESFORCE_REFRESH_TOKEN", "SF_REFRESH_TOKEN"}},
	{KeyInstanceURL, []string{"SFMCP_INSTANCE_URL", "SALESFORCE_INSTANCE_URL", "SF_INSTANCE_URL"}},
	{KeyLoginURL, []string{"SFMCP_LOGIN_URL", "SALESFORCE_LOGIN_URL"}},
	{KeyTokenURL, []string{"SFMCP_TOKEN_URL", "SF_TOKEN_URL"}},
	{KeyClientID, []string{"SFMCP_CLIENT_ID", "SALESFORCE_CLIENT_ID", "SF_CLIENT_ID"}},
	{KeyClientSecret, []string{"SFMCP_CLIENT_SECRET", "SALESFORCE_CLIENT_SECRET", "SF_CLIENT_SECRET"}},
	{KeyUserID, []string{"SFMCP_USER_ID", "SALESFORCE_USER_ID"}},
	{KeyOrgID, []string{"SFMCP_ORG_ID", "SALESFORCE_ORG_ID"}},
	{KeyUsername, []string{"SFMCP_USERNAME", "SALESFORCE_USERNAME"}},
	{KeyLogLevel, []string{"SFMCP_LOG_LEVEL", "LOG_LEVEL"}},
	{KeyOAuthMode, []string{"SFMCP_OAUTH_MODE", "OAUTH_MODE"}},
	{KeyBaseURL, []string{"SFMCP_BASE_URL", "BASE_URL"}},
	{KeyOAuthRequiredScopes, []string{"SFMCP_OAUTH_REQUIRED_SCOPES", "OAUTH_REQUIRED_SCOPES"}},
	{KeyOAuthStorageType, []string{"SFMCP_OAUTH_STORAGE_TYPE", "OAUTH_STORAGE_TYPE"}},
	{KeyRedisURL, []string{"SFMCP_REDIS_URL", "REDIS_URL"}},
	{KeyStorageEncryptionKey, []string{"SFMCP_STORAGE_ENCRYPTION_KEY", "STORAGE_ENCRYPTION_KEY"}},
	{KeyHost, []string{"SFMCP_HOST", "MCP_HOST"}},
	// PORT before FASTMCP_PORT is the general server's documented priority.
	{KeyPort, []string{"SFMCP_PORT", "PORT", "FASTMCP_PORT", "MCP_PORT"}},
	{KeyLeadConvertedStatus, []string{"SFMCP_LEAD_CONVERTED_STATUS"}},
	{KeyLeadNotConvertedStatus, []string{"SFMCP_LEAD_NOT_CONVERTED_STATUS"}},
	{KeyAPIBudget, []string{"SFMCP_API_BUDGET"}},
	{KeyAuditLog, []string{"SFMCP_AUDIT_LOG"}},
}

// EnvNames returns the environment variables that set key, in priority order.
func EnvNames(key string) []string {
	for _, e := range envNames {
		if e.key == key {
			return append([]string(nil), e.envs...)
		}
	}
	return nil
}

// flagNames maps global flag names to keys. Load binds those present in the flag set.
var flagNames = map[string]string{
	"target-org":  KeyOrg, // -o; the CLI normalizes --org to it
	"org":         KeyOrg, // flag sets without that normalization
	"emulator":    KeyEmulator,
	"api-version": KeyAPIVersion,
	"quiet":       KeyQuiet,
	"verbose":     KeyVerbose,
	"api-budget":  KeyAPIBudget,
	"audit-log":   KeyAuditLog,
}

// secretKeys may come from the environment (or a flag) but never from, or into, the config file.
var secretKeys = map[string]bool{
	KeyAccessToken:          true,
	KeyRefreshToken:         true,
	KeyClientSecret:         true,
	KeyStorageEncryptionKey: true,
}

// IsSecret reports whether key names a secret, which the config file must not hold.
func IsSecret(key string) bool { return secretKeys[strings.ToLower(key)] }

// Options tells Load where to look.
type Options struct {
	// Flags holds the global flags (--org, --emulator, --api-version, --quiet,
	// --verbose); those present are bound. A flag counts only when given.
	Flags *pflag.FlagSet
	// Path overrides the config file location; "" means DefaultPath().
	Path string
	// NoEnv skips environment variables (for tests that want a blank config).
	NoEnv bool
	// NoFile skips the config file; Save then fails (for tests).
	NoFile bool
}

// Config is sfmcp's resolved configuration.
type Config struct {
	v    *viper.Viper
	path string
	// noFile: Load was told to ignore the config file; Save refuses.
	noFile bool
	// file holds exactly what the config file says (plus Set calls), so Save
	// writes back only file-level values and never a flag or environment value.
	file map[string]any
}

// ValueError reports a setting with an unusable value.
type ValueError struct {
	Key, Value, Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", strings.ReplaceAll(e.Key, "_", " "), e.Value, e.Reason)
}

// DefaultPath is the config file location: $SFMCP_CONFIG, else
// $XDG_CONFIG_HOME/sfmcp/config.yaml, else ~/.config/sfmcp/config.yaml
// (%AppData%\sfmcp\config.yaml on Windows).
func DefaultPath() string {
	if p := os.Getenv("SFMCP_CONFIG"); p != "" {
		return p
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "sfmcp", "config.yaml")
	}
	if runtime.GOOS == "windows" {
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, "sfmcp", "config.yaml")
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".config", "sfmcp", "config.yaml")
	}
	return filepath.Join(home, ".config", "sfmcp", "config.yaml")
}

// Load builds the configuration: defaults, then the config file (a missing file
// is fine), then environment variables, then the given flags.
func Load(opts Options) (*Config, error) {
	v := viper.New()
	c := &Config{v: v, path: opts.Path, noFile: opts.NoFile, file: map[string]any{}}
	if c.path == "" && !c.noFile {
		c.path = DefaultPath()
	}

	// No default for the API version: ExplicitAPIVersion must tell a chosen
	// version from none (then the org's newest is used).
	v.SetDefault(KeyLoginURL, DefaultLoginURL)
	v.SetDefault(KeyEmulator, false)
	v.SetDefault(KeyQuiet, false)
	v.SetDefault(KeyVerbose, false)
	v.SetDefault(KeyLogLevel, "info")

	if !c.noFile {
		if err := c.readFile(); err != nil {
			return nil, err
		}
	}
	if !opts.NoEnv {
		for _, e := range envNames {
			if err := v.BindEnv(append([]string{e.key}, e.envs...)...); err != nil {
				return nil, err
			}
		}
	}
	if opts.Flags != nil {
		for name, key := range flagNames {
			if f := opts.Flags.Lookup(name); f != nil {
				if err := v.BindPFlag(key, f); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) readFile() error {
	data, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading config file: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("config file %s: %w", c.path, err)
	}
	for k, val := range m {
		k = strings.ToLower(k)
		if secretKeys[k] {
			return fmt.Errorf("config file %s contains the secret %q: secrets belong in the keyring (sfmcp login) or the environment, never in the config file", c.path, k)
		}
		c.file[k] = val
	}
	return c.v.MergeConfigMap(c.file)
}

func (c *Config) validate() error {
	if raw := c.v.GetString(KeyAPIVersion); raw != "" && normalizeAPIVersion(raw) == "" {
		return &ValueError{Key: KeyAPIVersion, Value: raw, Reason: "want a version like 66.0"}
	}
	return nil
}

// Path is the config file's location (it may not exist yet); "" with Options.NoFile.
func (c *Config) Path() string { return c.path }

// Viper exposes the underlying instance for settings without an accessor.
func (c *Config) Viper() *viper.Viper { return c.v }

// String returns the resolved value of any key.
func (c *Config) String(key string) string { return c.v.GetString(key) }

// Bool returns the resolved boolean value of any key.
func (c *Config) Bool(key string) bool { return c.v.GetBool(key) }

// Org is the login alias chosen with --org, SFMCP_ORG or the file's default org.
func (c *Config) Org() string { return c.v.GetString(KeyOrg) }

// Emulator reports whether commands should talk to the local emulator org.
func (c *Config) Emulator() bool { return c.v.GetBool(KeyEmulator) }

// Quiet reports --quiet.
func (c *Config) Quiet() bool { return c.v.GetBool(KeyQuiet) }

// Verbose reports --verbose.
func (c *Config) Verbose() bool { return c.v.GetBool(KeyVerbose) }

// APIVersion is the Salesforce API version without the "v": "66.0". Inputs
// "v59.0", "59" and "59.0" all work; paths are built as "v"+APIVersion().
// DefaultAPIVersion when none is chosen.
func (c *Config) APIVersion() string {
	if v := c.ExplicitAPIVersion(); v != "" {
		return v
	}
	return DefaultAPIVersion
}

// ExplicitAPIVersion is the API version a flag, the environment or the config
// file chose ("66.0"), or "" when none did: the CLI then uses the org's newest.
func (c *Config) ExplicitAPIVersion() string {
	return normalizeAPIVersion(c.v.GetString(KeyAPIVersion))
}

// AccessToken is a Salesforce access token from the environment (never the file).
func (c *Config) AccessToken() string { return c.v.GetString(KeyAccessToken) }

// RefreshToken is a Salesforce refresh token from the environment (never the file).
func (c *Config) RefreshToken() string { return c.v.GetString(KeyRefreshToken) }

// InstanceURL is the org's base URL, e.g. https://acme.my.salesforce.com, without a trailing slash.
func (c *Config) InstanceURL() string {
	return strings.TrimRight(c.v.GetString(KeyInstanceURL), "/")
}

// LoginURL is where OAuth logins start (https://login.salesforce.com, test.salesforce.com for sandboxes).
func (c *Config) LoginURL() string { return strings.TrimRight(c.v.GetString(KeyLoginURL), "/") }

// TokenURL is an explicit OAuth token endpoint (SF_TOKEN_URL), "" when derived from LoginURL.
func (c *Config) TokenURL() string { return c.v.GetString(KeyTokenURL) }

// ClientID is the Connected App's consumer key.
func (c *Config) ClientID() string { return c.v.GetString(KeyClientID) }

// ClientSecret is the Connected App's consumer secret ("" for PKCE-only public clients).
func (c *Config) ClientSecret() string { return c.v.GetString(KeyClientSecret) }

// LeadConvertedStatus is the Lead.Status a conversion sets; "" means the
// org's first status with IsConverted = true.
func (c *Config) LeadConvertedStatus() string {
	return strings.TrimSpace(c.v.GetString(KeyLeadConvertedStatus))
}

// LeadNotConvertedStatus is the Lead.Status "objected" sets; "" means the
// default (Closed - Not Converted).
func (c *Config) LeadNotConvertedStatus() string {
	return strings.TrimSpace(c.v.GetString(KeyLeadNotConvertedStatus))
}

// APIBudget returns the API budget in percent (0: none), or an error when
// the setting is not a number from 0 to 100.
func (c *Config) APIBudget() (float64, error) {
	v := strings.TrimSuffix(strings.TrimSpace(c.v.GetString(KeyAPIBudget)), "%")
	if v == "" {
		return 0, nil
	}
	p, err := strconv.ParseFloat(v, 64)
	if err != nil || p < 0 || p > 100 || p != p {
		return 0, fmt.Errorf("api budget %q: want a percentage from 0 to 100 (--api-budget, SFMCP_API_BUDGET, api_budget)", v)
	}
	return p, nil
}

// LogLevel is the log level name, lower case: debug, info, warning, error.
func (c *Config) LogLevel() string { return strings.ToLower(c.v.GetString(KeyLogLevel)) }

var apiVersionRE = regexp.MustCompile(`^[vV]?([0-9]{2,3})(\.0)?$`)

func normalizeAPIVersion(s string) string {
	m := apiVersionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return ""
	}
	return m[1] + ".0"
}

// Set stores a non-secret value in the file layer (it takes effect at once
// where no flag or environment variable overrides it); Save persists it.
func (c *Config) Set(key string, value any) error {
	key = strings.ToLower(key)
	if secretKeys[key] {
		return fmt.Errorf("refusing to store the secret %q in the config file", key)
	}
	c.file[key] = value
	return c.v.MergeConfigMap(map[string]any{key: value})
}

// Unset removes a value from the file layer. It takes effect after Save and a reload.
func (c *Config) Unset(key string) { delete(c.file, strings.ToLower(key)) }

// FileValues returns a copy of the keys and values the config file holds.
func (c *Config) FileValues() map[string]any {
	out := make(map[string]any, len(c.file))
	for k, v := range c.file {
		out[k] = v
	}
	return out
}

// Save writes the file layer (only what the file held plus Set calls, never
// flags or environment) to Path(), atomically and readable by the owner only.
func (c *Config) Save() error {
	if c.noFile {
		return errors.New("config: this configuration has no file to save to")
	}
	keys := make([]string, 0, len(c.file))
	for k := range c.file {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	node := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range keys {
		var val yaml.Node
		if err := val.Encode(c.file[k]); err != nil {
			return fmt.Errorf("encoding %s: %w", k, err)
		}
		node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &val)
	}
	data, err := yaml.Marshal(node)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		data = nil
	}
	return writeFileAtomic(c.path, data, 0o600)
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
