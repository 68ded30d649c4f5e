package auth

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sfmcp/sfmcp/internal/config"
)

// ConfigKeyLogins is the config file key holding the logins, by alias.
const ConfigKeyLogins = "logins"

// Storage names where a login's tokens are kept.
const (
	StorageKeyring = "keyring" // the OS keyring (default)
	StorageFile    = "file"    // the 0600 tokens file, --insecure-storage
)

// Login is what sfmcp remembers about one login in the config file. It holds
// no secret: the tokens are in the keyring, under Service() and Username.
type Login struct {
	Alias       string `yaml:"-" json:"alias"`
	Username    string `yaml:"username" json:"username"`
	UserID      string `yaml:"user_id,omitempty" json:"user_id,omitempty"`
	OrgID       string `yaml:"org_id,omitempty" json:"org_id,omitempty"`
	InstanceURL string `yaml:"instance_url" json:"instance_url"`
	LoginURL    string `yaml:"login_url" json:"login_url"`
	ClientID    string `yaml:"client_id,omitempty" json:"client_id,omitempty"`
	Storage     string `yaml:"storage" json:"storage"`
	// Grant is how a login without a refresh token gets a new session:
	// GrantJWT or GrantClientCredentials; "" for the others.
	Grant string `yaml:"grant,omitempty" json:"grant,omitempty"`
	// JWTKeyFile is where a JWT login's private key is (a path, not the
	// key: the key stays in its file, as with sf).
	JWTKeyFile string `yaml:"jwt_key_file,omitempty" json:"jwt_key_file,omitempty"`
}

// The grants a login can run again to renew its session.
const (
	GrantJWT               = "jwt"
	GrantClientCredentials = "client_credentials"
)

// Service is the keyring service the login's tokens are filed under: one per
// login host, so that production and sandbox logins of one username differ.
func (l Login) Service() string { return ServiceFor(l.LoginURL) }

// ServiceFor is the keyring service name for a login URL: "sfmcp:<host>".
func ServiceFor(loginURL string) string {
	host := loginURL
	if u, err := url.Parse(loginURL); err == nil && u.Host != "" {
		host = u.Host
	}
	return "sfmcp:" + strings.ToLower(host)
}

var aliasRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,79}$`)

// ValidAlias reports whether name can be a login alias.
func ValidAlias(name string) error {
	if !aliasRE.MatchString(name) {
		return fmt.Errorf("invalid alias %q: use letters, digits and . _ @ + - (at most 80)", name)
	}
	return nil
}

// Logins returns the logins in cfg's file, sorted by alias.
func Logins(cfg *config.Config) ([]Login, error) {
	m, err := loginMap(cfg)
	if err != nil {
		return nil, err
	}
	out := make([]Login, 0, len(m))
	for alias, l := range m {
		l.Alias = alias
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Alias < out[j].Alias })
	return out, nil
}

// FindLogin returns the login called alias; "" means the default org.
func FindLogin(cfg *config.Config, alias string) (Login, bool, error) {
	if alias == "" {
		alias = DefaultAlias(cfg)
	}
	m, err := loginMap(cfg)
	if err != nil || alias == "" {
		return Login{}, false, err
	}
	l, ok := m[alias]
	l.Alias = alias
	return l, ok, nil
}

// DefaultAlias is the default org recorded in the config file ("" if none).
// Unlike cfg.Org() it ignores --org and SFMCP_ORG.
func DefaultAlias(cfg *config.Config) string {
	s, _ := cfg.FileValues()[config.KeyOrg].(string)
	return s
}

// PutLogin records l in cfg (not yet saved); makeDefault also makes it the default org.
func PutLogin(cfg *config.Config, l Login, makeDefault bool) error {
	if err := ValidAlias(l.Alias); err != nil {
		return err
	}
	m, err := loginMap(cfg)
	if err != nil {
		return err
	}
	m[l.Alias] = l
	if err := cfg.Set(ConfigKeyLogins, toConfigValue(m)); err != nil {
		return err
	}
	if makeDefault {
		return cfg.Set(config.KeyOrg, l.Alias)
	}
	return nil
}

// RemoveLogin forgets alias in cfg (not yet saved), and the default org if it was that.
func RemoveLogin(cfg *config.Config, alias string) error {
	m, err := loginMap(cfg)
	if err != nil {
		return err
	}
	delete(m, alias)
	if len(m) == 0 {
		cfg.Unset(ConfigKeyLogins)
	} else if err := cfg.Set(ConfigKeyLogins, toConfigValue(m)); err != nil {
		return err
	}
	if DefaultAlias(cfg) == alias {
		cfg.Unset(config.KeyOrg)
	}
	return nil
}

// loginMap decodes the logins section. Going through YAML keeps the field
// names in one place (the struct tags) and tolerates what viper or a person
// wrote there.
func loginMap(cfg *config.Config) (map[string]Login, error) {
	raw, ok := cfg.FileValues()[ConfigKeyLogins]
	m := map[string]Login{}
	if !ok || raw == nil {
		return m, nil
	}
	data, err := yaml.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("config file: logins: %w", err)
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("config file %s: the logins section is malformed: %w", cfg.Path(), err)
	}
	return m, nil
}

// toConfigValue turns the logins into plain maps, which is what config.Set
// and the YAML encoder handle best.
func toConfigValue(m map[string]Login) map[string]any {
	out := make(map[string]any, len(m))
	for alias, l := range m {
		var v map[string]any
		data, _ := yaml.Marshal(l)
		_ = yaml.Unmarshal(data, &v)
		out[alias] = v
	}
	return out
}

// CheckLoginURL accepts https URLs, and plain http only on loopback (the
// local emulator): a token must never travel in clear to another machine.
// It returns the URL without a trailing slash or path.
func CheckLoginURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("invalid URL %q: want https://host, like https://login.salesforce.com or https://acme.my.salesforce.com", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("invalid URL %q: Salesforce URLs must use https (plain http is allowed only for localhost)", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
