package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func TestEchoedExactly(t *testing.T) {
	for _, tc := range []struct {
		tok           string
		exact, idLike bool
	}{
		{"1", true, true}, {"0", true, true}, {"-7", true, true},
		{"9007199254740993", true, true}, {"18446744073709551615", true, true},
		{"-0", false, true}, {"1.0", false, true}, {"1e3", false, true}, {"0.5", false, true},
		{`"x"`, true, true}, {`"\u0078"`, false, true}, {`"a<b"`, false, true}, {`"é"`, false, true},
		{`"sfmcp-id-3"`, false, true},
		{"null", true, false}, {"true", true, false}, {"{}", true, false}, {"[1]", true, false},
	} {
		exact, idLike := echoedExactly([]byte(tc.tok))
		if exact != tc.exact || idLike != tc.idLike {
			t.Errorf("%s: exact %v idLike %v; want %v %v", tc.tok, exact, idLike, tc.exact, tc.idLike)
		}
	}
}

// TestStdioCancelsByTheClientsID cancels a call whose id got a placeholder:
// the cancellation names the id as the client wrote it and must still reach
// the call, whose response then carries that id.
func TestStdioCancelsByTheClientsID(t *testing.T) {
	s := server.NewMCPServer("probe", "1")
	started, cancelled := make(chan struct{}), make(chan struct{})
	s.AddTool(mcp.NewTool("block"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		close(started)
		select {
		case <-ctx.Done():
			close(cancelled)
			return mcp.NewToolResultError("cancelled"), nil
		case <-time.After(20 * time.Second):
			return mcp.NewToolResultText("not cancelled"), nil
		}
	})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeStdio(ctx, s, nil, inR, outW, nil); outW.Close() }()
	defer func() {
		cancel()
		inW.Close()
		go func() { _, _ = io.Copy(io.Discard, outR) }() // a response nobody reads must not hold the server
		<-done
	}()
	out := bufio.NewReader(outR)
	send := func(msg string) {
		t.Helper()
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"jsonrpc":"2.0","id":1e0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if line, _ := out.ReadString('\n'); !strings.HasPrefix(line, `{"jsonrpc":"2.0","id":1e0,`) {
		t.Fatalf("initialize: %s", line)
	}
	send(`{"jsonrpc":"2.0","id":7.0,"method":"tools/call","params":{"name":"block","arguments":{}}}`)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not start")
	}
	send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7.0,"reason":"test"}}`)
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the cancellation did not reach the call")
	}
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ ID json.RawMessage }
	if err := json.Unmarshal([]byte(line), &m); err != nil || string(m.ID) != "7.0" {
		t.Errorf("response %s: id %s; want 7.0", line, m.ID)
	}
}

// TestEchoIDsOverSSE gives the id back in an SSE response, where the
// response follows a notification, and leaves the notification alone.
func TestEchoIDsOverSSE(t *testing.T) {
	h := echoIDs(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct{ ID json.RawMessage }
		_ = json.Unmarshal(body, &m)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Length", "999")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"sfmcp-id-1\"}}\n\n")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":"+string(m.ID)+",\"result\":{}}\n\n")
		w.(http.Flusher).Flush()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1.50,"method":"ping"}`)))
	want := "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"sfmcp-id-1\"}}\n\n" +
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1.50,\"result\":{}}\n\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
	if rec.Header().Get("Content-Length") != "" {
		t.Error("a Content-Length was kept for a body whose length changed")
	}
	if !rec.Flushed {
		t.Error("flushes did not reach the client")
	}
}

// TestStdioServerRequestsKeepWorking runs a call whose id got a placeholder
// and that asks the client (elicitation) and reports progress: the
// server's own request and the client's answer to it pass untouched, and
// the call's response carries the client's id.
func TestStdioServerRequestsKeepWorking(t *testing.T) {
	s := server.NewMCPServer("probe", "1", server.WithElicitation())
	s.AddTool(mcp.NewTool("ask"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		_ = server.ServerFromContext(ctx).SendNotificationToClient(ctx, "notifications/progress",
			map[string]any{"progressToken": 2.5, "progress": 1})
		res, err := s.RequestElicitation(ctx, mcp.ElicitationRequest{Params: mcp.ElicitationParams{
			Message: "sure?", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}}})
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText("answer " + string(res.Action)), nil
	})
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
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() map[string]json.RawMessage {
		t.Helper()
		select {
		case l := <-lines:
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			return m
		case <-time.After(5 * time.Second):
			t.Fatal("no message from the server")
			return nil
		}
	}
	send := func(msg string) {
		t.Helper()
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"jsonrpc":"2.0","id":"i","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}`)
	next()
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":"\u0061sk","method":"tools/call","params":{"name":"ask","arguments":{},"_meta":{"progressToken":2.5}}}`)
	var reply map[string]json.RawMessage
	progress := false
	for reply == nil || !progress {
		m := next()
		switch {
		case string(m["method"]) == `"notifications/progress"`:
			progress = true
		case string(m["method"]) == `"elicitation/create"`:
			send(`{"jsonrpc":"2.0","id":` + string(m["id"]) + `,"result":{"action":"accept","content":{}}}`)
		case m["method"] == nil:
			reply = m
		default:
			t.Fatalf("unexpected %v", m)
		}
	}
	if !progress {
		t.Error("the progress notification did not arrive")
	}
	if string(reply["id"]) != `"\u0061sk"` {
		t.Errorf("id %s; want \"\\u0061sk\"", reply["id"])
	}
	if !strings.Contains(string(reply["result"]), "answer accept") {
		t.Errorf("result %s", reply["result"])
	}
}

// TestMembersFindsWhatEncodingJSONFinds: the skipping scanner finds the id
// and method encoding/json would fill, through strings holding brackets
// and quotes, nested values, duplicate and differently cased keys.
func TestMembersFindsWhatEncodingJSONFinds(t *testing.T) {
	for _, msg := range []string{
		`{"jsonrpc":"2.0","id":1.0,"method":"ping"}`,
		` { "method" : "tools/call" , "params" : {"id":9,"a":["}",{"x":"]\"{"}]} , "id" : "q\"}" } ` + "\n",
		`{"id":1,"ID":2.5,"method":"a","Method":"b"}`,
		`{"\u0069d":-0,"method":"x","params":[1,2,{"id":3}]}`,
		`{"params":{"s":"\\"},"id":1e3,"method":"m"}`,
		`{"id":null,"method":"n","params":{}}`,
		`{"method":"notifications/cancelled","params":{"requestId":7.0}}`,
		`{}`,
	} {
		var want struct {
			ID     json.RawMessage `json:"id"`
			Method json.RawMessage `json:"method"`
		}
		if err := json.Unmarshal([]byte(msg), &want); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		m, ok := members([]byte(msg), "id", "method")
		if !ok {
			t.Errorf("%s: not one object", msg)
			continue
		}
		got := func(i int) string {
			if m.has(i) {
				return msg[m[i].start:m[i].end]
			}
			return ""
		}
		if got(0) != string(want.ID) || got(1) != string(want.Method) {
			t.Errorf("%s: id %q method %q; encoding/json: %s %s", msg, got(0), got(1), want.ID, want.Method)
		}
	}
	for _, bad := range []string{``, `[]`, `{"id":1`, `{"id":1}x`, `{"id" 1}`, `{"id":"x}`, `{,}`, `{"a":[1,2}`} {
		if _, ok := members([]byte(bad), "id"); ok {
			t.Errorf("%q: taken for one object", bad)
		}
	}
}

// closeCounter counts the closes of a request's original body.
type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// TestSetBodyReusesTheBufferedBody: however many middlewares read and set
// the body, the next reader gets the last bytes set, whole, without a
// copy; a partly read body is read to its end; and closing closes the
// original body once.
func TestSetBodyReusesTheBufferedBody(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sets     []string // bodies set in turn, each after reading the one before
		readPart int      // bytes of the last body read before readBody
		want     string
	}{
		{name: "one set", sets: []string{`{"a":1}`}, want: `{"a":1}`},
		{name: "same bytes again", sets: []string{`{"a":1}`, `{"a":1}`}, want: `{"a":1}`},
		{name: "rewritten", sets: []string{`{"id":"x"}`, `{"id":1}`, `{"id":1}`, `{"id":2}`}, want: `{"id":2}`},
		{name: "empty", sets: []string{`{"a":1}`, ``}, want: ``},
		{name: "partly read", sets: []string{`{"a":1}`, `{"bb":22}`}, readPart: 3, want: `b":22}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := &closeCounter{Reader: strings.NewReader("original")}
			r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
			r.Body = orig
			body, err := readBody(r)
			if err != nil || string(body) != "original" {
				t.Fatalf("first readBody = %q, %v", body, err)
			}
			var first io.ReadCloser
			for i, s := range tc.sets {
				setBody(r, []byte(s))
				if i == 0 {
					first = r.Body
				} else if r.Body != first {
					t.Fatalf("set %d made a new body %p, want the first %p again", i, r.Body, first)
				}
				if i < len(tc.sets)-1 {
					if got, err := readBody(r); err != nil || string(got) != s {
						t.Fatalf("readBody after set %d = %q, %v; want %q", i, got, err, s)
					}
				}
			}
			if tc.readPart > 0 {
				if _, err := io.ReadFull(r.Body, make([]byte, tc.readPart)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readBody(r)
			if err != nil || string(got) != tc.want {
				t.Fatalf("readBody = %q, %v; want %q", got, err, tc.want)
			}
			if rest, _ := io.ReadAll(r.Body); len(rest) != 0 {
				t.Fatalf("after readBody the body still holds %q", rest)
			}
			_ = r.Body.Close()
			if orig.closed != 1 {
				t.Fatalf("original body closed %d times, want 1", orig.closed)
			}
		})
	}
}
