package mcpserver

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/ops"
)

// startHTTPFast serves all tools over HTTP on a loopback port, with the fast
// path for read-only calls or without it (mcp-go answers every request).
func startHTTPFast(t *testing.T, fast *FastCalls, guard *ops.Guard, o HTTPOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tasks := NewTasks()
	s := NewServer(Options{Version: "test", Tools: allTools(t), Client: ClientFromContext, Guard: guard, Tasks: tasks, FastCalls: fast})
	o.Tasks, o.FastCalls = tasks, fast
	h, err := HTTPHandler(s, ln.Addr().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, ln, h, 5*time.Second, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// uuids are the correlation ids, random in every answer; apiUsage is the
// org's API usage, which every call moves; ports are the two servers'.
var (
	uuids    = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)
	apiUsage = regexp.MustCompile(`(remaining|used)(\\?"):\d+`)
	ports    = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

func normalize(s string) string {
	return ports.ReplaceAllString(apiUsage.ReplaceAllString(uuids.ReplaceAllString(s, "UUID"), "$1$2:N"), "127.0.0.1:PORT")
}

type rawReply struct {
	status int
	header http.Header
	body   string
}

func postRaw(t *testing.T, base string, hdr map[string]string, body string) rawReply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	resp.Header.Del("Date")
	for k, v := range resp.Header {
		for i := range v {
			v[i] = normalize(v[i])
		}
		resp.Header[k] = v
	}
	return rawReply{resp.StatusCode, resp.Header, normalize(string(b))}
}

// TestFastCallsAnswerAsMCPGo sends the same requests to a server with the
// fast path and to one without, and wants the same answers: status,
// headers, and the body byte for byte (correlation ids aside), JSON-equal
// at least. The fast path must have answered the calls it is meant for, and
// left the others to mcp-go.
func TestFastCallsAnswerAsMCPGo(t *testing.T) {
	em := emulatortest.New(t)
	guard := &ops.Guard{DenyFields: []string{"Account.Phone"}}
	o := HTTPOptions{Mode: AuthBearer, LoginURL: em.URL, Instances: InstancePolicy{Allowed: []string{hostOf(em.URL)}}}
	fast := NewFastCalls()
	withFast := startHTTPFast(t, fast, guard, o)
	without := startHTTPFast(t, nil, guard, o)

	auth := "Bearer " + em.Token.AccessToken
	std := map[string]string{"Authorization": auth, "Content-Type": "application/json", "Mcp-Protocol-Version": "2025-06-18"}
	with := func(kv ...string) map[string]string {
		h := map[string]string{}
		for k, v := range std {
			h[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = kv[i+1]
		}
		return h
	}
	query := `{"soql":"SELECT Id, Name FROM Account ORDER BY Name LIMIT 2"}`
	call := func(id, name, args string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `}}`
	}
	modernMeta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}`
	cases := []struct {
		name string
		hdr  map[string]string
		body string
		fast bool // answered by the fast path
	}{
		{"query", std, call("1", "salesforce_query", query), true},
		{"query, no version header", with("Mcp-Protocol-Version", ""), call("2", "salesforce_query", query), true},
		{"query 2025-11-25", with("Mcp-Protocol-Version", "2025-11-25"), call("3", "salesforce_query", query), true},
		{"query 2025-03-26", with("Mcp-Protocol-Version", "2025-03-26"), call("4", "salesforce_query", query), true},
		{"string id", std, call(`"abc-1"`, "salesforce_query", query), true},
		{"large id", std, call("123456789012345678901", "salesforce_query", query), true},
		{"id 1.0 (a placeholder)", std, call("1.0", "salesforce_query", query), true},
		{"id with escapes", std, call(`"a\u0062"`, "salesforce_query", query), true},
		{"no arguments", std, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"salesforce_limits"}}`, true},
		{"members reordered, spaced", std, ` { "params" : { "arguments" : {"soql": "SELECT Id FROM Account LIMIT 1"} , "name" : "salesforce_query" }, "method":"tools/call", "id" : 6 , "jsonrpc":"2.0" } `, true},
		{"HTML characters", std, call("7", "salesforce_query", `{"soql":"SELECT Id, Name FROM Account WHERE Name = '<a&b>' LIMIT 1"}`), true},
		{"tool error from Salesforce", std, call("8", "salesforce_query", `{"soql":"SELECT Bogus__c FROM Account"}`), true},
		{"bad arguments", std, call("9", "salesforce_query", `{"soql":"SELECT Id FROM Account","nope":1}`), true},
		{"wrong argument type", std, call("10", "salesforce_query", `{"soql":5}`), true},
		{"guard refusal", std, call("11", "salesforce_query", `{"soql":"SELECT Id, Phone FROM Account"}`), true},
		{"get record", std, call("12", "salesforce_get_record", `{"sobject":"Account","id":"001000000000000AAA"}`), true},
		{"arguments not an object", std, call("13", "salesforce_query", `"SELECT Id FROM Account"`), false},
		{"arguments null", std, call("14", "salesforce_query", `null`), false},
		{"number past float64", std, call("15", "salesforce_query", `{"soql":"SELECT Id FROM Account","max_records":1e400}`), false},
		{"unknown tool", std, call("16", "salesforce_nope", `{}`), false},
		{"write tool", std, call("17", "salesforce_create_record", `{"sobject":"Account","fields":{"Name":"Fast"}}`), false},
		{"notification", std, `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"salesforce_limits","arguments":{}}}`, false},
		{"batch", std, `[` + call("18", "salesforce_limits", `{}`) + `]`, false},
		{"progress token", std, `{"jsonrpc":"2.0","id":19,"method":"tools/call","params":{"name":"salesforce_limits","arguments":{},"_meta":{"progressToken":"p"}}}`, false},
		{"task", with("Mcp-Protocol-Version", "2025-11-25"), `{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"salesforce_limits","arguments":{},"task":{"ttl":60000}}}`, false},
		{"modern", with("Mcp-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "salesforce_limits"),
			`{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{"name":"salesforce_limits","arguments":{},` + modernMeta + `}}`, false},
		{"modern header, legacy body", with("Mcp-Protocol-Version", "2026-07-28"), call("22", "salesforce_limits", `{}`), false},
		{"unsupported version header", with("Mcp-Protocol-Version", "1999-01-01"), call("23", "salesforce_limits", `{}`), false},
		{"session header", with("Mcp-Session-Id", "abc"), call("24", "salesforce_limits", `{}`), false},
		{"Method in capitals", std, `{"jsonrpc":"2.0","id":25,"Method":"tools/call","params":{"name":"salesforce_limits","arguments":{}}}`, false},
		{"duplicate id", std, `{"jsonrpc":"2.0","id":26,"id":27,"method":"tools/call","params":{"name":"salesforce_limits","arguments":{}}}`, false},
		{"jsonrpc 1.0", std, `{"jsonrpc":"1.0","id":28,"method":"tools/call","params":{"name":"salesforce_limits","arguments":{}}}`, false},
		{"name not a string", std, `{"jsonrpc":"2.0","id":29,"method":"tools/call","params":{"name":5,"arguments":{}}}`, false},
		{"text/plain", with("Content-Type", "text/plain"), call("30", "salesforce_limits", `{}`), false},
		{"not JSON", std, `{"jsonrpc":"2.0","id":31,"method":"tools/call",`, false},
		{"no token", with("Authorization", ""), call("32", "salesforce_limits", `{}`), false},
		{"tools/list", std, toolsList, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := fast.served.Load()
			got := postRaw(t, withFast, tc.hdr, tc.body)
			served := fast.served.Load() - before
			want := postRaw(t, without, tc.hdr, tc.body)
			if served != 0 != tc.fast {
				t.Errorf("answered by the fast path: %v, want %v", served != 0, tc.fast)
			}
			compareReplies(t, got, want)
		})
	}

	// Once a client asks for warnings, a failed call sends a log message
	// first (mcp-go's stateless requests share the level): mcp-go answers.
	t.Run("after logging/setLevel", func(t *testing.T) {
		setLevel := `{"jsonrpc":"2.0","id":40,"method":"logging/setLevel","params":{"level":"info"}}`
		compareReplies(t, postRaw(t, withFast, std, setLevel), postRaw(t, without, std, setLevel))
		before := fast.served.Load()
		body := call("41", "salesforce_query", `{"soql":"SELECT Bogus__c FROM Account"}`)
		got, want := postRaw(t, withFast, std, body), postRaw(t, without, std, body)
		if fast.served.Load() != before {
			t.Error("the fast path answered after logging/setLevel info")
		}
		if !strings.Contains(want.body, "notifications/message") {
			t.Errorf("mcp-go sent no log message: %s", want.body)
		}
		compareReplies(t, got, want)
	})
}

func compareReplies(t *testing.T, got, want rawReply) {
	t.Helper()
	if got.status != want.status {
		t.Errorf("status %d, mcp-go %d", got.status, want.status)
	}
	if g, w := headerLines(got.header), headerLines(want.header); g != w {
		t.Errorf("headers:\n%s\nmcp-go:\n%s", g, w)
	}
	if got.body == want.body {
		return
	}
	var g, w any
	if json.Unmarshal([]byte(got.body), &g) != nil || json.Unmarshal([]byte(want.body), &w) != nil {
		t.Errorf("body:\n%s\nmcp-go:\n%s", got.body, want.body)
		return
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("body (JSON differs):\n%s\nmcp-go:\n%s", got.body, want.body)
	} else {
		t.Errorf("body (JSON-equal, bytes differ):\n%q\nmcp-go:\n%q", got.body, want.body)
	}
}

func headerLines(h http.Header) string {
	var lines []string
	for k, v := range h {
		lines = append(lines, k+": "+strings.Join(v, ", "))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// csvLine writes row as one CSV line through writeCSVField.
func csvLine(b *strings.Builder, row []string) {
	for i, f := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		writeCSVField(b, []byte(f))
	}
	b.WriteByte('\n')
}

// TestTableCSV: the records' CSV text is encoding/csv's, field for field.
func TestTableCSV(t *testing.T) {
	fields := []string{"", "a", "a,b", `say "hi"`, "\"", "line\nbreak", "cr\rlf\r\n", " lead", "\tlead", "\u00a0nbsp", `\.`, `\`, "trail ",
		"é", "日本", "\xff", "a\"b\"\"c", ",", "\n", "=1+2", "null", "{\"a\":[1,\"]\"]}"}
	for _, row := range [][]string{fields, {""}, {"", ""}, {"x"}} {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		_ = w.Write(row)
		w.Flush()
		var got strings.Builder
		csvLine(&got, row)
		if got.String() != want.String() {
			t.Errorf("%q:\n got %q\nwant %q", row, got.String(), want.String())
		}
	}
	for _, f := range fields {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		_ = w.Write([]string{f})
		w.Flush()
		var got strings.Builder
		csvLine(&got, []string{f})
		if got.String() != want.String() {
			t.Errorf("%q: got %q, want %q", f, got.String(), want.String())
		}
	}
}

type level int

func (l level) String() string { return [...]string{"low", "high"}[l] }

// TestSummaryOf: the summary line, as fmt's %v and %q wrote it.
func TestSummaryOf(t *testing.T) {
	type out struct {
		Total   int    `json:"total_size"`
		Done    bool   `json:"done"`
		Next    string `json:"next,omitempty"`
		Note    string `json:"note"`
		Long    string `json:"long"`
		Level   level  `json:"level"`
		Small   int32
		Skipped string `json:"-"`
		hidden  int
		List    []int `json:"list"`
	}
	v := out{Total: -3, Done: true, Note: "a \"q\"\n", Long: strings.Repeat("x", 81), Level: 1, Small: 7, Skipped: "s", hidden: 1}
	if got, want := summaryOf(v, 80), `ok: total_size=-3 done=true note="a \"q\"\n" level=high Small=7`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, want := summaryOf(&v, -1), `ok: total_size=-3 done=true note="a \"q\"\n" long="`+strings.Repeat("x", 81)+`" level=high Small=7`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := summaryOf(struct{ List []int }{}, 80); got != "ok" {
		t.Errorf("no scalar fields: %s", got)
	}
	if got := summaryOf(5, 80); got != "ok" {
		t.Errorf("not a struct: %s", got)
	}
}

// TestTableCSVMatchesCellText: a table's CSV, written through one scratch
// buffer, is encoding/csv's of each cell's Text, for values that need
// quotes, escapes, nested JSON, nulls and missing cells.
func TestTableCSVMatchesCellText(t *testing.T) {
	tab := ops.TableOf([]json.RawMessage{
		json.RawMessage(`{"Id":"1","Name":"A, \"B\"","Note":" lead","N":2.50,"X":null,"Sub":{"records":[{"S":"s,\""}]},"U":"\u00e9\n"}`),
		json.RawMessage(`{"Id":"2","Name":"\\.","Note":"","Extra":true,"L":[1,"]"]}`),
		json.RawMessage(`{}`),
		json.RawMessage(`{"Name":"plain","Id":"3"}`),
	})
	var want bytes.Buffer
	w := csv.NewWriter(&want)
	_ = w.Write(tab.Columns)
	for _, row := range tab.Rows {
		line := make([]string, len(tab.Columns))
		for i := range line {
			if i < len(row) {
				line[i] = row[i].Text()
			}
		}
		_ = w.Write(line)
	}
	w.Flush()
	if got := tableCSV(tab); got != want.String() {
		t.Errorf("got\n%q\nwant\n%q", got, want.String())
	}
	if got := recordsText("cid-1", struct{}{}, tab); got != "ok correlation_id=cid-1\n"+want.String() {
		t.Errorf("recordsText:\n%q", got)
	}
}

// BenchmarkTableCSV is the text of one page of 2 000 records of ten fields.
//
//	go test -run '^$' -bench BenchmarkTableCSV -benchmem ./internal/mcpserver/
func BenchmarkTableCSV(b *testing.B) {
	recs := make([]json.RawMessage, 2000)
	for i := range recs {
		recs[i] = json.RawMessage(fmt.Sprintf(`{"Id":"001%06d","Name":"N%d, Inc.","Owner":{"Name":"O","Email":"o@example.com"},"Amount":%d,"Stage":"Won","Closed":true,"Type":null,"Region":"EMEA","Score":1.5}`, i, i, i))
	}
	tab := ops.TableOf(recs)
	b.ReportAllocs()
	for b.Loop() {
		_ = tableCSV(tab)
	}
}

func TestIsJSON(t *testing.T) {
	for _, tc := range []struct {
		ct   string
		want bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{"application/json;", true},
		{"", false},
		{"text/plain", false},
		{"application/jsonx", false},
		{"application/json; charset", false}, // a parameter without a value: mime refuses it, as mcp-go does
	} {
		h := http.Header{}
		if tc.ct != "" {
			h.Set("Content-Type", tc.ct)
		}
		if got := isJSON(h); got != tc.want {
			t.Errorf("isJSON(%q) = %v, want %v", tc.ct, got, tc.want)
		}
	}
}
