package ops

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// What the MCP server's resources, completions and prompts read: object and
// field names and one object's or one field's trimmed describe, each under
// the guard of ctx (--allow-objects hides and refuses other objects,
// --deny-fields hides fields). The describes come from the client's cache.

// MaxCompletions is the most values one completion returns (MCP's limit).
const MaxCompletions = 100

// Completion is a list of names that start with what was typed, and how
// many match in all (Total may exceed len(Values)).
type Completion struct {
	Values []string
	Total  int
}

func complete(names []string, prefix string) Completion {
	var out Completion
	p := strings.ToLower(prefix)
	sort.Strings(names)
	for _, n := range names {
		if !strings.HasPrefix(strings.ToLower(n), p) {
			continue
		}
		out.Total++
		if len(out.Values) < MaxCompletions {
			out.Values = append(out.Values, n)
		}
	}
	return out
}

// CompleteObjects completes an object name from the org's objects (the
// cached describeGlobal) that the guard allows.
func CompleteObjects(ctx context.Context, c *salesforce.Client, prefix string) (Completion, error) {
	g, err := c.DescribeGlobal(ctx)
	if err != nil {
		return Completion{}, err
	}
	guard := GuardFrom(ctx)
	names := make([]string, 0, len(g.SObjects))
	for _, o := range g.SObjects {
		if guard.ObjectAllowed(o.Name) {
			names = append(names, o.Name)
		}
	}
	return complete(names, prefix), nil
}

// CompleteFields completes a field name of object, hidden fields left
// out. An object the guard refuses completes to nothing.
func CompleteFields(ctx context.Context, c *salesforce.Client, object, prefix string) (Completion, error) {
	if checkName("sobject", object) != nil || !GuardFrom(ctx).ObjectAllowed(object) {
		return Completion{}, nil
	}
	d, err := c.DescribeSObject(ctx, object)
	if err != nil {
		if salesforce.IsNotFound(err) {
			return Completion{}, nil
		}
		return Completion{}, err
	}
	g := GuardFrom(ctx)
	names := make([]string, 0, len(d.Fields))
	for _, f := range d.Fields {
		if !g.FieldDenied(d.Name, f.Name) {
			names = append(names, f.Name)
		}
	}
	return complete(names, prefix), nil
}

// ReadDescribe is one object's trimmed describe, refused (a *GuardError)
// for an object the guard does not allow.
func ReadDescribe(ctx context.Context, c *salesforce.Client, object string) (DescribeObjectOutput, error) {
	if err := checkName("sobject", object); err != nil {
		return DescribeObjectOutput{}, err
	}
	if err := GuardFrom(ctx).CheckObject(object); err != nil {
		return DescribeObjectOutput{}, err
	}
	return DescribeObject(ctx, c, DescribeObjectInput{SObject: object})
}

// ReadField is one field's trimmed describe. A hidden field is refused as
// the guard refuses it everywhere, and a field the object lacks is an
// *InputError.
func ReadField(ctx context.Context, c *salesforce.Client, object, field string) (FieldSummary, error) {
	if err := checkName("field", field); err != nil {
		return FieldSummary{}, err
	}
	if err := GuardFrom(ctx).CheckFields(object, []string{field}); err != nil {
		return FieldSummary{}, err
	}
	d, err := ReadDescribe(ctx, c, object)
	if err != nil {
		return FieldSummary{}, err
	}
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, field) {
			return f, nil
		}
	}
	return FieldSummary{}, inputErrorf("field", "%s has no field %s", d.Name, field)
}

// ReadObjects lists the objects the guard allows (salesforce_list_objects).
func ReadObjects(ctx context.Context, c *salesforce.Client) (ListObjectsOutput, error) {
	out, err := ListObjects(ctx, c, ListObjectsInput{})
	if err != nil {
		return out, fmt.Errorf("list objects: %w", err)
	}
	return out, nil
}
