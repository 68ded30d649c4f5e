package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/keyring"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Secrets are the tokens of one login: all that goes into the keyring, kept
// small because some keyrings limit an item to about 3 KB.
type Secrets struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// ClientSecret is the consumer secret a refresh needs, for logins whose
	// Connected App has one (an sfdx auth URL may carry it) or that use the
	// client-credentials flow.
	ClientSecret string `json:"client_secret,omitempty"`
}

// String hides the tokens.
func (s Secrets) String() string { return "auth.Secrets{hidden}" }

// GoString hides the tokens from %#v.
func (s Secrets) GoString() string { return s.String() }

// TokenStore keeps the tokens of each login in the OS keyring (or, for logins
// made with --insecure-storage, in the tokens file) and the logins'
// metadata in the config file.
//
// Every change takes an advisory lock on LockPath (flock on Unix, LockFileEx
// on Windows), so several sfmcp processes can log in, log out and write back
// refreshed tokens at once. The guarantee: a write-back never resurrects a
// login that was logged out, never overwrites a newer login of the same
// user, and never leaves the keyring and the config half-updated by two
// writers interleaving. Two processes that refresh the same login at the same
// time both succeed; the last one's access token stays, and both are valid.
type TokenStore struct {
	Keyring  keyring.Store // the OS keyring
	File     keyring.Store // the --insecure-storage tokens file
	LockPath string        // the lock file; "" disables locking (tests)
}

// NewTokenStore returns the production store for the config at cfgPath:
// the system keyring, tokens.json and sfmcp.lock beside the config file.
// notice receives a warning at each use of the tokens file; the CLI passes
// nil and warns where people look (login, org list), not on every command.
func NewTokenStore(cfgPath string, notice io.Writer) *TokenStore {
	dir := filepath.Dir(cfgPath)
	return &TokenStore{
		Keyring:  keyring.System(),
		File:     keyring.NewFileStore(filepath.Join(dir, "tokens.json"), notice),
		LockPath: filepath.Join(dir, "sfmcp.lock"),
	}
}

// InsecureWarning is the warning for logins kept in the tokens file
// (--insecure-storage), or "" when the store has no tokens file.
func (s *TokenStore) InsecureWarning() string {
	if fs, ok := s.File.(*keyring.FileStore); ok {
		return fs.Warning("keeping")
	}
	return ""
}

func (s *TokenStore) backend(l Login) keyring.Store {
	if l.Storage == StorageFile {
		return s.File
	}
	return s.Keyring
}

// Load returns the login's tokens. A missing entry is an *Error saying to log in again.
func (s *TokenStore) Load(ctx context.Context, l Login) (Secrets, error) {
	sec, err := s.load(ctx, l)
	if errors.Is(err, keyring.ErrNotFound) {
		return Secrets{}, &Error{Msg: fmt.Sprintf("the tokens of login %q are missing from the %s: run `sfmcp login --alias %s` again", l.Alias, storageName(l), l.Alias)}
	}
	return sec, err
}

func (s *TokenStore) load(ctx context.Context, l Login) (Secrets, error) {
	raw, err := s.backend(l).Get(ctx, l.Service(), l.Username)
	if err != nil {
		return Secrets{}, err
	}
	var sec Secrets
	if err := json.Unmarshal([]byte(raw), &sec); err != nil || sec.AccessToken == "" {
		// Never quote raw: it is the secret.
		return Secrets{}, &Error{Msg: fmt.Sprintf("the stored tokens of login %q are unreadable: run `sfmcp login --alias %s` again", l.Alias, l.Alias)}
	}
	return sec, nil
}

func (s *TokenStore) put(ctx context.Context, l Login, sec Secrets) error {
	data, err := json.Marshal(sec)
	if err != nil {
		return err
	}
	return s.backend(l).Set(ctx, l.Service(), l.Username, string(data))
}

// LoginResult says what storing a login changed besides adding it.
type LoginResult struct {
	// MadeDefault is set when the login became the default org.
	MadeDefault bool
	// Replaced are the aliases of earlier logins of the same user that this
	// login replaced (a login is one user at one login host).
	Replaced []string
}

// Login stores a new login: its tokens, then its metadata in cfg's file
// (re-read under the lock, so that concurrent logins do not drop each other).
//
// A login is one user at one login host: logging in again as the same user
// replaces the earlier login, even under another alias (the result names
// the aliases it replaced), and reusing an alias for another user forgets
// that user's tokens. The login becomes the default org when makeDefault is
// set, when there is no default yet, or when it replaces the default.
func (s *TokenStore) Login(ctx context.Context, cfg *config.Config, l Login, sec Secrets, makeDefault bool) (res LoginResult, err error) {
	err = withLock(ctx, s.LockPath, func() error {
		if err := s.put(ctx, l, sec); err != nil {
			return err
		}
		first := true
		return updateConfig(cfg, func(c *config.Config) error {
			logins, err := Logins(c)
			if err != nil {
				return err
			}
			def := DefaultAlias(c)
			becameDefault := makeDefault || def == ""
			var replaced []string
			for _, old := range logins {
				sameUser := old.Service() == l.Service() && old.Username == l.Username
				switch {
				case old.Alias == l.Alias:
					if !sameUser || old.Storage != l.Storage {
						_ = s.backend(old).Delete(ctx, old.Service(), old.Username)
					}
					becameDefault = becameDefault || def == old.Alias
				case sameUser:
					if old.Storage != l.Storage {
						_ = s.backend(old).Delete(ctx, old.Service(), old.Username)
					}
					if err := RemoveLogin(c, old.Alias); err != nil {
						return err
					}
					replaced = append(replaced, old.Alias)
					becameDefault = becameDefault || def == old.Alias
				}
			}
			if _, ok, _ := FindLogin(c, DefaultAlias(c)); !ok {
				becameDefault = true // the default named a login that is gone
			}
			if first { // the file on disk decides; cfg is this process's copy
				res, first = LoginResult{MadeDefault: becameDefault, Replaced: replaced}, false
			}
			return PutLogin(c, l, becameDefault)
		})
	})
	return res, err
}

// Logout forgets a login: its tokens, then its metadata. A missing keyring
// entry is not an error (the goal is that nothing remains).
func (s *TokenStore) Logout(ctx context.Context, cfg *config.Config, l Login) error {
	return withLock(ctx, s.LockPath, func() error {
		if err := s.backend(l).Delete(ctx, l.Service(), l.Username); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
		return updateConfig(cfg, func(c *config.Config) error { return RemoveLogin(c, l.Alias) })
	})
}

// SetDefault makes alias the default org.
func (s *TokenStore) SetDefault(ctx context.Context, cfg *config.Config, alias string) error {
	return withLock(ctx, s.LockPath, func() error {
		return updateConfig(cfg, func(c *config.Config) error {
			if _, ok, err := FindLogin(c, alias); err != nil {
				return err
			} else if !ok {
				return &Error{Msg: fmt.Sprintf("there is no login called %q: see `sfmcp org list`", alias)}
			}
			return c.Set(config.KeyOrg, alias)
		})
	})
}

// WriteBack returns the hook the Salesforce client calls after each refresh
// of l's session (salesforce.TokenSourceConfig.OnRefresh). current is the
// tokens the session started from.
//
// Under the lock it re-reads the stored tokens and writes the new ones only
// if the stored refresh token is still the one this process refreshed with:
// if the login was removed, or replaced by a newer login meanwhile, the
// newer state wins and the refreshed token simply lives as long as this
// process.
func (s *TokenStore) WriteBack(l Login, current Secrets) func(ctx context.Context, t salesforce.Token) error {
	var mu sync.Mutex
	from := current.RefreshToken
	return func(ctx context.Context, t salesforce.Token) error {
		mu.Lock()
		defer mu.Unlock()
		// The client secret (an auth URL's, or client credentials') stays
		// with the login: the next renewal needs it.
		next := Secrets{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ClientSecret: current.ClientSecret}
		if next.RefreshToken == "" {
			next.RefreshToken = from
		}
		err := withLock(ctx, s.LockPath, func() error {
			stored, err := s.load(ctx, l)
			if errors.Is(err, keyring.ErrNotFound) {
				return nil // logged out meanwhile: do not bring it back
			}
			if err != nil {
				return err
			}
			if stored.RefreshToken != from && stored.RefreshToken != next.RefreshToken {
				return nil // a newer login replaced this one
			}
			return s.put(ctx, l, next)
		})
		if err == nil {
			from = next.RefreshToken
		}
		return err
	}
}

// Coordinator returns the hook that makes one refresh serve every sfmcp
// process sharing l (salesforce.TokenSourceConfig.Coordinate). current is the
// tokens the session started from; warn receives problems that do not stop
// the session (a refreshed token that could not be saved) and may be nil.
//
// Under the config lock it re-reads the stored tokens: if another process
// has already replaced the stale access token, that token is used and no
// refresh is made (with an org that rotates refresh tokens, a second refresh
// with the old one would fail, or log the others out). Otherwise it refreshes
// and writes the result back before releasing the lock, with WriteBack's
// rules: a login removed or replaced meanwhile is not brought back.
//
// When the lock cannot be had at all (a read-only config directory), the
// refresh is made anyway and warn hears that it was not saved.
func (s *TokenStore) Coordinator(l Login, current Secrets, warn func(error)) func(ctx context.Context, stale salesforce.Token, refresh func(context.Context) (salesforce.Token, error)) (salesforce.Token, error) {
	if warn == nil {
		warn = func(error) {}
	}
	var mu sync.Mutex
	from := current.RefreshToken
	return func(ctx context.Context, stale salesforce.Token, refresh func(context.Context) (salesforce.Token, error)) (salesforce.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		var (
			out      salesforce.Token
			saveErr  error
			ran      bool
			refreshd error
		)
		lockErr := withLock(ctx, s.LockPath, func() error {
			ran = true
			stored, loadErr := s.load(ctx, l)
			if loadErr == nil && stored.AccessToken != stale.AccessToken {
				// Another process refreshed while this one waited.
				out = salesforce.Token{AccessToken: stored.AccessToken, RefreshToken: stored.RefreshToken, InstanceURL: stale.InstanceURL}
				return nil
			}
			out, refreshd = refresh(ctx)
			if refreshd != nil {
				return nil
			}
			// The client secret stays with the login: the next renewal needs it.
			next := Secrets{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken, ClientSecret: current.ClientSecret}
			if loadErr == nil && stored.ClientSecret != "" {
				next.ClientSecret = stored.ClientSecret
			}
			if next.RefreshToken == "" {
				next.RefreshToken = from
			}
			switch {
			case errors.Is(loadErr, keyring.ErrNotFound):
				return nil // logged out meanwhile: do not bring it back
			case loadErr != nil:
				saveErr = loadErr
			case stored.RefreshToken != from && stored.RefreshToken != next.RefreshToken:
				return nil // a newer login replaced this one
			default:
				saveErr = s.put(ctx, l, next)
			}
			if saveErr == nil {
				from = next.RefreshToken
			}
			return nil
		})
		if !ran {
			if ctx.Err() != nil {
				return salesforce.Token{}, ctx.Err()
			}
			// No lock (read-only directory, or a holder that never lets go):
			// refresh for this process alone, and say it was not saved.
			out, refreshd = refresh(ctx)
			saveErr = lockErr
		}
		if refreshd != nil {
			return salesforce.Token{}, refreshd
		}
		if saveErr != nil {
			warn(fmt.Errorf("the refreshed Salesforce session of login %q could not be saved, so the next command refreshes again (and may find the login expired if the org rotates refresh tokens): %w", l.Alias, saveErr))
		}
		return out, nil
	}
}

func storageName(l Login) string {
	if l.Storage == StorageFile {
		return "tokens file"
	}
	return "keyring"
}

// updateConfig applies fn to the config file as it is on disk now (another
// process may have changed it since cfg was loaded), saves it, and applies fn
// to cfg too so this process sees the change. Callers hold the lock.
func updateConfig(cfg *config.Config, fn func(*config.Config) error) error {
	if cfg.Path() == "" { // a file-less config (tests): change it in memory only
		return fn(cfg)
	}
	fresh, err := config.Load(config.Options{Path: cfg.Path(), NoEnv: true})
	if err != nil {
		return err
	}
	if err := fn(fresh); err != nil {
		return err
	}
	if err := fresh.Save(); err != nil {
		return fmt.Errorf("saving %s: %w", cfg.Path(), err)
	}
	return fn(cfg)
}
