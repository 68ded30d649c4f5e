package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// requestIDs are ids a JSON-RPC client may send, each to come back exactly
// as written: integers past 2^53 (where a float64 rounds), past int64, and
// spellings of numbers and strings a decode and encode would normalise.
var requestIDs = []string{
	"1", "9007199254740993", "-9007199254740993", "18446744073709551615",
	"1.0", "-0", "1e3", "1E+3", "9007199254740993e0", "0.5",
	`"plain"`, `"\u0078"`, `"a<b&c>"`, `"sfmcp-id-1"`, `"é"`,
}

// idMethods are one request of each kind: a result, a listing, a tool's
// result, a tool error, and a JSON-RPC error.
var idMethods = []struct{ name, method, params string }{
	{"ping", "ping", ""},
	{"tools/list", "tools/list", ""},
	{"tools/call", "tools/call", `{"name":"salesforce_limits","arguments":{}}`},
	{"unknown tool", "tools/call", `{"name":"no_such_tool","arguments":{}}`},
	{"unknown method", "no/such/method", ""},
}

func idRequest(id, method, params string) string {
	s := `{"jsonrpc":"2.0","id":` + id + `,"method":"` + method + `"`
	if params != "" {
		s += `,"params":` + params
	}
	return s + "}"
}

// replyID is the id of a JSON-RPC response, byte for byte as sent.
func replyID(t *testing.T, line []byte) (id []byte, isResponse bool) {
	t.Helper()
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("not JSON-RPC: %v: %.300s", err, line)
	}
	if m.Result == nil && m.Error == nil {
		t.Fatalf("a response has neither result nor error: %.300s", line)
	}
	return m.ID, m.Method == ""
}

func TestMCPRequestIDsEchoedExactly(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)

	t.Run("stdio", func(t *testing.T) {
		cmd := exec.Command(binary, "serve", "--transport", "stdio")
		cmd.Env = orgEnv(t, em)
		in, _ := cmd.StdinPipe()
		outPipe, _ := cmd.StdoutPipe()
		var errOut syncBuffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			in.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("serve: %v\n%s", err, errOut.String())
			}
		}()
		out := bufio.NewReader(outPipe)
		next := func(req string) []byte {
			t.Helper()
			if _, err := io.WriteString(in, req+"\n"); err != nil {
				t.Fatal(err)
			}
			for {
				line, err := out.ReadBytes('\n')
				if err != nil {
					t.Fatalf("%s: %v\n%s", req, err, errOut.String())
				}
				if !bytes.Contains(line, []byte(`"method"`)) || bytes.Contains(line, []byte(`"result"`)) || bytes.Contains(line, []byte(`"error"`)) {
					return line
				}
			}
		}
		next(idRequest("0", "initialize", `{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"ids","version":"1"}}`))
		_, _ = io.WriteString(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
		for _, id := range requestIDs {
			for _, m := range idMethods {
				got, _ := replyID(t, next(idRequest(id, m.method, m.params)))
				if string(got) != id {
					t.Errorf("%s with id %s: the response's id is %s", m.name, id, got)
				}
			}
		}
	})

	t.Run("http", func(t *testing.T) {
		env := append(baseEnv(t), "OAUTH_MODE=bearer", "SALESFORCE_INSTANCE_URL="+em.URL, "SFMCP_ALLOWED_INSTANCE_HOSTS="+emulatorHost(em))
		base := startServeHTTP(t, env)
		hc := &http.Client{Timeout: 30 * time.Second}
		post := func(body string) []byte {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
			req.Header.Set("Authorization", "Bearer "+em.Token.AccessToken)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: HTTP %d %s", body, resp.StatusCode, data)
			}
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				// The response is the last data line; notifications come first.
				var last []byte
				for line := range bytes.Lines(data) {
					if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
						last = d
					}
				}
				data = last
			}
			return data
		}
		for _, id := range requestIDs {
			for _, m := range idMethods {
				got, _ := replyID(t, post(idRequest(id, m.method, m.params)))
				if string(got) != id {
					t.Errorf("%s with id %s: the response's id is %s", m.name, id, got)
				}
			}
		}
	})
}
