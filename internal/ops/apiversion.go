package ops

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// APIVersionRange is the REST API versions an org serves, oldest and
// newest, like "31.0" and "66.0".
type APIVersionRange struct {
	Min string `json:"min"`
	Max string `json:"max"`
}

// String is "31.0 to 66.0".
func (r APIVersionRange) String() string { return r.Min + " to " + r.Max }

// Serves reports whether v ("62.0") is in the range.
func (r APIVersionRange) Serves(v string) bool {
	n, ok := versionNumber(v)
	lo, ok1 := versionNumber(r.Min)
	hi, ok2 := versionNumber(r.Max)
	return ok && ok1 && ok2 && n >= lo && n <= hi
}

func versionNumber(v string) (int, bool) {
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".")
	n, err := strconv.Atoi(major)
	return n, err == nil
}

// OrgAPIVersions asks the org which API versions it serves (GET /services/data).
func OrgAPIVersions(ctx context.Context, c *salesforce.Client) (APIVersionRange, error) {
	list, err := c.Versions(ctx)
	if err != nil {
		return APIVersionRange{}, err
	}
	var r APIVersionRange
	lo, hi := 0, 0
	for _, v := range list {
		n, ok := versionNumber(v.Version)
		if !ok {
			continue
		}
		if lo == 0 || n < lo {
			lo, r.Min = n, v.Version
		}
		if n > hi {
			hi, r.Max = n, v.Version
		}
	}
	if hi == 0 {
		return APIVersionRange{}, fmt.Errorf("versions: the org listed no API versions")
	}
	return r, nil
}

// UseAPIVersion returns c at the API version to use, as sf chooses it: the
// one asked for (explicit, from a flag, the environment or the config) when
// the org serves it, else the org's newest. What the org serves is found
// once and kept in cache (nil: asked each time). An explicit version the org
// does not serve is an *InputError on "api_version" that names the versions
// it does. When the org cannot be asked, c is returned at explicit (or as it
// is): the command's own request then reports what is wrong.
func UseAPIVersion(ctx context.Context, c *salesforce.Client, explicit string, cache *OrgCache) (*salesforce.Client, error) {
	r, cached := cache.Versions()
	if cached && explicit != "" && !r.Serves(explicit) {
		cached = false // the org may have been upgraded since: ask again
	}
	if !cached {
		var err error
		if r, err = OrgAPIVersions(ctx, c); err != nil {
			if explicit != "" {
				return c.WithAPIVersion(explicit)
			}
			return c, nil
		}
		_ = cache.SetVersions(r) // a cache that cannot be written only costs a request next time
	}
	if explicit == "" {
		return c.WithAPIVersion(r.Max)
	}
	if !r.Serves(explicit) {
		return nil, inputErrorf("api_version", "API version %s is not served by this org, which serves %s", explicit, r)
	}
	return c.WithAPIVersion(explicit)
}
