// Package emulator is a local, Salesforce-compatible org: the REST API
// (query, search, sObjects, composite, limits), OAuth 2.0 with PKCE and a
// few admin levers for tests (faults, expiring sessions), served over HTTP
// on loopback and stored in SQLite. It is what every sfmcp test talks to
// instead of a real org, and what `sfmcp --emulator` and `sfmcp emulator`
// offer people who want to try sfmcp or test an agent offline.
//
// It is labelled as an emulator everywhere it shows itself (the
// Organization name, userinfo, the startup line) so nobody mistakes it for
// a real org.
//
// # Error texts
//
// Error codes and messages follow recorded Salesforce answers: the fixtures
// of the project, and bodies from live orgs quoted in public clients'
// sources. These were checked against such a recording:
//
//   - FUNCTIONALITY_NOT_ENABLED, 403: "This feature is not currently enabled
//     for this user type or org: [Wave]" for /wave (a live org's answer to GET
//     /wave/datasets, quoted in a connector's tests; the same text with other
//     feature names in Salesforce's own API notes).
//   - DELETE_FAILED: "Your attempt to delete Mr. Josh Davis could not be
//     completed because it is associated with the following cases.:
//     00001005\n" (a body quoted in a Node client's source).
//   - /composite/tree INVALID_INPUT: "Duplicate ReferenceId provided in the
//     request." for each record carrying the duplicate, "Include an entity
//     type for each record in the request.", and a record without a
//     reference id refusing the whole request with 403 [{"message":"Include
//     a reference ID for each record in the request.","errorCode":
//     "INVALID_INPUT"}] (bodies quoted in a Java client's documentation).
//
// No recording was found for these, so their words are the emulator's:
// the names in brackets of FUNCTIONALITY_NOT_ENABLED other than Wave; the
// SOQL "duplicate alias: X" and "Invalid scope:X" (MALFORMED_QUERY); the
// DELETE_FAILED text when a delete would take too many records; and the
// /composite/tree INVALID_INPUT texts for a type that does not match the
// URL and for the depth, type and record limits.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// Label is how the emulator names itself wherever a person may see it.
const Label = "sfmcp emulator (not a real Salesforce org)"

// pod is the 3 characters after the key prefix in every id the emulator
// makes; "EMU" makes its ids recognizable at a glance.
const pod = "EMU"

// DefaultAPIVersion is the version the emulator reports as its latest.
const DefaultAPIVersion = "66.0"

// Options configure an emulator.
type Options struct {
	// DataPath is the SQLite file; "" keeps everything in memory.
	DataPath string
	// SchemaConfig is the YAML of custom fields and objects (nil: the default).
	SchemaConfig []byte
	// NoSampleData leaves the org empty but for its users and lead statuses.
	NoSampleData bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// TokenTTL is how long an access token lives (2h when 0).
	TokenTTL time.Duration
	// PageSize is the query page size (2000 when 0), as on Salesforce.
	PageSize int
	// MaxBodyBytes caps REST request bodies (50 MB when 0).
	MaxBodyBytes int64
	// BulkUploadLimit caps one Bulk 2.0 upload (150 MB when 0).
	BulkUploadLimit int64
	// APILimit is DailyApiRequests.Max (15000, a Developer Edition org's,
	// when 0). Every REST and SOAP request counts; past the limit requests
	// are refused with 403 REQUEST_LIMIT_EXCEEDED, as Salesforce does.
	APILimit int
	// Logger receives request logs (discarded when nil).
	Logger *slog.Logger
	// Apps are connected apps registered besides the built-in ones (the
	// emulator's own ClientID and the sf CLI's PlatformCLI) and those of
	// SchemaConfig's connectedApps section.
	Apps []ConnectedApp
	// MaxAPIVersion is the newest API version the org serves, like 60 for
	// an org not yet upgraded past Spring '24 (DefaultAPIVersion's 66 when
	// 0): newer versions are NOT_FOUND, as on such an org.
	MaxAPIVersion int
	// Template starts the org as a copy of another one, made with the same
	// SchemaConfig and NoSampleData (see Emulator.Template).
	Template *Template
}

// Org is an emulated org: its metadata, its data and its sessions.
type Org struct {
	opts   Options
	schema *schema.Schema
	store  *store.Store
	now    func() time.Time // opts.Now moved by clockOffset
	log    *slog.Logger

	// clockOffset (nanoseconds) is how far POST /__emulator/clock has moved
	// the org's clock ahead of opts.Now.
	clockOffset atomic.Int64

	orgID   string
	adminID string

	mu      sync.Mutex
	cursors map[string]*cursor // query locators
	faults  []*Fault
	served  FaultsServed
	apiUsed int
	deny    bool

	bulk *bulkEngine

	// plans caches each object's createPlan (*schema.Object → *createPlan).
	plans sync.Map
}

// newOrg opens the store, loads the schema and, the first time, creates the
// org's users, statuses and sample data.
func newOrg(ctx context.Context, opts Options) (*Org, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 2 * time.Hour
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 2000
	}
	if opts.MaxAPIVersion <= 0 || opts.MaxAPIVersion > maxVersion {
		opts.MaxAPIVersion = maxVersion
	}
	if opts.MaxAPIVersion < minVersion {
		return nil, fmt.Errorf("emulator: MaxAPIVersion %d is older than the oldest version served (%d)", opts.MaxAPIVersion, minVersion)
	}
	if opts.APILimit <= 0 {
		opts.APILimit = dailyAPILimit
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 50 << 20
	}
	if opts.BulkUploadLimit <= 0 {
		opts.BulkUploadLimit = 150 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	sch, err := schema.Load(opts.SchemaConfig)
	if err != nil {
		return nil, err
	}
	if opts.DataPath != "" {
		if err := os.MkdirAll(filepath.Dir(opts.DataPath), 0o700); err != nil {
			return nil, fmt.Errorf("emulator: data directory: %w", err)
		}
	}
	st, err := store.Open(ctx, opts.DataPath)
	if err != nil {
		return nil, err
	}
	o := &Org{opts: opts, schema: sch, store: st, log: opts.Logger, cursors: map[string]*cursor{}}
	o.now = func() time.Time { return opts.Now().Add(time.Duration(o.clockOffset.Load())) }
	if err := o.bootstrap(ctx); err != nil {
		st.Close()
		return nil, err
	}
	o.bulk = newBulkEngine(o)
	return o, nil
}

// Close releases the store.
func (o *Org) Close() error {
	if o.bulk != nil {
		o.bulk.close()
	}
	return o.store.Close()
}

// Schema returns the org's metadata.
func (o *Org) Schema() *schema.Schema { return o.schema }

// OrgID is the 18-character Organization id.
func (o *Org) OrgID() string { return o.orgID }

// AdminUserID is the id of the user tokens are issued to.
func (o *Org) AdminUserID() string { return o.adminID }

// newID allocates the next id for object.
func (o *Org) newID(ctx context.Context, tx *store.Tx, obj *schema.Object) (string, error) {
	seq, err := tx.NextSeq(ctx, "id:"+obj.KeyPrefix, 1)
	if err != nil {
		return "", err
	}
	return sfid.New(obj.KeyPrefix, pod, uint64(seq))
}

// timestamp formats t the way Salesforce writes datetimes.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }

// bootstrap creates the organization, its users and lead statuses, and the
// sample data, once per data file.
func (o *Org) bootstrap(ctx context.Context) error {
	if o.opts.Template != nil {
		if err := o.store.Restore(ctx, o.opts.Template.snap); err != nil {
			return err
		}
		return o.loadIdentity(ctx)
	}
	return o.createOnce(ctx)
}

// Template is a copy of a freshly created org. An emulator started from it
// (Options.Template) begins as that org did, without rebuilding the sample
// data: tests that start many emulators use it.
type Template struct{ snap *store.Snapshot }

// Template copies the org as it is now.
func (e *Emulator) Template(ctx context.Context) (*Template, error) {
	snap, err := e.org.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return &Template{snap: snap}, nil
}

func (o *Org) loadIdentity(ctx context.Context) error {
	var err error
	if o.orgID, err = o.store.Meta(ctx, "org_id"); err != nil {
		return err
	}
	o.adminID, err = o.store.Meta(ctx, "admin_id")
	return err
}

func (o *Org) createOnce(ctx context.Context) error {
	orgID, err := o.store.Meta(ctx, "org_id")
	if err != nil {
		return err
	}
	if orgID != "" {
		o.orgID = orgID
		o.adminID, err = o.store.Meta(ctx, "admin_id")
		return err
	}
	return o.store.Update(ctx, func(tx *store.Tx) error {
		if err := seedOrg(ctx, o, tx); err != nil {
			return fmt.Errorf("emulator: create the org: %w", err)
		}
		if err := tx.SetMeta(ctx, "org_id", o.orgID); err != nil {
			return err
		}
		return tx.SetMeta(ctx, "admin_id", o.adminID)
	})
}

// objectOf returns the object a well-formed id belongs to, or nil.
func (o *Org) objectOf(id string) *schema.Object {
	p := sfid.Prefix(id)
	if p == "" {
		return nil
	}
	return o.schema.ObjectByKeyPrefix(p)
}

// lookupObject resolves an sObject name from a URL or body.
func (o *Org) lookupObject(name string) (*schema.Object, *apiError) {
	obj := o.schema.Object(name)
	if obj == nil {
		return nil, errf(404, "NOT_FOUND", nil, "The requested resource does not exist")
	}
	return obj, nil
}

// getRecord reads a live record of obj by id (15 or 18 chars).
func (o *Org) getRecord(ctx context.Context, obj *schema.Object, id string) (store.Record, string, *apiError) {
	norm, err := sfid.Normalize(id)
	if err != nil {
		return nil, "", errf(404, "NOT_FOUND", nil, "Provided external ID field does not exist or is not accessible: %s", id)
	}
	if obj != nil && norm[:3] != obj.KeyPrefix {
		return nil, "", errf(404, "NOT_FOUND", nil, "The requested resource does not exist")
	}
	rec, _, err := o.store.Get(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", errf(404, "NOT_FOUND", nil, "The requested resource does not exist")
	}
	if err != nil {
		return nil, "", internalError(err)
	}
	if deleted, _ := rec["IsDeleted"].(bool); deleted {
		return nil, "", errf(404, "ENTITY_IS_DELETED", nil, "entity is deleted")
	}
	return rec, norm, nil
}

func internalError(err error) *apiError {
	return errf(500, "UNKNOWN_EXCEPTION", nil, "An unexpected error occurred in the emulator: %v", err)
}

// soqlSource adapts the store to the SOQL engine.
type soqlSource struct{ st *store.Store }

func (s soqlSource) Scan(ctx context.Context, object string, all bool, fn func(map[string]any) error) error {
	return s.st.Scan(ctx, object, all, fn)
}

func (s soqlSource) get(ctx context.Context, id string) (map[string]any, error) {
	norm, err := sfid.Normalize(id)
	if err != nil {
		return nil, nil
	}
	// The SOQL engine only reads records: the cache's copy will do.
	rec, _, err := s.st.GetShared(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return rec, err
}

func lower(s string) string { return strings.ToLower(s) }
