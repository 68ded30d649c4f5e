package emulator

import (
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// ConnectedApp is an OAuth client the emulated org knows, as a Connected App
// (or External Client App) is on Salesforce: only registered clients get
// codes and tokens, and only to their registered callbacks.
type ConnectedApp struct {
	// ClientID is the consumer key.
	ClientID string `yaml:"clientId" json:"client_id"`
	// ClientSecret is the consumer secret; "" for a public client (PKCE,
	// device flow, refresh without a secret). The client-credentials flow
	// needs one.
	ClientSecret string `yaml:"clientSecret" json:"-"`
	// Callbacks are the callback URLs authorize redirects to, matched exactly.
	// One emulator extension: a loopback callback registered with the port
	// "*" (http://127.0.0.1:*/cb) matches any port, as RFC 8252 asks of
	// native apps' loopback redirects; Salesforce itself needs each port.
	Callbacks []string `yaml:"callbacks" json:"callbacks"`
	// Certificate is the PEM certificate (or public key) that verifies the
	// JWTs of the JWT bearer flow, as "Use digital signatures" does.
	Certificate string `yaml:"certificate" json:"-"`
	// RunAs is the username the client-credentials flow runs as; "" leaves
	// that flow off, as on Salesforce.
	RunAs string `yaml:"runAs" json:"run_as,omitempty"`

	key *rsa.PublicKey // parsed Certificate
}

// PlatformCLIClientID is the client id of the sf CLI's global connected
// app, which every Salesforce org knows; the emulator knows it too so that
// `sf org login web --instance-url <emulator>` works unmodified.
const PlatformCLIClientID = "PlatformCLI"

// DefaultCallback is the loopback callback of the default apps: the one the
// sf CLI and `sfmcp login` use.
const DefaultCallback = "http://localhost:1717/OAuthRedirect"

// builtinApps are the apps every emulated org has: the emulator's own
// (ClientID) and the sf CLI's.
func builtinApps() []ConnectedApp {
	return []ConnectedApp{
		{ClientID: ClientID, Callbacks: []string{DefaultCallback, "http://127.0.0.1:1717/OAuthRedirect"}},
		{ClientID: PlatformCLIClientID, Callbacks: []string{DefaultCallback}},
	}
}

// apps is the registry of an emulator's connected apps.
type apps struct {
	mu   sync.RWMutex
	byID map[string]*ConnectedApp
}

func (a *apps) get(clientID string) *ConnectedApp {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.byID[clientID]
}

// AddApp registers a connected app, replacing one with the same client id.
func (e *Emulator) AddApp(app ConnectedApp) error {
	if err := app.prepare(); err != nil {
		return err
	}
	e.apps.mu.Lock()
	defer e.apps.mu.Unlock()
	if e.apps.byID == nil {
		e.apps.byID = map[string]*ConnectedApp{}
	}
	e.apps.byID[app.ClientID] = &app
	return nil
}

// Apps lists the registered connected apps by client id.
func (e *Emulator) Apps() []ConnectedApp {
	e.apps.mu.RLock()
	defer e.apps.mu.RUnlock()
	out := make([]ConnectedApp, 0, len(e.apps.byID))
	for _, a := range e.apps.byID {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	return out
}

func (a *ConnectedApp) prepare() error {
	if strings.TrimSpace(a.ClientID) == "" || strings.ContainsAny(a.ClientID, " \t\r\n") {
		return fmt.Errorf("connected app: a client id is required, without spaces")
	}
	a.Callbacks = slices.Clone(a.Callbacks)
	for _, cb := range a.Callbacks {
		u, anyPort, err := parseCallback(cb)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return fmt.Errorf("connected app %s: callback %q is not an absolute URL", a.ClientID, cb)
		}
		if anyPort && !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("connected app %s: callback %q: only loopback callbacks may leave the port open (*)", a.ClientID, cb)
		}
	}
	if a.Certificate != "" {
		k, err := parsePublicKey([]byte(a.Certificate))
		if err != nil {
			return fmt.Errorf("connected app %s: certificate: %w", a.ClientID, err)
		}
		a.key = k
	}
	return nil
}

// allows reports whether redirect is one of the app's callbacks.
func (a *ConnectedApp) allows(redirect string) bool {
	if slices.Contains(a.Callbacks, redirect) {
		return true
	}
	ru, err := url.Parse(redirect)
	if err != nil || !isLoopbackHost(ru.Hostname()) || ru.Port() == "" {
		return false
	}
	for _, cb := range a.Callbacks {
		cu, anyPort, err := parseCallback(cb)
		if err != nil || !anyPort {
			continue
		}
		if cu.Scheme == ru.Scheme && strings.EqualFold(cu.Hostname(), ru.Hostname()) && cu.Path == ru.Path && cu.RawQuery == ru.RawQuery {
			return true
		}
	}
	return false
}

// parseCallback parses a registered callback, whose port may be "*".
func parseCallback(cb string) (u *url.URL, anyPort bool, err error) {
	scheme, rest, ok := strings.Cut(cb, "://")
	if ok {
		host, path, _ := strings.Cut(rest, "/")
		if h, found := strings.CutSuffix(host, ":*"); found {
			anyPort = true
			cb = scheme + "://" + h + "/" + path
			if !strings.Contains(rest, "/") {
				cb = scheme + "://" + h
			}
		}
	}
	u, err = url.Parse(cb)
	return u, anyPort, err
}

// secretMatches compares a presented client secret with the app's.
func (a *ConnectedApp) secretMatches(secret string) bool {
	return a.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(a.ClientSecret), []byte(secret)) == 1
}

// parsePublicKey reads an RSA public key from a PEM certificate or a PEM
// public key.
func parsePublicKey(data []byte) (*rsa.PublicKey, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM CERTIFICATE or PUBLIC KEY block")
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			k, ok := c.PublicKey.(*rsa.PublicKey)
			if !ok {
				return nil, errors.New("the certificate's key is not RSA (Salesforce signs JWTs with RS256)")
			}
			return k, nil
		case "PUBLIC KEY":
			pk, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, err
			}
			k, ok := pk.(*rsa.PublicKey)
			if !ok {
				return nil, errors.New("the key is not RSA (Salesforce signs JWTs with RS256)")
			}
			return k, nil
		case "RSA PUBLIC KEY":
			return x509.ParsePKCS1PublicKey(block.Bytes)
		}
	}
}

// appsConfig is the connected apps section of the schema file
// (`sfmcp emulator --schema FILE`), beside its objects.
type appsConfig struct {
	ConnectedApps []ConnectedApp `yaml:"connectedApps"`
}

func appsFromSchemaConfig(data []byte) ([]ConnectedApp, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var c appsConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("schema config: connectedApps: %w", err)
	}
	return c.ConnectedApps, nil
}

// ParseAppFlag reads the value of `sfmcp emulator --app`: comma-separated
// key=value pairs, client_id (required), secret, callback (repeatable),
// certificate (a PEM file read by readFile) and run_as, like
// "client_id=ci,callback=http://localhost:1717/OAuthRedirect,certificate=server.crt,run_as=admin@x".
func ParseAppFlag(v string, readFile func(string) ([]byte, error)) (ConnectedApp, error) {
	var app ConnectedApp
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return app, fmt.Errorf("--app %q: want key=value pairs separated by commas", part)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "client_id", "id":
			app.ClientID = val
		case "secret", "client_secret":
			app.ClientSecret = val
		case "callback":
			app.Callbacks = append(app.Callbacks, val)
		case "certificate", "cert":
			data, err := readFile(val)
			if err != nil {
				return app, fmt.Errorf("--app certificate: %w", err)
			}
			app.Certificate = string(data)
		case "run_as", "runas":
			app.RunAs = val
		default:
			return app, fmt.Errorf("--app: unknown key %q (want client_id, secret, callback, certificate, run_as)", k)
		}
	}
	if err := app.prepare(); err != nil {
		return app, fmt.Errorf("--app: %w", err)
	}
	return app, nil
}
