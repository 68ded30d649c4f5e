package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileStore keeps secrets in a JSON file readable and writable by its owner
// only (0600). It is the explicit fallback for machines without a keyring
// (--insecure-storage): anyone who can read the file, or a backup of it, has
// the tokens. It says so on Notice every time it is used, never silently.
//
// Each write replaces the file atomically, so a reader never sees half a
// file; concurrent writers from several processes must be serialised by the
// caller (auth.TokenStore holds a lock file around every write).
type FileStore struct {
	Path   string    // the tokens file, e.g. ~/.config/sfmcp/tokens.json
	Notice io.Writer // where each use is announced (stderr); nil = nowhere, for tests only
}

// fileData is the tokens file's format.
type fileData struct {
	Version int                          `json:"version"`
	Secrets map[string]map[string]string `json:"secrets"` // service → user → secret
}

// NewFileStore returns a FileStore at path that announces itself on notice.
func NewFileStore(path string, notice io.Writer) *FileStore {
	return &FileStore{Path: path, Notice: notice}
}

func (s *FileStore) announce(verb string) {
	if s.Notice != nil {
		fmt.Fprintln(s.Notice, s.Warning(verb))
	}
}

// Warning is the sentence that says tokens are (verb: "keeping", "reading",
// ...) in the plain-text file: login and org list say it to people.
func (s *FileStore) Warning(verb string) string {
	return fmt.Sprintf("Warning: %s Salesforce tokens in the plain-text file %s (--insecure-storage), not the system keyring", verb, s.Path)
}

// Get returns the secret for service and user, or ErrNotFound.
func (s *FileStore) Get(ctx context.Context, service, user string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.announce("reading")
	d, err := s.read()
	if err != nil {
		return "", err
	}
	secret, ok := d.Secrets[service][user]
	if !ok {
		return "", ErrNotFound
	}
	return secret, nil
}

// Set stores secret for service and user.
func (s *FileStore) Set(ctx context.Context, service, user, secret string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.announce("storing")
	d, err := s.read()
	if err != nil {
		return err
	}
	if d.Secrets[service] == nil {
		d.Secrets[service] = map[string]string{}
	}
	d.Secrets[service][user] = secret
	return s.write(d)
}

// Delete removes the secret for service and user; ErrNotFound when there was
// none. The file is removed when it holds nothing more.
func (s *FileStore) Delete(ctx context.Context, service, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.announce("deleting")
	d, err := s.read()
	if err != nil {
		return err
	}
	if _, ok := d.Secrets[service][user]; !ok {
		return ErrNotFound
	}
	delete(d.Secrets[service], user)
	if len(d.Secrets[service]) == 0 {
		delete(d.Secrets, service)
	}
	if len(d.Secrets) == 0 {
		if err := os.Remove(s.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", s.Path, err)
		}
		return nil
	}
	return s.write(d)
}

func (s *FileStore) read() (*fileData, error) {
	d := &fileData{Version: 1, Secrets: map[string]map[string]string{}}
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the tokens file: %w", err)
	}
	if len(data) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(data, d); err != nil {
		// The error text never quotes the file: it holds secrets.
		return nil, fmt.Errorf("the tokens file %s is not valid JSON; delete it and log in again", s.Path)
	}
	if d.Secrets == nil {
		d.Secrets = map[string]map[string]string{}
	}
	return d, nil
}

// write replaces the tokens file with d. Its errors name the file and never
// quote its content.
func (s *FileStore) write(d *fileData) error {
	if err := s.replace(d); err != nil {
		return fmt.Errorf("writing the tokens file %s: %w", s.Path, err)
	}
	return nil
}

func (s *FileStore) replace(d *fileData) (err error) {
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.Path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp already makes the file 0600; Chmod guards against a umask
	// or platform that does otherwise.
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
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
	return os.Rename(tmp.Name(), s.Path)
}
