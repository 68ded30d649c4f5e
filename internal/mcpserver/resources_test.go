package mcpserver

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

func readJSON(t *testing.T, c *client.Client, uri string) (map[string]any, error) {
	t.Helper()
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	res, err := c.ReadResource(context.Background(), req)
	if err != nil {
		return nil, err
	}
	if len(res.Contents) != 1 {
		t.Fatalf("%s: %d contents", uri, len(res.Contents))
	}
	tc, ok := res.Contents[0].(mcp.TextResourceContents)
	if !ok || tc.URI != uri || tc.MIMEType != "application/json" {
		t.Fatalf("%s: contents %+v", uri, res.Contents[0])
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(tc.Text), &out); err != nil {
		t.Fatalf("%s: %v", uri, err)
	}
	return out, nil
}

func completeArg(t *testing.T, c *client.Client, ref any, name, value string, ctxArgs map[string]string) *mcp.CompleteResult {
	t.Helper()
	req := mcp.CompleteRequest{}
	req.Params.Ref = ref
	req.Params.Argument = mcp.CompleteArgument{Name: name, Value: value}
	req.Params.Context = mcp.CompleteContext{Arguments: ctxArgs}
	res, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("complete %s=%q: %v", name, value, err)
	}
	return res
}

// TestResourcesAndCompletion: the objects resource and the describe and
// field templates serve the trimmed describes under the guard, and their
// arguments complete from the org's objects and fields, guard applied.
func TestResourcesAndCompletion(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	cf := func(context.Context) (*salesforce.Client, error) { return sf, nil }
	open := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf}))
	c := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf,
		Guard: &ops.Guard{AllowObjects: []string{"Account", "Contact"}, DenyFields: []string{"Contact.Email", "Phone"}}}))
	ctx := context.Background()

	list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	if err != nil || len(list.Resources) != 1 || list.Resources[0].URI != ObjectsURI {
		t.Fatalf("resources/list: %+v %v", list, err)
	}
	tpls, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil || len(tpls.ResourceTemplates) != 2 {
		t.Fatalf("resources/templates/list: %+v %v", tpls, err)
	}
	var raws []string
	for _, tp := range tpls.ResourceTemplates {
		raws = append(raws, tp.URITemplate.Raw())
	}
	if !slices.Contains(raws, DescribeTemplate) || !slices.Contains(raws, FieldTemplate) {
		t.Errorf("templates %v", raws)
	}

	objs, err := readJSON(t, c, ObjectsURI)
	if err != nil || objs["count"] != float64(2) {
		t.Errorf("objects: %v %v", objs["count"], err)
	}
	all, _ := readJSON(t, open, ObjectsURI)
	if n, _ := all["count"].(float64); n < 10 {
		t.Errorf("unguarded objects: %v", all["count"])
	}
	d, err := readJSON(t, c, "salesforce://sobjects/Contact/describe")
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := json.Marshal(d["fields"])
	if d["name"] != "Contact" || strings.Contains(string(fields), `"name":"Email"`) || strings.Contains(string(fields), `"name":"Phone"`) || !strings.Contains(string(fields), `"name":"LastName"`) {
		t.Errorf("Contact describe: %.300s", fields)
	}
	f, err := readJSON(t, c, "salesforce://sobjects/Account/fields/Industry")
	if err != nil || f["name"] != "Industry" || f["type"] != "picklist" {
		t.Errorf("Account.Industry: %v %v", f, err)
	}
	for uri, want := range map[string]string{
		"salesforce://sobjects/Opportunity/describe":     "not allowed",
		"salesforce://sobjects/Contact/fields/Email":     "hidden",
		"salesforce://sobjects/Account/fields/Phone":     "hidden",
		"salesforce://sobjects/Account/fields/NoSuch__c": "has no field",
		"salesforce://sobjects/Nope__c/describe":         "not allowed",
	} {
		if _, err := readJSON(t, c, uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error saying %q", uri, err, want)
		}
	}
	if _, err := readJSON(t, open, "salesforce://sobjects/Nope__c/describe"); err == nil {
		t.Error("an unknown object was read")
	}

	describeRef := mcp.ResourceReference{Type: "ref/resource", URI: DescribeTemplate}
	fieldRef := mcp.ResourceReference{Type: "ref/resource", URI: FieldTemplate}
	if got := completeArg(t, open, describeRef, "name", "Acc", nil).Completion.Values; !slices.Contains(got, "Account") || slices.Contains(got, "Contact") {
		t.Errorf("name Acc: %v", got)
	}
	if got := completeArg(t, c, describeRef, "name", "", nil).Completion.Values; !slices.Equal(got, []string{"Account", "Contact"}) {
		t.Errorf("guarded names: %v", got)
	}
	if got := completeArg(t, c, describeRef, "name", "Opp", nil).Completion.Values; len(got) != 0 {
		t.Errorf("a refused object completes: %v", got)
	}
	got := completeArg(t, c, fieldRef, "field", "", map[string]string{"name": "Contact"}).Completion.Values
	if slices.Contains(got, "Email") || slices.Contains(got, "Phone") || !slices.Contains(got, "LastName") {
		t.Errorf("Contact fields: %v", got)
	}
	if got := completeArg(t, c, fieldRef, "field", "Ind", map[string]string{"name": "account"}).Completion.Values; !slices.Equal(got, []string{"Industry"}) {
		t.Errorf("Account Ind: %v", got)
	}
	if got := completeArg(t, c, fieldRef, "field", "", map[string]string{"name": "Opportunity"}).Completion.Values; len(got) != 0 {
		t.Errorf("a refused object's fields complete: %v", got)
	}
}

// TestPrompts: prompts/list, prompts/get with the org's metadata, argument
// validation, the guard, and completion of the SOQL prompt's object.
func TestPrompts(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	cf := func(context.Context) (*salesforce.Client, error) { return sf, nil }
	c := inProcessServer(t, NewServer(Options{Version: "test", Tools: allTools(t), Client: cf,
		Guard: &ops.Guard{AllowObjects: []string{"Account", "Lead"}, DenyFields: []string{"Lead.Phone"}}}))
	ctx := context.Background()
	list, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil || len(list.Prompts) != 2 {
		t.Fatalf("prompts/list: %+v %v", list, err)
	}
	get := func(name string, args map[string]string) (*mcp.GetPromptResult, error) {
		req := mcp.GetPromptRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		return c.GetPrompt(ctx, req)
	}
	res, err := get(PromptSOQL, map[string]string{"sobject": "account", "question": "Which accounts are in Biotechnology?"})
	if err != nil || len(res.Messages) != 2 {
		t.Fatalf("soql prompt: %+v %v", res, err)
	}
	text := res.Messages[0].Content.(mcp.TextContent).Text
	emb, ok := res.Messages[1].Content.(mcp.EmbeddedResource)
	if !strings.Contains(text, "Biotechnology") || !ok {
		t.Fatalf("soql prompt messages: %q %+v", text, res.Messages[1].Content)
	}
	rc := emb.Resource.(mcp.TextResourceContents)
	if rc.URI != "salesforce://sobjects/Account/describe" || !strings.Contains(rc.Text, `"Industry"`) || !strings.Contains(rc.Text, "Biotechnology") {
		t.Errorf("embedded describe %s %.200s", rc.URI, rc.Text)
	}
	for _, bad := range []struct {
		name string
		args map[string]string
		want string
	}{
		{PromptSOQL, map[string]string{"sobject": "Account"}, "question: is required"},
		{PromptSOQL, map[string]string{"sobject": "Account", "question": "q", "limit": "3"}, "limit: is not an argument"},
		{PromptSOQL, map[string]string{"sobject": "Contact", "question": "q"}, "not allowed"},
		{PromptSOQL, map[string]string{"sobject": "Account", "question": strings.Repeat("x", maxQuestion+1)}, "longer than"},
		{PromptTriageLead, map[string]string{}, "lead: is required"},
		{PromptTriageLead, map[string]string{"lead": "00Q000000000000AAA"}, ""},
	} {
		_, err := get(bad.name, bad.args)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s %v: %v; want an error saying %q", bad.name, bad.args, err, bad.want)
		}
	}

	// A lead with a phone, triaged: the hidden phone stays out.
	_, sc := call(t, inProcess(t, allTools(t), cf), "salesforce_create_lead", map[string]any{"email": "triage.me@example.com", "last_name": "Triage", "company": "Acme", "phone": "+1 555 0142"})
	id, _ := sc["lead_id"].(string)
	res, err = get(PromptTriageLead, map[string]string{"lead": id})
	if err != nil {
		t.Fatal(err)
	}
	all := res.Messages[0].Content.(mcp.TextContent).Text + res.Messages[1].Content.(mcp.TextContent).Text
	if !strings.Contains(all, "Triage") || !strings.Contains(all, "Open - Not Contacted") || strings.Contains(all, "555 0142") {
		t.Errorf("triage prompt: %s", all)
	}
	if _, err := get(PromptTriageLead, map[string]string{"lead": "triage.me@example.com"}); err != nil {
		t.Errorf("triage by email: %v", err)
	}

	if got := completeArg(t, c, mcp.PromptReference{Type: "ref/prompt", Name: PromptSOQL}, "sobject", "", nil).Completion.Values; !slices.Equal(got, []string{"Account", "Lead"}) {
		t.Errorf("prompt sobject completion: %v", got)
	}
}
