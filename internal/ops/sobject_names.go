package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// UnknownSObjectError is a failure of a call that named an object the org
// does not have ("Acount"), with the org's names nearest to it. It wraps
// Salesforce's own answer (NOT_FOUND, INVALID_TYPE), so its errorCode
// stays; each front words the rest its own way (Detail is a neutral
// wording).
type UnknownSObjectError struct {
	Name        string   // the object as given
	Suggestions []string // the org's nearest object names, nearest first; may be empty
	Err         error    // Salesforce's answer
}

// Error is Salesforce's answer followed by Detail.
func (e *UnknownSObjectError) Error() string {
	msg := e.Err.Error()
	var apiErr *salesforce.APIError
	if errors.As(e.Err, &apiErr) {
		msg = apiErr.Error()
	}
	return msg + " (" + e.Detail() + ")"
}

// Unwrap gives Salesforce's answer.
func (e *UnknownSObjectError) Unwrap() error { return e.Err }

// Detail says what is wrong and what was probably meant:
// `this org has no object "Acount"; did you mean Account?`.
func (e *UnknownSObjectError) Detail() string {
	s := fmt.Sprintf("this org has no object %q", e.Name)
	if len(e.Suggestions) > 0 {
		s += "; did you mean " + orList(e.Suggestions) + "?"
	}
	return s
}

func orList(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
}

// explainSObject makes err, the failure of a call naming sobject, an
// *UnknownSObjectError when the org has no such object (by its describeGlobal,
// which the client caches). Any other failure, or one the org's object list
// cannot be read to explain, is returned as it is.
func explainSObject(ctx context.Context, c *salesforce.Client, sobject string, err error) error {
	var apiErr *salesforce.APIError
	if err == nil || !errors.As(err, &apiErr) {
		return err
	}
	if apiErr.ErrorCode != "NOT_FOUND" && apiErr.ErrorCode != "INVALID_TYPE" {
		return err
	}
	g, gerr := c.DescribeGlobal(ctx)
	if gerr != nil {
		return err
	}
	names := make([]string, 0, len(g.SObjects))
	for _, o := range g.SObjects {
		if strings.EqualFold(o.Name, sobject) {
			return err // the object exists: the record (or the field) does not
		}
		names = append(names, o.Name)
	}
	return &UnknownSObjectError{Name: sobject, Suggestions: NearNames(sobject, names, 3), Err: err}
}

// NearNames returns up to max of names nearest to name, nearest first:
// those within an edit distance of a third of its length (at least 1, and
// without regard to case), and a custom object's name without its __c.
func NearNames(name string, names []string, max int) []string {
	type near struct {
		name string
		d    int
	}
	want := strings.ToLower(name)
	limit := max1(len([]rune(want)) / 3)
	var found []near
	for _, n := range names {
		low := strings.ToLower(n)
		d := editDistance(want, low)
		if strings.TrimSuffix(low, "__c") == want {
			d = 0
		}
		if d <= limit {
			found = append(found, near{n, d})
		}
	}
	slices.SortFunc(found, func(a, b near) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, min(max, len(found)))
	for i := 0; i < len(found) && i < max; i++ {
		out = append(out, found[i].name)
	}
	return out
}

func max1(n int) int { return max(n, 1) }

// editDistance is the optimal string alignment distance of a and b: the
// insertions, deletions, substitutions and swaps of neighbours that turn
// one into the other ("Acount" → "Account" is 1, "Contcat" → "Contact" 1).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// Three rows: the one before the previous is needed for swaps.
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}

// SObjectNames lists the org's object names (describeGlobal), from cache
// when it holds them fresh; a fetched list is cached.
func SObjectNames(ctx context.Context, c *salesforce.Client, cache *OrgCache) ([]string, error) {
	if names, ok := cache.SObjects(); ok {
		return names, nil
	}
	g, err := c.DescribeGlobal(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(g.SObjects))
	for _, o := range g.SObjects {
		names = append(names, o.Name)
	}
	slices.Sort(names)
	_ = cache.SetSObjects(names) // a cache that cannot be written only costs a request next time
	return names, nil
}

// FieldNames lists sobject's field names and, for lookups, their
// relationship names (Account for AccountId), from cache when fresh.
func FieldNames(ctx context.Context, c *salesforce.Client, cache *OrgCache, sobject string) ([]string, error) {
	if names, ok := cache.FieldNames(sobject); ok {
		return names, nil
	}
	d, err := c.DescribeSObject(ctx, sobject)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(d.Fields))
	for _, f := range d.Fields {
		names = append(names, f.Name)
		if f.RelationshipName != "" {
			names = append(names, f.RelationshipName+".")
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	_ = cache.SetFieldNames(sobject, names)
	return names, nil
}
