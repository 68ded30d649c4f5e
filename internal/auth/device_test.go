package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// fakeDeviceServer plays Salesforce's device flow: the device code request,
// then the given answers to successive polls.
type fakeDeviceServer struct {
	t     *testing.T
	mu    sync.Mutex
	polls []func(w http.ResponseWriter)
	seen  int
}

func (f *fakeDeviceServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/services/oauth2/token" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("response_type") == "device_code" {
		if r.PostForm.Get("client_id") != "cid" || r.PostForm.Get("scope") != "api refresh_token" {
			f.t.Errorf("device code request: %v", r.PostForm)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "dev-123", "user_code": "ABCD-1234", "verification_uri": "https://login.example/setup/connect", "interval": 5})
		return
	}
	if r.PostForm.Get("grant_type") != "device" || r.PostForm.Get("code") != "dev-123" || r.PostForm.Get("client_id") != "cid" {
		f.t.Errorf("poll: %v", r.PostForm)
	}
	f.mu.Lock()
	i := f.seen
	f.seen++
	f.mu.Unlock()
	if i >= len(f.polls) {
		f.t.Errorf("poll %d not expected", i+1)
		w.WriteHeader(500)
		return
	}
	f.polls[i](w)
}

func oauthAnswer(code, desc string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.WriteHeader(400)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
}

func runDevice(t *testing.T, polls ...func(http.ResponseWriter)) (*Tokens, string, error) {
	t.Helper()
	f := &fakeDeviceServer{t: t, polls: polls}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var stderr syncBuffer
	fl := &DeviceFlow{LoginURL: srv.URL, ClientID: "cid", Stderr: &stderr, Interval: 5 * time.Millisecond, Timeout: 10 * time.Second}
	tok, err := fl.Run(context.Background())
	return tok, strings.ReplaceAll(stderr.String(), srv.URL, "SRV"), err
}

func TestDeviceFlowPendingSlowDownThenTokens(t *testing.T) {
	var instance string
	tok, stderr, err := runDevice(t,
		oauthAnswer("authorization_pending", "authorization pending"),
		oauthAnswer("slow_down", "polling too fast"),
		oauthAnswer("authorization_pending", "authorization pending"),
		func(w http.ResponseWriter) {
			_ = json.NewEncoder(w).Encode(map[string]string{"access_token": "00Dx!AQtoken", "refresh_token": "5Aepref", "instance_url": "https://acme.my.salesforce.com", "id": "https://login.salesforce.com/id/00D/005"})
		})
	if err != nil {
		t.Fatal(err)
	}
	instance = tok.InstanceURL
	if instance != "https://acme.my.salesforce.com" || tok.AccessToken != "00Dx!AQtoken" || tok.RefreshToken != "5Aepref" {
		t.Errorf("tokens %+v", *tok)
	}
	if !strings.Contains(stderr, "ABCD-1234") || !strings.Contains(stderr, "https://login.example/setup/connect") {
		t.Errorf("the user was not told the code and URL: %q", stderr)
	}
}

func TestDeviceFlowDenied(t *testing.T) {
	_, _, err := runDevice(t, oauthAnswer("access_denied", "end-user denied authorization"))
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "end-user denied authorization") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeviceFlowExpired(t *testing.T) {
	_, _, err := runDevice(t, oauthAnswer("expired_token", "expired"))
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "--device") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeviceFlowOtherError(t *testing.T) {
	_, _, err := runDevice(t, oauthAnswer("invalid_client_id", "client identifier invalid"))
	if err == nil || !strings.Contains(err.Error(), "client identifier invalid (invalid_client_id)") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeviceFlowStartRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oauthAnswer("invalid_request", "device flow not enabled for this connected app")(w)
	}))
	defer srv.Close()
	fl := &DeviceFlow{LoginURL: srv.URL, ClientID: "cid", Stderr: &syncBuffer{}}
	_, err := fl.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "device flow not enabled") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeviceFlowTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("response_type") == "device_code" {
			_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "d", "user_code": "u", "verification_uri": "https://v", "interval": 5})
			return
		}
		oauthAnswer("authorization_pending", "pending")(w)
	}))
	defer srv.Close()
	fl := &DeviceFlow{LoginURL: srv.URL, ClientID: "cid", Stderr: &syncBuffer{}, Interval: 5 * time.Millisecond, Timeout: 100 * time.Millisecond}
	_, err := fl.Run(context.Background())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

// TestDeviceFlowHugeTokenAnswer: a token endpoint that answers with an
// endless body ends the login with an error naming the limit and endpoint.
func TestDeviceFlowHugeTokenAnswer(t *testing.T) {
	endless := func(w http.ResponseWriter) {
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"access_token":"`))
		chunk := []byte(strings.Repeat("A", 32<<10))
		for i := 0; i < 4*32; i++ { // 4 MiB: well past the 1 MiB limit; the client stops reading first
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	_, _, err := runDevice(t, endless)
	var tl *salesforce.ResponseTooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "/services/oauth2/token") || !strings.Contains(err.Error(), "1 MiB limit") {
		t.Fatalf("err = %v, want a ResponseTooLargeError naming the token endpoint and the 1 MiB limit", err)
	}
}
