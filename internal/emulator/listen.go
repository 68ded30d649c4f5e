package emulator

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ClientID is the client id the emulator's own tokens are issued to. The
// emulator accepts any client id at its OAuth endpoints.
const ClientID = "sfmcp-emulator"

// Instance is an emulator listening on a port.
type Instance struct {
	*Emulator
	ln  net.Listener
	URL string
}

// Listen opens the org described by opts and listens on addr. Unless
// allowRemote is set, addr must be a loopback address: the emulator hands
// out admin tokens to anyone who asks.
func Listen(ctx context.Context, addr string, opts Options, allowRemote bool) (*Instance, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: address %q: %w", addr, err)
	}
	if !allowRemote && !isLoopbackHost(host) {
		return nil, fmt.Errorf("emulator: %q is not a loopback address; the emulator serves loopback only unless --allow-remote is given", addr)
	}
	em, err := New(ctx, opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		em.Close()
		return nil, fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	url := "http://" + ln.Addr().String()
	em.SetBaseURL(url)
	return &Instance{Emulator: em, ln: ln, URL: url}, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve answers until ctx ends, then closes the org.
func (i *Instance) Serve(ctx context.Context) error {
	defer i.Close()
	return i.Emulator.Serve(ctx, i.ln)
}

// StartupInfo is the line `sfmcp emulator` prints once it listens: all a
// client needs to talk to it.
type StartupInfo struct {
	Emulator     string `json:"emulator"`
	InstanceURL  string `json:"instance_url"`
	LoginURL     string `json:"login_url"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ClientID     string `json:"client_id"`
	OrgID        string `json:"org_id"`
	UserID       string `json:"user_id"`
	Username     string `json:"username"`
	APIVersion   string `json:"api_version"`
	Data         string `json:"data"`
}

// Startup issues a session and describes the running emulator.
func (i *Instance) Startup(ctx context.Context) (*StartupInfo, error) {
	tok, err := i.IssueToken(ctx, ClientID)
	if err != nil {
		return nil, err
	}
	user, _, err := i.org.store.Get(ctx, i.org.adminID)
	if err != nil {
		return nil, err
	}
	data := i.org.opts.DataPath
	if data == "" {
		data = ":memory:"
	}
	return &StartupInfo{Emulator: Label, InstanceURL: i.URL, LoginURL: i.URL, AccessToken: tok.AccessToken,
		RefreshToken: tok.RefreshToken, ClientID: ClientID, OrgID: i.org.orgID, UserID: i.org.adminID,
		Username: str(user["Username"]), APIVersion: i.org.latestVersion(), Data: data}, nil
}

// DefaultDataPath is where `--emulator` keeps its org between commands:
// $XDG_DATA_HOME/sfmcp/emulator.db (~/.local/share on Linux, the
// Application Support folder on macOS, %LocalAppData% on Windows).
func DefaultDataPath() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("emulator: no home directory for the data file: %w", err)
		}
		switch runtime.GOOS {
		case "darwin":
			dir = filepath.Join(home, "Library", "Application Support")
		case "windows":
			if d := os.Getenv("LocalAppData"); d != "" {
				dir = d
			} else {
				dir = filepath.Join(home, "AppData", "Local")
			}
		default:
			dir = filepath.Join(home, ".local", "share")
		}
	}
	return filepath.Join(dir, "sfmcp", "emulator.db"), nil
}
