package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// GlobalDescribe is the answer of GET /sobjects: every object of the org.
type GlobalDescribe struct {
	Encoding     string           `json:"encoding"`
	MaxBatchSize int              `json:"maxBatchSize"`
	SObjects     []SObjectSummary `json:"sobjects"`
}

// SObjectSummary is one object in the global describe.
type SObjectSummary struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	LabelPlural  string `json:"labelPlural"`
	KeyPrefix    string `json:"keyPrefix"`
	Custom       bool   `json:"custom"`
	Queryable    bool   `json:"queryable"`
	Retrieveable bool   `json:"retrieveable"`
	Searchable   bool   `json:"searchable"`
	Createable   bool   `json:"createable"`
	Updateable   bool   `json:"updateable"`
	Deletable    bool   `json:"deletable"`
}

// SObjectDescribe is the answer of GET /sobjects/{Obj}/describe. The commonly
// used parts are decoded; Raw keeps the whole answer for callers that need more
// (childRelationships, recordTypeInfos, ...).
type SObjectDescribe struct {
	Name        string          `json:"name"`
	Label       string          `json:"label"`
	LabelPlural string          `json:"labelPlural"`
	KeyPrefix   string          `json:"keyPrefix"`
	Custom      bool            `json:"custom"`
	Createable  bool            `json:"createable"`
	Updateable  bool            `json:"updateable"`
	Deletable   bool            `json:"deletable"`
	Queryable   bool            `json:"queryable"`
	Fields      []FieldDescribe `json:"fields"`
	// Raw is the full describe as received.
	Raw json.RawMessage `json:"-"`
}

// FieldDescribe is one field of an object's describe.
type FieldDescribe struct {
	Name              string          `json:"name"`
	Label             string          `json:"label"`
	Type              string          `json:"type"`
	Length            int             `json:"length"`
	Nillable          bool            `json:"nillable"`
	Createable        bool            `json:"createable"`
	Updateable        bool            `json:"updateable"`
	DefaultedOnCreate bool            `json:"defaultedOnCreate"`
	Unique            bool            `json:"unique"`
	ExternalID        bool            `json:"externalId"`
	IDLookup          bool            `json:"idLookup"`
	ReferenceTo       []string        `json:"referenceTo"`
	RelationshipName  string          `json:"relationshipName"`
	PicklistValues    []PicklistValue `json:"picklistValues"`
}

// PicklistValue is one value of a picklist field.
type PicklistValue struct {
	Value        string `json:"value"`
	Label        string `json:"label"`
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
}

// DescribeGlobal lists the org's objects. The answer is cached.
func (c *Client) DescribeGlobal(ctx context.Context) (*GlobalDescribe, error) {
	v, err := c.describe.get(ctx, c.cacheKey(""), func() (any, error) {
		resp, err := c.send(ctx, newRequest(http.MethodGet, c.dataPath("sobjects")))
		if err != nil {
			return nil, err
		}
		var g GlobalDescribe
		if err := json.Unmarshal(resp.body, &g); err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
		return &g, nil
	})
	if err != nil {
		return nil, fmt.Errorf("describe global: %w", err)
	}
	return v.(*GlobalDescribe), nil
}

// DescribeSObject describes one object. The answer is cached for the life of
// the cache (object metadata rarely changes while a process runs); callers
// must treat it as read-only, since it is shared.
func (c *Client) DescribeSObject(ctx context.Context, name string) (*SObjectDescribe, error) {
	if err := validateSObject(name); err != nil {
		return nil, err
	}
	v, err := c.describe.get(ctx, c.cacheKey(name), func() (any, error) {
		resp, err := c.send(ctx, newRequest(http.MethodGet, c.sobjectPath(name, "describe")))
		if err != nil {
			return nil, err
		}
		var d SObjectDescribe
		if err := json.Unmarshal(resp.body, &d); err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
		d.Raw = json.RawMessage(resp.body)
		return &d, nil
	})
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", name, err)
	}
	return v.(*SObjectDescribe), nil
}

// cacheKey names a describe: object names are case-insensitive in Salesforce.
func (c *Client) cacheKey(object string) describeKey {
	return describeKey{instance: c.instanceStr, version: c.version, object: strings.ToLower(object)}
}

type describeKey struct {
	instance, version, object string
}

// DescribeCache keeps describe answers per (instance URL, API version, object)
// for the life of the process. Pass one cache to every Client of the same org
// and user to share it; do not share it between users, whose field-level
// security may differ. It is safe for concurrent use, and concurrent misses on
// one key make a single request.
type DescribeCache struct {
	mu      sync.Mutex
	entries map[describeKey]any
	pending map[describeKey]*describeCall
}

type describeCall struct {
	done chan struct{}
	val  any
	err  error
}

// NewDescribeCache returns an empty cache.
func NewDescribeCache() *DescribeCache {
	return &DescribeCache{entries: map[describeKey]any{}, pending: map[describeKey]*describeCall{}}
}

// get returns the cached value for key, or runs fetch once for all callers
// waiting on it. Errors are not cached: the next call tries again.
func (dc *DescribeCache) get(ctx context.Context, key describeKey, fetch func() (any, error)) (any, error) {
	dc.mu.Lock()
	if v, ok := dc.entries[key]; ok {
		dc.mu.Unlock()
		return v, nil
	}
	if call, ok := dc.pending[key]; ok {
		dc.mu.Unlock()
		select {
		case <-call.done:
			return call.val, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	call := &describeCall{done: make(chan struct{})}
	dc.pending[key] = call
	dc.mu.Unlock()

	call.val, call.err = fetch()

	dc.mu.Lock()
	if call.err == nil {
		dc.entries[key] = call.val
	}
	delete(dc.pending, key)
	dc.mu.Unlock()
	close(call.done)
	return call.val, call.err
}
