package ops

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// OrgCache keeps what rarely changes about an org between runs, one small
// JSON file per login (the API versions it serves, its object names), so
// that a command or a shell completion does not ask Salesforce again. It
// holds no secrets. A nil *OrgCache caches nothing.
type OrgCache struct {
	dir      string
	key      string
	instance string
	now      func() time.Time
}

// orgCacheFile is what one login's file holds.
type orgCacheFile struct {
	InstanceURL string          `json:"instance_url"`
	Versions    *cachedVersions `json:"versions,omitempty"`
	SObjects    *cachedSObjects `json:"sobjects,omitempty"`
	// Fields holds field names by object name.
	Fields map[string]*cachedSObjects `json:"fields,omitempty"`
}

type cachedVersions struct {
	Range   APIVersionRange `json:"range"`
	Fetched time.Time       `json:"fetched"`
}

type cachedSObjects struct {
	Names   []string  `json:"names"`
	Fetched time.Time `json:"fetched"`
}

// How long cached facts are trusted. An org gains a version three times a
// year; objects change when someone deploys.
const (
	versionsTTL = 24 * time.Hour
	sobjectsTTL = time.Hour
)

// NewOrgCache returns the cache of one login in dir: login names it (an
// alias, or where environment credentials came from) together with the
// instance URL, so two logins never share a file.
func NewOrgCache(dir, login, instanceURL string) *OrgCache {
	sum := sha256.Sum256([]byte(login + "\x00" + strings.TrimRight(instanceURL, "/")))
	return &OrgCache{dir: dir, key: hex.EncodeToString(sum[:12]), instance: strings.TrimRight(instanceURL, "/"), now: time.Now}
}

func (oc *OrgCache) path() string { return filepath.Join(oc.dir, oc.key+".json") }

// load reads the file; a missing or unreadable one is an empty cache.
func (oc *OrgCache) load() orgCacheFile {
	var f orgCacheFile
	b, err := os.ReadFile(oc.path())
	if err != nil || len(b) > 4<<20 {
		return f
	}
	if json.Unmarshal(b, &f) != nil {
		return orgCacheFile{}
	}
	return f
}

// update changes the file with fn and writes it atomically (temporary file
// and rename), so concurrent runs each leave a whole file.
func (oc *OrgCache) update(fn func(*orgCacheFile)) error {
	f := oc.load()
	f.InstanceURL = oc.instance
	fn(&f)
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(oc.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(oc.dir, "."+oc.key+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), oc.path())
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
	}
	return werr
}

// Versions returns the cached API versions, if fresh.
func (oc *OrgCache) Versions() (APIVersionRange, bool) {
	if oc == nil {
		return APIVersionRange{}, false
	}
	v := oc.load().Versions
	if v == nil || v.Range.Max == "" || oc.now().Sub(v.Fetched) > versionsTTL {
		return APIVersionRange{}, false
	}
	return v.Range, true
}

// SetVersions caches the API versions the org serves.
func (oc *OrgCache) SetVersions(r APIVersionRange) error {
	if oc == nil {
		return nil
	}
	return oc.update(func(f *orgCacheFile) { f.Versions = &cachedVersions{Range: r, Fetched: oc.now()} })
}

// SObjects returns the cached object names, if fresh.
func (oc *OrgCache) SObjects() ([]string, bool) {
	if oc == nil {
		return nil, false
	}
	s := oc.load().SObjects
	if s == nil || len(s.Names) == 0 || oc.now().Sub(s.Fetched) > sobjectsTTL {
		return nil, false
	}
	return s.Names, true
}

// SetSObjects caches the org's object names.
func (oc *OrgCache) SetSObjects(names []string) error {
	if oc == nil {
		return nil
	}
	return oc.update(func(f *orgCacheFile) { f.SObjects = &cachedSObjects{Names: names, Fetched: oc.now()} })
}

// FieldNames returns the cached field names of sobject, if fresh.
func (oc *OrgCache) FieldNames(sobject string) ([]string, bool) {
	if oc == nil {
		return nil, false
	}
	s := oc.load().Fields[strings.ToLower(sobject)]
	if s == nil || len(s.Names) == 0 || oc.now().Sub(s.Fetched) > sobjectsTTL {
		return nil, false
	}
	return s.Names, true
}

// SetFieldNames caches sobject's field names.
func (oc *OrgCache) SetFieldNames(sobject string, names []string) error {
	if oc == nil {
		return nil
	}
	return oc.update(func(f *orgCacheFile) {
		if f.Fields == nil {
			f.Fields = map[string]*cachedSObjects{}
		}
		f.Fields[strings.ToLower(sobject)] = &cachedSObjects{Names: names, Fetched: oc.now()}
	})
}

// Forget removes the login's file (after a logout).
func (oc *OrgCache) Forget() error {
	if oc == nil {
		return nil
	}
	if err := os.Remove(oc.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
