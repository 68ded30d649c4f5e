package mcpserver

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// answer is an elicitation handler that answers every request one way and
// counts the requests.
type answer struct {
	action  mcp.ElicitationResponseAction
	confirm bool
	asked   int
	message string
}

func (a *answer) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.asked++
	a.message = req.Params.Message
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: a.action}}
	if a.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": a.confirm}
	}
	return res, nil
}

func elicitingClient(t *testing.T, opts Options, version string, h client.ElicitationHandler) *client.Client {
	t.Helper()
	var copts []client.ClientOption
	if h != nil {
		copts = append(copts, client.WithElicitationHandler(h))
	}
	c, err := client.NewInProcessClientWithOptions(NewServer(opts), copts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "sfmcp-test", Version: "1"}
	if h != nil {
		init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{}
	}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConfirmDestructive: a delete asks the user when the client can ask
// (by elicitation under 2025-11-25, by input_required under 2026-07-28);
// declined changes nothing and says so, accepted deletes; a client that
// cannot ask runs it as before, unless confirmation is required, when it is
// refused and nothing changes.
func TestConfirmDestructive(t *testing.T) {
	em := emulatortest.New(t)
	sf := emulatorClient(t, em)
	cf := func(context.Context) (*salesforce.Client, error) { return sf, nil }
	newAccount := func() string {
		id, err := sf.CreateRecord(context.Background(), "Account", map[string]any{"Name": "Confirm Test"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	exists := func(id string) bool {
		status, _ := em.Do(t, http.MethodGet, "/services/data/v62.0/sobjects/Account/"+id, nil)
		return status == http.StatusOK
	}
	for _, version := range []string{mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LATEST_PROTOCOL_VERSION} {
		t.Run(version, func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				answer   *answer
				required bool
				deleted  bool
				code     string
			}{
				{"declined", &answer{action: mcp.ElicitationResponseActionDecline}, false, false, "DECLINED_BY_USER"},
				{"accepted but unchecked", &answer{action: mcp.ElicitationResponseActionAccept, confirm: false}, false, false, "DECLINED_BY_USER"},
				{"accepted", &answer{action: mcp.ElicitationResponseActionAccept, confirm: true}, true, true, ""},
				{"no elicitation support", nil, false, true, ""},
				{"no elicitation support, confirmation required", nil, true, false, "CONFIRMATION_REQUIRED"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var h client.ElicitationHandler
					if tc.answer != nil {
						h = tc.answer
					}
					c := elicitingClient(t, Options{Version: "test", Tools: allTools(t), Client: cf, Confirm: ConfirmPolicy{Required: tc.required}}, version, h)
					id := newAccount()
					res, sc := call(t, c, "salesforce_delete_record", map[string]any{"sobject": "Account", "record_id": id})
					if exists(id) == tc.deleted {
						t.Errorf("record exists=%v after the call; want deleted=%v", exists(id), tc.deleted)
					}
					if tc.code == "" && res.IsError {
						t.Errorf("failed: %v", res.Content)
					}
					if tc.code != "" && (!res.IsError || sc["error_code"] != tc.code) {
						t.Errorf("result %v; want %s", sc, tc.code)
					}
					if tc.code == "DECLINED_BY_USER" && !strings.Contains(sc["message"].(string), "nothing was changed") {
						t.Errorf("declined message: %v", sc["message"])
					}
					if tc.answer != nil && (tc.answer.asked != 1 || !strings.Contains(tc.answer.message, id)) {
						t.Errorf("asked %d times, message %q", tc.answer.asked, tc.answer.message)
					}
				})
			}
		})
	}
	// A read-only tool never asks.
	a := &answer{action: mcp.ElicitationResponseActionDecline}
	c := elicitingClient(t, Options{Version: "test", Tools: allTools(t), Client: cf}, mcp.LATEST_LEGACY_PROTOCOL_VERSION, a)
	if res, _ := call(t, c, "salesforce_limits", map[string]any{}); res.IsError || a.asked != 0 {
		t.Errorf("limits: asked %d, %v", a.asked, res.Content)
	}
}
