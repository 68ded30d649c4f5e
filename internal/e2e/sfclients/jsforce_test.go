package sfclients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// emulatorClientID and emulatorCallback are the emulator's default
// connected app: the one `sfmcp emulator` prints and sfmcp login uses.
const (
	emulatorClientID = "sfmcp-emulator"
	emulatorCallback = "http://localhost:1717/OAuthRedirect"
)

// TestJSForce runs jsforce-flow.mjs: identity, query/queryMore past one
// page, CRUD, upsert, Bulk 2.0 load and query, and the OAuth web server
// flow with PKCE followed by a refresh.
func TestJSForce(t *testing.T) {
	nodeBin := node(t)
	s := emulatortest.New(t)
	seedContacts(t, s, 2100)
	contacts := countContacts(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "jsforce-flow.mjs")
	cmd.Env = []string{"INSTANCE_URL=" + s.URL, "ACCESS_TOKEN=" + s.Token.AccessToken, "CLIENT_ID=" + emulatorClientID,
		"REDIRECT_URI=" + emulatorCallback, "HOME=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("jsforce-flow: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var out map[string]map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("jsforce-flow output %s: %v", stdout.String(), err)
	}
	for name, step := range out {
		if e, ok := step["error"]; ok {
			t.Errorf("%s: %v (%v)", name, e, step["errorCode"])
		}
	}
	id := out["identity"]
	if id["user_id"] != s.Token.ID[len(s.Token.ID)-18:] || id["organization_id"] != s.Org().OrgID() || id["id"] != s.Token.ID || id["username"] == "" {
		t.Errorf("identity: %v", id)
	}
	q := out["query"]
	if q["totalSize"] != float64(contacts) || q["firstPage"] != float64(2000) || q["seen"] != float64(contacts) || q["pages"] != float64(2) {
		t.Errorf("query/queryMore: %v (the org has %d contacts)", q, contacts)
	}
	c := out["crud"]
	if c["created"] != true || c["name"] != "jsforce Co" || c["updated"] != true || c["industry"] != "Banking" || c["deleted"] != true || c["gone"] != "ENTITY_IS_DELETED" {
		t.Errorf("crud: %v", c)
	}
	u := out["upsert"]
	if u["firstCreated"] != true || u["secondCreated"] != false || u["count"] != float64(1) || u["lastName"] != "Upserted Again" {
		t.Errorf("upsert: %v", u)
	}
	b := out["bulk2"]
	if b["successful"] != float64(2) || b["failed"] != float64(0) || len(b["names"].([]any)) != 2 {
		t.Errorf("bulk2: %v", b)
	}
	o := out["oauth"]
	if o["status"] != float64(302) || o["state"] != "st8" || o["hasRefresh"] != true || o["refreshedToken"] != true ||
		o["count1"] != o["count2"] || o["count1"] == float64(0) || o["badVerifier"] == nil {
		t.Errorf("oauth: %v", o)
	}
}
