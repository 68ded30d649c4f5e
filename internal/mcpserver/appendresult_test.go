package mcpserver

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestAppendJSONString: a text is encoded as encoding/json's Marshal
// encodes it, or left to Marshal (invalid UTF-8).
func TestAppendJSONString(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", "a", all.String(), "ok: total_size=2 correlation_id=x\nId,Name\n1,\"A, \"\"B\"\"\"\n",
		"<a href=\"x\">&amp;</a>", "\u2028\u2029\u2027\u202a", "\xe2\x80", "\xe2", "a\xe2\x80\xa8", "é日本🙂\ufffd",
		"\x7f\x00\x1f", `\u0041\\`, "\xff", "a\xe2\x80", "\xed\xa0\x80", "tab\there"} {
		want, _ := json.Marshal(s)
		got, ok := appendJSONString([]byte("pre"), s)
		if !ok {
			if !utf8.ValidString(s) && string(got) == "pre" {
				continue
			}
			t.Errorf("%q: refused", s)
			continue
		}
		if string(got) != "pre"+string(want) {
			t.Errorf("%q:\n got %s\nwant %s", s, got[3:], want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\n\"<>&\u2028\x01é")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendJSONString(nil, s)
		if ok != utf8.ValidString(s) {
			t.Fatalf("%q: ok %v", s, ok)
		}
		if want, _ := json.Marshal(s); ok && string(got) != string(want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
	})
}

// TestRawArgumentsAsGetRawArguments: rawArguments reads the arguments as
// mcp-go's GetRawArguments gives them, without boxing them.
func TestRawArgumentsAsGetRawArguments(t *testing.T) {
	for _, c := range []struct {
		raw  json.RawMessage
		args any
	}{
		{nil, nil}, {json.RawMessage(`{"a":1}`), nil}, {json.RawMessage(`{"a":1}`), map[string]any{"b": 2}},
		{json.RawMessage{}, map[string]any{"b": 2}}, {nil, json.RawMessage(`{"c":3}`)}, {nil, map[string]any{}},
		{nil, func() {}},
	} {
		var req mcp.CallToolRequest
		req.Params.RawArguments, req.Params.Arguments = c.raw, c.args
		got, gotErr := rawArguments(req)
		var want json.RawMessage
		var wantErr error
		switch a := req.GetRawArguments().(type) {
		case nil:
		case json.RawMessage:
			want = a
		default:
			if b, err := json.Marshal(a); err != nil {
				wantErr = err
			} else {
				want = b
			}
		}
		if string(got) != string(want) || (gotErr == nil) != (wantErr == nil) || (got == nil) != (want == nil) {
			t.Errorf("%s %v: got %s, %v; want %s, %v", c.raw, c.args, got, gotErr, want, wantErr)
		}
	}
}

// TestTasksMayHandle: the quick look finds every eligible tool's name and
// task method as the map walk it replaces did, and passes other calls.
func TestTasksMayHandle(t *testing.T) {
	tasks := NewTasks()
	NewServer(Options{Version: "test", Tools: allTools(t), Tasks: tasks})
	if len(tasks.names) == 0 || len(tasks.names) != len(tasks.eligible) {
		t.Fatalf("names %q for %d eligible tools", tasks.names, len(tasks.eligible))
	}
	before := func(msg []byte) bool {
		if strings.Contains(string(msg), `"tasks/`) {
			return true
		}
		for name := range tasks.eligible {
			if strings.Contains(string(msg), name) {
				return true
			}
		}
		return false
	}
	msgs := []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"salesforce_query","arguments":{"soql":"SELECT Id FROM Account"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"x"}}`, `{}`, ``,
	}
	for name := range tasks.eligible {
		msgs = append(msgs, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+name+`"}}`, name[:len(name)-1], "x"+name)
	}
	for _, m := range msgs {
		if got, want := tasks.mayHandle([]byte(m)), before([]byte(m)); got != want {
			t.Errorf("%s: mayHandle %v, want %v", m, got, want)
		}
	}
	var none Tasks
	if none.mayHandle([]byte(`{"name":"salesforce_bulk_query"}`)) || !none.mayHandle([]byte(`"tasks/get"`)) {
		t.Error("a Tasks without eligible tools")
	}
}
