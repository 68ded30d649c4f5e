package salesforce

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// newEmulatorClient builds a client with the emulator's admin session and,
// when refresh is set, what it needs to renew it.
func newEmulatorClient(t *testing.T, em *emulatortest.Server, refresh bool) *Client {
	t.Helper()
	tsc := TokenSourceConfig{Token: Token{AccessToken: em.Token.AccessToken, InstanceURL: em.URL}}
	if refresh {
		tsc.Token.RefreshToken = em.Token.RefreshToken
		tsc.ClientID = emulatortest.ClientID
		tsc.TokenURL = em.URL + "/services/oauth2/token"
	}
	hc := NewHTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	c, err := New(Config{HTTPClient: hc, Tokens: NewTokenSource(tsc), Retry: fastRetry, UserAgent: "sfmcp/test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOrgContractAgainstEmulator(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	testOrgContract(t, newEmulatorClient(t, em, false))
}

func TestEmulatorExpiredSessionRefreshes(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	c := newEmulatorClient(t, em, true)
	em.ExpireSessions(t)
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account LIMIT 1", false); err != nil {
		t.Fatalf("query after expiry: %v", err)
	}
	if c.tokens.Token().AccessToken == em.Token.AccessToken {
		t.Error("the token was not renewed")
	}
}

func TestEmulatorExpiredSessionWithoutRefreshIsAuthError(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	c := newEmulatorClient(t, em, false)
	em.ExpireSessions(t)
	_, err := c.QueryPage(context.Background(), "SELECT Id FROM Account LIMIT 1", false)
	var ae *AuthError
	if !errors.As(err, &ae) || !IsAuthError(err) {
		t.Fatalf("err = %v, want *AuthError", err)
	}
	if ae.ExitCode() != 4 {
		t.Errorf("exit code %d", ae.ExitCode())
	}
}

func TestEmulatorRetriesTooManyRequests(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	c := newEmulatorClient(t, em, false)
	em.AddFault(t, emulator.Fault{Status: http.StatusTooManyRequests, Times: 2, PathPrefix: "/services/data"})
	if _, err := c.QueryPage(context.Background(), "SELECT Id FROM Account LIMIT 1", false); err != nil {
		t.Fatalf("query after two 429s: %v", err)
	}
	// The emulator really answered 429 twice: the success above came
	// through the retries, not from a fault that never matched.
	if served := em.FaultsServed(t); served["429"] != 2 {
		t.Errorf("the emulator served %v; want two 429s", served)
	}
}

func TestEmulatorServerErrorForeverIsBounded(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t)
	c := newEmulatorClient(t, em, false)
	em.AddFault(t, emulator.Fault{Status: http.StatusInternalServerError, PathPrefix: "/services/data"})
	_, err := c.QueryPage(context.Background(), "SELECT Id FROM Account LIMIT 1", false)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Attempts != fastRetry.MaxAttempts {
		t.Fatalf("err = %#v, want a 500 after %d attempts", err, fastRetry.MaxAttempts)
	}
	if !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Errorf("message %q does not say it gave up", err)
	}
}

func TestEmulatorServerGone(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	c := newTestClient(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.QueryPage(ctx, "SELECT Id FROM Account", false)
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want *NetworkError", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the call hung until the deadline")
	}
}

func TestEmulatorQueryPagesAndCursorStaysOnInstance(t *testing.T) {
	t.Parallel()
	em := emulatortest.New(t, func(o *emulator.Options) { o.PageSize = 200 })
	c := newEmulatorClient(t, em, false)
	ctx := context.Background()
	it := c.Query(ctx, "SELECT Id FROM Account", QueryOptions{})
	n := 0
	for it.Next() {
		n++
	}
	if it.Err() != nil || n != emulator.SampleSizes.Accounts || it.TotalSize() != n {
		t.Fatalf("read %d of %d accounts: %v", n, it.TotalSize(), it.Err())
	}
	page, err := c.QueryPage(ctx, "SELECT Id FROM Account", false)
	if err != nil || page.NextRecordsURL == "" {
		t.Fatalf("first page: %+v %v", page, err)
	}
	if _, err := c.QueryMore(ctx, "http://evil.example"+page.NextRecordsURL); err == nil {
		t.Error("QueryMore followed a locator on another host")
	}
	if _, err := c.QueryMore(ctx, em.URL+page.NextRecordsURL); err != nil {
		t.Errorf("QueryMore on the same instance: %v", err)
	}
}
