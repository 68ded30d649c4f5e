package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// RawResponse is a REST answer as Salesforce sent it (read whole, within the
// client's response bound).
type RawResponse struct {
	Status      int
	ContentType string
	Body        []byte
}

// Raw sends one request to a path under the instance's /services/data, with
// the client's auth, refresh, retries (for methods safe to repeat), response
// bound and refusal of redirects. path must be already escaped and is
// refused unless it is /services/data or below it; callers check it more
// strictly (ops.CleanAPIPath). A status outside 2xx is an *APIError.
func (c *Client) Raw(ctx context.Context, method, path string, query url.Values, body []byte) (*RawResponse, error) {
	if path != "/services/data" && !strings.HasPrefix(path, "/services/data/") {
		return nil, &ValidationError{Field: "path", Message: fmt.Sprintf("%q is not under /services/data", path)}
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
	default:
		return nil, &ValidationError{Field: "method", Message: fmt.Sprintf("%q is not GET, POST, PATCH, PUT or DELETE", method)}
	}
	r := newRequest(method, path)
	r.query = query
	if body != nil {
		r.withJSON(body)
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	return &RawResponse{Status: resp.status, ContentType: resp.header.Get("Content-Type"), Body: resp.body}, nil
}
