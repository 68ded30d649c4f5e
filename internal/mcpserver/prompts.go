package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/sfmcp/sfmcp/internal/ops"
)

// Prompts: two tasks an agent's user asks for often, with the org's own
// metadata filled in so the model starts from facts, not guesses.
const (
	PromptSOQL       = "salesforce_soql_query"
	PromptTriageLead = "salesforce_triage_lead"
)

// maxQuestion bounds a prompt's free-text argument.
const maxQuestion = 2000

// promptArgs are the arguments each prompt takes, and which are required.
var promptArgs = map[string]map[string]bool{
	PromptSOQL:       {"sobject": true, "question": true},
	PromptTriageLead: {"lead": true},
}

// addPrompts registers the prompts on s. The lead prompt is offered only
// when the lead tools are served (toolsets leads).
func (m *metadata) addPrompts(s *server.MCPServer, leads bool) {
	s.AddPrompt(mcp.NewPrompt(PromptSOQL,
		mcp.WithPromptTitle("Write a SOQL query"),
		mcp.WithPromptDescription("Write and run a SOQL query that answers a question about one object, from its describe (fields, types, relationships, picklist values)."),
		mcp.WithArgument("sobject", mcp.ArgumentDescription("The object the question is about (API name; completable), for example Opportunity"), mcp.RequiredArgument()),
		mcp.WithArgument("question", mcp.ArgumentDescription("The question, for example: which open opportunities close this quarter?"), mcp.RequiredArgument()),
	), m.getSOQLPrompt)
	if leads {
		s.AddPrompt(mcp.NewPrompt(PromptTriageLead,
			mcp.WithPromptTitle("Triage a lead"),
			mcp.WithPromptDescription("Review one lead (by id or email) with the org's lead statuses and recommend the next step; nothing is changed without the user's agreement."),
			mcp.WithArgument("lead", mcp.ArgumentDescription("The lead's id (00Q...) or email"), mcp.RequiredArgument()),
		), m.getTriagePrompt)
	}
}

// promptArguments checks a prompts/get's arguments: every required one
// given and not blank, no unknown one, none too long.
func promptArguments(name string, args map[string]string) error {
	want := promptArgs[name]
	var unknown []string
	for k := range args {
		if _, ok := want[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return &ops.InputError{Field: unknown[0], Message: "is not an argument of prompt " + name}
	}
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := strings.TrimSpace(args[k])
		switch {
		case want[k] && v == "":
			return &ops.InputError{Field: k, Message: "is required"}
		case utf8.RuneCountInString(v) > maxQuestion:
			return &ops.InputError{Field: k, Message: fmt.Sprintf("is longer than %d characters", maxQuestion)}
		}
	}
	return nil
}

func (m *metadata) getSOQLPrompt(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	args := req.Params.Arguments
	if err := promptArguments(PromptSOQL, args); err != nil {
		return nil, requestError(ctx, err)
	}
	ctx, c, err := m.sf(ctx)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	d, err := ops.ReadDescribe(ctx, c, strings.TrimSpace(args["sobject"]))
	if err != nil {
		return nil, requestError(ctx, err)
	}
	b, _ := json.Marshal(d)
	uri := strings.Replace(DescribeTemplate, "{name}", d.Name, 1)
	text := fmt.Sprintf("Write one SOQL query on %s that answers this question:\n\n%s\n\n"+
		"Use only the fields and relationships of the describe that follows (fields it leaves out are not available). "+
		"Quote string literals with single quotes and escape them; compare picklists with their listed values; "+
		"add a LIMIT unless the question needs every row. Show the query, run it with salesforce_query, "+
		"and answer the question from its rows; if it fails, read error_code and message, fix the query and run it again.",
		d.Name, strings.TrimSpace(args["question"]))
	return &mcp.GetPromptResult{
		Description: "SOQL for a question about " + d.Name,
		Messages: []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: uri, MIMEType: "application/json", Text: string(b)})),
		},
	}, nil
}

func (m *metadata) getTriagePrompt(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	args := req.Params.Arguments
	if err := promptArguments(PromptTriageLead, args); err != nil {
		return nil, requestError(ctx, err)
	}
	ctx, c, err := m.sf(ctx)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	ref := strings.TrimSpace(args["lead"])
	in := map[string]string{"lead_id": ref}
	if strings.Contains(ref, "@") {
		in = map[string]string{"email": ref}
	}
	raw, _ := json.Marshal(in)
	// The lead is read as salesforce_get_lead reads it, under the same guard.
	get := ops.GetLeadOp()
	if err := m.guard.CheckCall(ctx, c, get.Meta, raw); err != nil {
		return nil, requestError(ctx, err)
	}
	out, err := get.Entry().Call(ctx, c, raw)
	if err != nil {
		return nil, requestError(ctx, err)
	}
	lead, _ := json.Marshal(out)
	statuses := "(the Status field is hidden or unreadable)"
	if f, err := ops.ReadField(ctx, c, "Lead", "Status"); err == nil && len(f.PicklistValues) > 0 {
		statuses = strings.Join(f.PicklistValues, ", ")
	}
	text := "Triage this Salesforce lead. Judge how complete and plausible it is (name, company, email, phone, source), " +
		"say whether other leads share its email (other_lead_ids), and recommend one next step: a Status from the org's values (" +
		statuses + "), or conversion (salesforce_update_lead_status with status scheduled) when it is qualified. " +
		"Explain the recommendation in two or three sentences. Change nothing until the user agrees; then use " +
		"salesforce_update_lead_status or salesforce_update_lead."
	return &mcp.GetPromptResult{
		Description: "Triage of lead " + ref,
		Messages: []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(string(lead))),
		},
	}, nil
}

// CompletePromptArgument completes the SOQL prompt's sobject.
func (m *metadata) CompletePromptArgument(ctx context.Context, name string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	if name == PromptSOQL && arg.Name == "sobject" {
		return m.completeObjects(ctx, arg.Value)
	}
	if _, ok := promptArgs[name]; !ok {
		return nil, server.NewHandlerError(&rpcError{code: mcp.INVALID_PARAMS, msg: "no prompt " + name})
	}
	return &mcp.Completion{Values: []string{}}, nil
}

// servesLeads reports whether tools hold the lead tools.
func servesLeads(tools []Tool) bool {
	return slices.ContainsFunc(tools, func(t Tool) bool { return t.Entry.Meta.Toolset == ops.ToolsetLeads })
}
