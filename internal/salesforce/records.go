package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// saveResult is the body of a create or upsert answer.
type saveResult struct {
	ID      string        `json:"id"`
	Success bool          `json:"success"`
	Errors  []ErrorDetail `json:"errors"`
	Created *bool         `json:"created"`
}

// UpsertResult says which record an upsert wrote and whether it was new.
type UpsertResult struct {
	ID      string
	Created bool
}

func (c *Client) sobjectPath(sobject string, parts ...string) string {
	p := c.dataPath("sobjects/" + sobject)
	for _, s := range parts {
		p += "/" + s
	}
	return p
}

// GetRecord returns one record as received. fields, when given, limits the
// answer to those fields (plus attributes).
func (c *Client) GetRecord(ctx context.Context, sobject, id string, fields []string) (json.RawMessage, error) {
	if err := validateSObject(sobject); err != nil {
		return nil, err
	}
	nid, err := normalizeID(id)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if err := validateName("field", f); err != nil {
			return nil, err
		}
	}
	r := newRequest(http.MethodGet, c.sobjectPath(sobject, nid))
	if len(fields) > 0 {
		r.query = url.Values{"fields": {strings.Join(fields, ",")}}
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", sobject, nid, err)
	}
	if !json.Valid(resp.body) {
		return nil, fmt.Errorf("get %s %s: the answer is not JSON", sobject, nid)
	}
	return json.RawMessage(resp.body), nil
}

// CreateRecord inserts a record and returns its 18-character id. It is never
// retried: a create whose answer was lost may still have happened.
func (c *Client) CreateRecord(ctx context.Context, sobject string, data map[string]any) (string, error) {
	if err := validateSObject(sobject); err != nil {
		return "", err
	}
	body, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("create %s: encode record: %w", sobject, err)
	}
	resp, err := c.send(ctx, newRequest(http.MethodPost, c.sobjectPath(sobject)).withJSON(body))
	if err != nil {
		return "", fmt.Errorf("create %s: %w", sobject, err)
	}
	var res saveResult
	if err := json.Unmarshal(resp.body, &res); err != nil {
		return "", fmt.Errorf("create %s: decode response: %w", sobject, err)
	}
	if !res.Success || res.ID == "" {
		return "", fmt.Errorf("create %s: %w", sobject, saveFailure(resp.status, res.Errors))
	}
	return res.ID, nil
}

// UpdateRecord changes the given fields of one record.
func (c *Client) UpdateRecord(ctx context.Context, sobject, id string, data map[string]any) error {
	if err := validateSObject(sobject); err != nil {
		return err
	}
	nid, err := normalizeID(id)
	if err != nil {
		return err
	}
	body, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("update %s %s: encode record: %w", sobject, nid, err)
	}
	r := newRequest(http.MethodPatch, c.sobjectPath(sobject, nid)).withJSON(body)
	r.idempotent = true // setting the same values twice leaves the same record
	if _, err := c.send(ctx, r); err != nil {
		return fmt.Errorf("update %s %s: %w", sobject, nid, err)
	}
	return nil
}

// DeleteRecord deletes one record (it goes to the recycle bin).
func (c *Client) DeleteRecord(ctx context.Context, sobject, id string) error {
	if err := validateSObject(sobject); err != nil {
		return err
	}
	nid, err := normalizeID(id)
	if err != nil {
		return err
	}
	if _, err := c.send(ctx, newRequest(http.MethodDelete, c.sobjectPath(sobject, nid))); err != nil {
		return fmt.Errorf("delete %s %s: %w", sobject, nid, err)
	}
	return nil
}

// UpsertRecord creates or updates the record whose external id field extField
// equals extValue. Several matches give a *MultipleMatchesError and change nothing.
func (c *Client) UpsertRecord(ctx context.Context, sobject, extField, extValue string, data map[string]any) (UpsertResult, error) {
	if err := validateSObject(sobject); err != nil {
		return UpsertResult{}, err
	}
	if err := validateName("external id field", extField); err != nil {
		return UpsertResult{}, err
	}
	if extValue == "" {
		return UpsertResult{}, &ValidationError{Field: "external id value", Message: "is empty"}
	}
	body, err := json.Marshal(data)
	if err != nil {
		return UpsertResult{}, fmt.Errorf("upsert %s: encode record: %w", sobject, err)
	}
	target := c.sobjectPath(sobject, extField, escapeSegment(extValue))
	r := newRequest(http.MethodPatch, target).withJSON(body)
	r.idempotent = true // an upsert by key converges on the same record
	r.okStatus = []int{http.StatusMultipleChoices}
	resp, err := c.send(ctx, r)
	if err != nil {
		return UpsertResult{}, fmt.Errorf("upsert %s %s: %w", sobject, extField, err)
	}
	switch resp.status {
	case http.StatusMultipleChoices:
		return UpsertResult{}, multipleMatches(sobject, extField, extValue, resp.body)
	case http.StatusNoContent:
		// API versions before 46.0 answer an update with no body: look the id up.
		id, err := c.idByExternalID(ctx, target)
		if err != nil {
			return UpsertResult{}, fmt.Errorf("upsert %s %s: updated, but looking up its id failed: %w", sobject, extField, err)
		}
		return UpsertResult{ID: id, Created: false}, nil
	}
	var res saveResult
	if err := json.Unmarshal(resp.body, &res); err != nil {
		return UpsertResult{}, fmt.Errorf("upsert %s %s: decode response: %w", sobject, extField, err)
	}
	if !res.Success || res.ID == "" {
		return UpsertResult{}, fmt.Errorf("upsert %s %s: %w", sobject, extField, saveFailure(resp.status, res.Errors))
	}
	created := resp.status == http.StatusCreated
	if res.Created != nil {
		created = *res.Created
	}
	return UpsertResult{ID: res.ID, Created: created}, nil
}

// idByExternalID reads the Id of the record at an external-id path.
func (c *Client) idByExternalID(ctx context.Context, target string) (string, error) {
	r := newRequest(http.MethodGet, target)
	r.query = url.Values{"fields": {"Id"}}
	resp, err := c.send(ctx, r)
	if err != nil {
		return "", err
	}
	var rec struct {
		ID string `json:"Id"`
	}
	if err := json.Unmarshal(resp.body, &rec); err != nil || rec.ID == "" {
		return "", fmt.Errorf("the record has no Id in the answer")
	}
	return rec.ID, nil
}

// escapeSegment escapes an external id value as one path segment. "." and
// ".." are escaped too, since servers and proxies would resolve them as
// directory steps.
func escapeSegment(v string) string {
	s := url.PathEscape(v)
	if strings.Trim(s, ".") == "" {
		s = strings.ReplaceAll(s, ".", "%2E")
	}
	return s
}

func multipleMatches(sobject, field, value string, body []byte) error {
	e := &MultipleMatchesError{SObject: sobject, Field: field, Value: value}
	// The body is a JSON array of record URLs.
	if err := json.Unmarshal(body, &e.URLs); err != nil {
		e.URLs = nil
	}
	for _, u := range e.URLs {
		if id, err := normalizeID(path.Base(u)); err == nil {
			e.IDs = append(e.IDs, id)
		}
	}
	return e
}

// saveFailure turns a 2xx body with success=false into an APIError.
func saveFailure(status int, errs []ErrorDetail) error {
	if len(errs) == 0 {
		return &APIError{StatusCode: status, Message: "Salesforce reported the save as failed without saying why"}
	}
	e := &APIError{StatusCode: status}
	e.setDetails(errs)
	return e
}
