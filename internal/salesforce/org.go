package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// LimitValue is one org limit from GET /limits. Some limits break their use
// down by app or kind ("DailyApiRequests" → "Salesforce CLI"); those entries
// are in Sub.
type LimitValue struct {
	Max       int64
	Remaining int64
	Sub       map[string]LimitValue
}

// UnmarshalJSON reads {"Max":n,"Remaining":n, "<name>":{...}, ...}.
func (l *LimitValue) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = LimitValue{}
	for k, v := range raw {
		var err error
		switch k {
		case "Max":
			err = json.Unmarshal(v, &l.Max)
		case "Remaining":
			err = json.Unmarshal(v, &l.Remaining)
		default:
			var sub LimitValue
			if json.Unmarshal(v, &sub) != nil {
				continue // an attribute we do not know; not worth failing the call
			}
			if l.Sub == nil {
				l.Sub = map[string]LimitValue{}
			}
			l.Sub[k] = sub
		}
		if err != nil {
			return fmt.Errorf("limit %s: %w", k, err)
		}
	}
	return nil
}

// MarshalJSON writes the same shape Salesforce sends.
func (l LimitValue) MarshalJSON() ([]byte, error) {
	m := map[string]any{"Max": l.Max, "Remaining": l.Remaining}
	for k, v := range l.Sub {
		m[k] = v
	}
	return json.Marshal(m)
}

// Limits returns the org's limits keyed by name, like "DailyApiRequests".
func (c *Client) Limits(ctx context.Context) (map[string]LimitValue, error) {
	resp, err := c.send(ctx, exempt(newRequest(http.MethodGet, c.dataPath("limits"))))
	if err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	var out map[string]LimitValue
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return nil, fmt.Errorf("limits: decode response: %w", err)
	}
	return out, nil
}

// UserInfo is the OpenID Connect answer about the logged-in user.
type UserInfo struct {
	Sub               string            `json:"sub"`
	UserID            string            `json:"user_id"`
	OrganizationID    string            `json:"organization_id"`
	PreferredUsername string            `json:"preferred_username"`
	Name              string            `json:"name"`
	Email             string            `json:"email"`
	ZoneInfo          string            `json:"zoneinfo,omitempty"`
	Locale            string            `json:"locale,omitempty"`
	URLs              map[string]string `json:"urls,omitempty"`
}

// UserInfo asks the instance who the token belongs to
// (/services/oauth2/userinfo). It doubles as a cheap token check.
func (c *Client) UserInfo(ctx context.Context) (*UserInfo, error) {
	resp, err := c.send(ctx, exempt(newRequest(http.MethodGet, "/services/oauth2/userinfo")))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	var u UserInfo
	if err := json.Unmarshal(resp.body, &u); err != nil {
		return nil, fmt.Errorf("userinfo: decode response: %w", err)
	}
	return &u, nil
}

// APIVersionInfo is one entry of GET /services/data.
type APIVersionInfo struct {
	Label   string `json:"label"`
	URL     string `json:"url"`
	Version string `json:"version"`
}

// Versions lists the REST API versions the org serves, oldest first.
func (c *Client) Versions(ctx context.Context) ([]APIVersionInfo, error) {
	resp, err := c.send(ctx, exempt(newRequest(http.MethodGet, "/services/data")))
	if err != nil {
		return nil, fmt.Errorf("versions: %w", err)
	}
	var out []APIVersionInfo
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return nil, fmt.Errorf("versions: decode response: %w", err)
	}
	return out, nil
}

// exempt marks a request that only reads the limits or who the user is: it
// is sent even past the API budget, so people can see why calls are refused.
func exempt(r *request) *request {
	r.budgetExempt = true
	return r
}
