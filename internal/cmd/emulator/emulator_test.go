package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func TestFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdEmulator(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--addr", "127.0.0.1:9999", "--data", "x.db", "--no-sample-data"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:9999" || got.DataPath != "x.db" || !got.NoSampleData || got.AllowRemote {
		t.Errorf("options %+v", got)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	err := Run(context.Background(), &Options{IO: ios, Addr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a loopback refusal", err)
	}
}

// TestServesAndPersists runs the emulator twice on one data file: the
// startup line works as credentials, a record created in the first run is
// there in the second, and cancelling the context stops it.
func TestServesAndPersists(t *testing.T) {
	data := filepath.Join(t.TempDir(), "org.db")
	start := func() (info map[string]string, stop func()) {
		pr, pw := io.Pipe()
		ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: pw, ErrOut: io.Discard}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Run(ctx, &Options{IO: ios, Addr: "127.0.0.1:0", DataPath: data}) }()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			t.Fatalf("startup line: %v", err)
		}
		go io.Copy(io.Discard, pr)
		if err := json.Unmarshal([]byte(line), &info); err != nil {
			t.Fatalf("startup line %q: %v", line, err)
		}
		return info, func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("emulator stopped with %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("emulator did not stop")
			}
		}
	}
	call := func(info map[string]string, method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, info["instance_url"]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+info["access_token"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	info, stop := start()
	for _, k := range []string{"instance_url", "login_url", "access_token", "refresh_token", "client_id", "emulator"} {
		if info[k] == "" {
			t.Errorf("startup line lacks %s: %v", k, info)
		}
	}
	if !strings.HasPrefix(info["instance_url"], "http://127.0.0.1:") || !strings.Contains(info["emulator"], "not a real") {
		t.Errorf("startup line %v", info)
	}
	status, body := call(info, "POST", "/services/data/v62.0/sobjects/Account", `{"Name":"Survives Restart"}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	stop()
	info, stop = start()
	defer stop()
	status, body = call(info, "GET", "/services/data/v62.0/query?q=SELECT+Id+FROM+Account+WHERE+Name='Survives+Restart'", "")
	if status != 200 || !strings.Contains(body, `"totalSize":1`) {
		t.Fatalf("after restart: %d %s", status, body)
	}
}
