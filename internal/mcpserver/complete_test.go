package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// TestCompletionErrorsAreInvalidParams drives completion/complete over the
// stdio transport: a prompt or resource template the server does not
// complete, an argument its reference does not take and a malformed
// reference are invalid params (-32602) with a message naming what is
// there; the lead prompt is unknown where the lead tools are not served;
// valid requests still reach the completion providers.
func TestCompletionErrorsAreInvalidParams(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	cf := func(context.Context) (*salesforce.Client, error) { return sf, nil }
	var queryOnly []Tool
	for _, tool := range allTools(t) {
		if tool.Entry.Meta.Toolset == "query" {
			queryOnly = append(queryOnly, tool)
		}
	}
	s := NewServer(Options{Version: "test", Tools: queryOnly, Client: cf})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeStdio(ctx, s, nil, inR, outW, nil); outW.Close() }()
	defer func() {
		cancel()
		inW.Close()
		go func() { _, _ = io.Copy(io.Discard, outR) }()
		<-done
	}()
	out := bufio.NewReader(outR)
	type response struct {
		ID     json.RawMessage
		Result *struct {
			Completion struct{ Values []string }
		}
		Error *struct {
			Code    int
			Message string
		}
	}
	roundTrip := func(msg string) response {
		t.Helper()
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			t.Fatal(err)
		}
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		var r response
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return r
	}
	roundTrip(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	_, _ = io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")

	complete := func(id, ref, arg string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"completion/complete","params":{"ref":` + ref + `,"argument":` + arg + `}}`
	}
	for _, tc := range []struct {
		ref, arg string
		msg      string // in the error; "" for a result
	}{
		{`{"type":"ref/prompt","name":"no_such_prompt"}`, `{"name":"sobject","value":"A"}`, `no prompt "no_such_prompt" (the prompts are salesforce_soql_query)`},
		{`{"type":"ref/prompt","name":"salesforce_triage_lead"}`, `{"name":"lead","value":"A"}`, `no prompt "salesforce_triage_lead"`}, // leads are not served
		{`{"type":"ref/prompt","name":"salesforce_soql_query"}`, `{"name":"objet","value":"A"}`, `has no argument "objet" (it takes sobject, question)`},
		{`{"type":"ref/resource","uri":"salesforce://sobjects/{name}"}`, `{"name":"name","value":"A"}`, `no resource template "salesforce://sobjects/{name}"`},
		{`{"type":"ref/resource","uri":"salesforce://sobjects/{name}/describe"}`, `{"name":"field","value":"A"}`, `has no argument "field" (it takes name)`},
		{`{"type":"ref/tool","name":"salesforce_query"}`, `{"name":"soql","value":"A"}`, `ref.type "ref/tool" is neither`},
		{`{"type":"ref/prompt","name":"salesforce_soql_query"}`, `{"value":"A"}`, `argument.name is required`},
		{`{"type":"ref/prompt","name":"salesforce_soql_query"}`, `{"name":"sobject","value":"Acc"}`, ""},
		{`{"type":"ref/resource","uri":"salesforce://sobjects/{name}/fields/{field}"}`, `{"name":"name","value":"Le"}`, ""},
	} {
		r := roundTrip(complete(`"c-1"`, tc.ref, tc.arg))
		if string(r.ID) != `"c-1"` {
			t.Errorf("%s %s: id %s", tc.ref, tc.arg, r.ID)
		}
		switch {
		case tc.msg == "" && (r.Error != nil || r.Result == nil || len(r.Result.Completion.Values) == 0):
			t.Errorf("%s %s: %+v %+v; want values", tc.ref, tc.arg, r.Error, r.Result)
		case tc.msg != "" && (r.Error == nil || r.Error.Code != -32602 || !strings.Contains(r.Error.Message, tc.msg)):
			t.Errorf("%s %s: %+v; want -32602 saying %q", tc.ref, tc.arg, r.Error, tc.msg)
		}
	}
	// No params at all.
	if r := roundTrip(`{"jsonrpc":"2.0","id":9,"method":"completion/complete"}`); r.Error == nil || r.Error.Code != -32602 {
		t.Errorf("no params: %+v", r.Error)
	}
}
