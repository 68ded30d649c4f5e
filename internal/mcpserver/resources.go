package mcpserver

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// The org's metadata as MCP resources: the list of objects, one object's
// trimmed describe and one field's, all under the guard (--allow-objects
// and --deny-fields), and completion of their object and field arguments.
// A client (or its user) attaches a describe as context without a tool
// call, and a template's completion lets a user pick the object by name.

// Resource URIs.
const (
	ObjectsURI       = "salesforce://sobjects"
	DescribeTemplate = "salesforce://sobjects/{name}/describe"
	FieldTemplate    = "salesforce://sobjects/{name}/fields/{field}"
)

// rpcError is a JSON-RPC error a resource, prompt or completion handler
// returns on purpose (mcp-go sends any other error as an internal error).
type rpcError struct {
	code int
	msg  string
}

func (e *rpcError) Error() string { return e.msg }

// JSONRPCError gives mcp-go the code and message to send.
func (e *rpcError) JSONRPCError() mcp.JSONRPCError {
	return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, Error: mcp.NewJSONRPCErrorDetails(e.code, e.msg, nil)}
}

// requestError classifies a failure of a resource read or prompt get:
// refusals by the guard and bad arguments are invalid params, an object
// or field that does not exist is "resource not found" (-32002 before
// 2026-07-28, invalid params since), a missing login is invalid request,
// and anything else an internal error with the operation's message.
func requestError(ctx context.Context, err error) error {
	var (
		guard   *ops.GuardError
		in      *ops.InputError
		noLogin *authRequired
	)
	code := mcp.INTERNAL_ERROR
	switch {
	case errors.As(err, &guard), errors.As(err, &in):
		code = mcp.INVALID_PARAMS
	case salesforce.IsNotFound(err):
		code = mcp.RESOURCE_NOT_FOUND
		if mcp.IsModernProtocol(server.RequestProtocolVersion(ctx)) {
			code = mcp.INVALID_PARAMS
		}
	case errors.As(err, &noLogin):
		code = mcp.INVALID_REQUEST
	}
	return server.NewHandlerError(&rpcError{code: code, msg: err.Error()})
}

// metadata serves the resources, completions and prompts of one server.
type metadata struct {
	client ClientFunc
	guard  *ops.Guard
}

// sf returns the caller's client and ctx carrying the guard.
func (m *metadata) sf(ctx context.Context) (context.Context, *salesforce.Client, error) {
	if m.client == nil {
		return ctx, nil, &authRequired{msg: "no Salesforce login is configured"}
	}
	c, err := m.client(ctx)
	if err != nil {
		return ctx, nil, &authRequired{msg: err.Error()}
	}
	return ops.WithGuard(ctx, m.guard), c, nil
}

// addResources registers the resources and templates on s.
func (m *metadata) addResources(s *server.MCPServer) {
	s.AddResource(mcp.NewResource(ObjectsURI, "sobjects",
		mcp.WithResourceDescription("The org's objects (standard and custom) with labels, key prefixes and what can be done with them; only those this server allows."),
		mcp.WithMIMEType("application/json"),
	), m.readObjects)
	s.AddResourceTemplate(mcp.NewResourceTemplate(DescribeTemplate, "sobject-describe",
		mcp.WithTemplateTitle("Object describe"),
		mcp.WithTemplateDescription("One object's trimmed describe: label, key prefix and fields (name, label, type, length, nillable, createable, updateable, referenceTo, active picklist values)."),
		mcp.WithTemplateMIMEType("application/json"),
	), m.readDescribe)
	s.AddResourceTemplate(mcp.NewResourceTemplate(FieldTemplate, "sobject-field",
		mcp.WithTemplateTitle("Field describe"),
		mcp.WithTemplateDescription("One field's trimmed describe (type, length, nillable, createable, updateable, referenceTo, active picklist values)."),
		mcp.WithTemplateMIMEType("application/json"),
	), m.readField)
}

func jsonContents(uri string, v any) ([]mcp.ResourceContents, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "application/json", Text: string(b)}}, nil
}

func (m *metadata) readObjects(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	ctx, c, err := m.sf(ctx)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	out, err := ops.ReadObjects(ctx, c)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	return jsonContents(req.Params.URI, out)
}

// templateArg is a template variable's value (mcp-go gives a list for
// explode variables, a string otherwise).
func templateArg(req mcp.ReadResourceRequest, name string) string {
	switch v := req.Params.Arguments[name].(type) {
	case string:
		return v
	case []string:
		if len(v) == 1 {
			return v[0]
		}
	}
	return ""
}

func (m *metadata) readDescribe(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	ctx, c, err := m.sf(ctx)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	out, err := ops.ReadDescribe(ctx, c, templateArg(req, "name"))
	if err != nil {
		return nil, requestError(ctx, err)
	}
	return jsonContents(req.Params.URI, out)
}

func (m *metadata) readField(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	ctx, c, err := m.sf(ctx)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	out, err := ops.ReadField(ctx, c, templateArg(req, "name"), templateArg(req, "field"))
	if err != nil {
		return nil, requestError(ctx, err)
	}
	return jsonContents(req.Params.URI, out)
}

// CompleteResourceArgument completes a template's name (an object) and
// field (a field of the object already chosen as name).
func (m *metadata) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, cc mcp.CompleteContext) (*mcp.Completion, error) {
	if uri != DescribeTemplate && uri != FieldTemplate {
		return &mcp.Completion{Values: []string{}}, nil
	}
	switch arg.Name {
	case "name":
		return m.completeObjects(ctx, arg.Value)
	case "field":
		if uri == FieldTemplate {
			return m.completeFields(ctx, cc.Arguments["name"], arg.Value)
		}
	}
	return &mcp.Completion{Values: []string{}}, nil
}

func (m *metadata) completeObjects(ctx context.Context, prefix string) (*mcp.Completion, error) {
	ctx, c, err := m.sf(ctx)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	res, err := ops.CompleteObjects(ctx, c, prefix)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	return toCompletion(res), nil
}

func (m *metadata) completeFields(ctx context.Context, object, prefix string) (*mcp.Completion, error) {
	ctx, c, err := m.sf(ctx)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	res, err := ops.CompleteFields(ctx, c, object, prefix)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	return toCompletion(res), nil
}

func toCompletion(r ops.Completion) *mcp.Completion {
	out := &mcp.Completion{Values: r.Values, Total: r.Total, HasMore: r.Total > len(r.Values)}
	if out.Values == nil {
		out.Values = []string{}
	}
	return out
}
