// Package ops declares every Salesforce operation sfmcp offers, once: an
// input struct (json and jsonschema tags, Validate), a small output struct,
// the function that runs it against a *salesforce.Client, and its metadata
// (tool name, annotations, toolset). The CLI commands in internal/cmd and the
// MCP tools are thin adapters over these declarations; nothing here knows
// about cobra or MCP.
package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// Toolset groups operations so an MCP server can offer a subset.
type Toolset string

// The toolsets.
const (
	ToolsetQuery    Toolset = "query"
	ToolsetRecords  Toolset = "records"
	ToolsetMetadata Toolset = "metadata"
	ToolsetLimits   Toolset = "limits"
)

// Meta describes an operation to people and to AI clients. Name is the MCP
// tool name, a compatibility promise (design.md §3). The four hints are the
// MCP tool annotations and are always set explicitly.
type Meta struct {
	Name        string
	Title       string
	Description string
	ReadOnly    bool // changes nothing in the org
	Destructive bool // may delete or overwrite data
	Idempotent  bool // repeating the call with the same input has no further effect
	OpenWorld   bool // talks to a system outside sfmcp (always true: the org)
	Toolset     Toolset
}

// Input is what every operation's input struct implements: Validate checks
// the arguments before any request is made and returns a *InputError.
type Input interface {
	Validate() error
}

// Operation is one declared operation with its typed function.
type Operation[In Input, Out any] struct {
	Meta Meta
	Run  func(ctx context.Context, c *salesforce.Client, in In) (Out, error)
}

// Entry is an operation without its types: what a catalogue lists. Input and
// Output are the struct types, for deriving schemas.
type Entry struct {
	Meta   Meta
	Input  reflect.Type
	Output reflect.Type
	// Call decodes JSON arguments into the input struct (unknown arguments
	// and wrong types are an *InputError naming the argument), validates them
	// and runs the operation: how the MCP server invokes any operation.
	Call func(ctx context.Context, c *salesforce.Client, args json.RawMessage) (any, error)
	// Kind, when set, says what one call does ("read", "write", "update"
	// or "delete") for an operation whose Meta covers them all
	// (salesforce_api): confirmations follow the call, not the worst case.
	Kind func(args json.RawMessage) string
	// ServesReadOnly: a read-only server (--read-only) still offers the
	// operation, and runs its calls under WithReadOnly, where it refuses
	// to write.
	ServesReadOnly bool
}

// Entry describes op for the catalogue.
func (op Operation[In, Out]) Entry() Entry {
	return Entry{Meta: op.Meta, Input: reflect.TypeFor[In](), Output: reflect.TypeFor[Out](),
		Call: func(ctx context.Context, c *salesforce.Client, args json.RawMessage) (any, error) {
			var in In
			if err := DecodeArgs(args, &in); err != nil {
				return nil, err
			}
			return op.Call(ctx, c, in)
		}}
}

// DecodeArgs decodes a JSON object of arguments into in, strictly: an
// unknown argument or a value of the wrong type is an *InputError naming it.
// Empty args and null mean no arguments. After an error, in holds whatever
// was decoded before it; callers drop it.
func DecodeArgs(args json.RawMessage, in any) error {
	if t := bytes.TrimSpace(args); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	return decodeArgs(args, in)
}

// decodeArgsStream is DecodeArgs through json.Decoder, as it always was:
// its errors are what the *InputError messages are made from.
func decodeArgsStream(args json.RawMessage, in any) error {
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	err := dec.Decode(in)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return inputErrorf(typeErr.Field, "must be %s, not a JSON %s", jsonKind(typeErr.Type), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return inputErrorf(name, "is not an argument of this operation")
	case errors.As(err, &typeErr):
		return inputErrorf("arguments", "must be a JSON object")
	}
	// A field's own UnmarshalJSON (FieldList) names its argument in its message.
	field, msg, ok := strings.Cut(err.Error(), ": ")
	if ok && apiName.MatchString(field) {
		return inputErrorf(field, "%s", msg)
	}
	return inputErrorf("arguments", "%s", err.Error())
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// Call validates in and runs the operation.
func (op Operation[In, Out]) Call(ctx context.Context, c *salesforce.Client, in In) (Out, error) {
	if err := in.Validate(); err != nil {
		var zero Out
		return zero, err
	}
	return op.Run(ctx, c, in)
}

// Catalogue lists every operation, in the order tools are listed. A parity
// test walks it: each entry needs a CLI command and an MCP tool.
func Catalogue() []Entry {
	return []Entry{
		QueryOp().Entry(),
		QueryAllOp().Entry(),
		QueryMoreOp().Entry(),
		SearchOp().Entry(),
		GetRecordOp().Entry(),
		CreateRecordOp().Entry(),
		UpdateRecordOp().Entry(),
		DeleteRecordOp().Entry(),
		UpsertRecordOp().Entry(),
		DescribeObjectOp().Entry(),
		ListObjectsOp().Entry(),
		GetObjectFieldsOp().Entry(),
		BulkQueryOp().Entry(),
		BulkInsertOp().Entry(),
		BulkUpdateOp().Entry(),
		BulkUpsertOp().Entry(),
		BulkDeleteOp().Entry(),
		BulkJobStatusOp().Entry(),
		LimitsOp().Entry(),
		apiEntry(),
		ToolingQueryOp().Entry(),
		SyncLeadOp(nil).Entry(),
		ListLeadsOp().Entry(),
		GetLeadOp().Entry(),
		CreateLeadOp(nil).Entry(),
		UpdateLeadOp(nil).Entry(),
		DeleteLeadOp().Entry(),
		UpdateLeadStatusOp(nil).Entry(),
	}
}

// InputError rejects an input before anything is sent. It is front-neutral:
// Field is the input's path as the operation declares it (its JSON name,
// "sobject" or "record_id"; a key of a map input as "fields.Status"), Message
// says what is wrong without naming the field, and Use names another
// operation to turn to. Each front names these its own way through Render:
// MCP by argument and tool names (what Error gives), the CLI by flags,
// arguments and commands.
type InputError struct {
	Field   string
	Message string
	Use     string // the name of an operation to use instead ("salesforce_sync_lead"), or ""
}

// Error renders the error with the operation's own names (Render(Names{})).
func (e *InputError) Error() string { return e.Render(Names{}) }

// Names says how a front names the inputs and operations of the core; a nil
// func keeps the core's name.
type Names struct {
	Field     func(path string) string // an input path ("lead_id", "fields.Status") as the front shows it
	Operation func(name string) string // an operation ("salesforce_sync_lead") as the front shows it
}

// Render writes the error with n's names: "<field>: <message>[; or use <operation>]".
func (e *InputError) Render(n Names) string {
	field := e.Field
	if n.Field != nil && field != "" {
		field = n.Field(field)
	}
	msg := e.RenderMessage(n)
	if field == "" {
		return msg
	}
	return field + ": " + msg
}

// RenderMessage is Render without the field (for error bodies that carry
// the field on its own).
func (e *InputError) RenderMessage(n Names) string {
	if e.Use == "" {
		return e.Message
	}
	op := e.Use
	if n.Operation != nil {
		op = n.Operation(op)
	}
	return e.Message + "; or use " + op
}

func inputErrorf(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// apiName is the shape of an sObject or field API name ("Account", "Invoice__c", "ns__Field__c").
var apiName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,119}$`)

func checkName(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return inputErrorf(field, "is required")
	case !apiName.MatchString(v):
		return inputErrorf(field, "%q is not an API name (letters, digits and underscores, starting with a letter)", clip(v, 60))
	}
	return nil
}

func checkID(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return inputErrorf(field, "is required")
	}
	if !sfid.Valid(strings.TrimSpace(v)) {
		return inputErrorf(field, "%q is not a Salesforce id (15 or 18 letters and digits)", clip(v, 40))
	}
	return nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// CheckSObject validates an sObject API name argument, as the inputs do.
func CheckSObject(name string) error { return checkName("sobject", name) }

// CheckRecordID validates a record id argument, as the inputs do.
func CheckRecordID(id string) error { return checkID("record_id", id) }
