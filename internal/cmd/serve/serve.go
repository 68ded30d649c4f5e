// Package serve implements `sfmcp serve`: the operations of internal/ops as
// an MCP server over stdio or streamable HTTP.
package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/gcpace"
	"github.com/sfmcp/sfmcp/internal/h1"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/mcpserver"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth"
	"github.com/sfmcp/sfmcp/internal/mcpserver/oauth/store"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// Environment variables of the HTTP transport that are not config keys.
const (
	envAllowedHosts = "SFMCP_ALLOWED_INSTANCE_HOSTS"
	envCORSOrigins  = "SFMCP_CORS_ORIGINS"
	// envRedirectSchemes lists the private-use redirect URI schemes OAuth
	// clients may register in proxy mode (default vscode, cursor, vscode-webview, claude).
	envRedirectSchemes = "SFMCP_OAUTH_REDIRECT_SCHEMES"
	// envMaxClients bounds the live OAuth client registrations in proxy mode
	// (default 10,000, across replicas sharing Redis).
	envMaxClients    = "SFMCP_OAUTH_MAX_CLIENTS"
	envMetricsAddr   = "SFMCP_METRICS_ADDR"
	envRateLimit     = "SFMCP_RATE_LIMIT"
	envMaxConcurrent = "SFMCP_MAX_CONCURRENT"
	// envNetHTTP=1 serves with Go's net/http alone, as before issue 16's
	// internal/h1: its server for callers and its transport (HTTP/2) to
	// Salesforce. An escape hatch should h1 misbehave with some client.
	envNetHTTP = "SFMCP_NET_HTTP"

	// The HTTP server paces its garbage collector (internal/gcpace) when
	// the environment sets no GOGC: a target that gives the heap at least
	// gcHeadroom of room, between Go's default (100) and gcMaxPercent. A
	// call leaves ~10 kB of garbage and keeps almost nothing, so with Go's
	// default the few-MB live heap was collected every few hundred calls:
	// a fifth of a one-row call's CPU went to allocation and marking
	// (issue 16). A fixed GOGC=400 would also make a large live heap five
	// times larger; paced, the heap has at most gcHeadroom more than with
	// Go's default.
	gcHeadroom   = 32 << 20
	gcMaxPercent = 400
)

// DefaultPort is the HTTP port when neither --port nor PORT, FASTMCP_PORT or MCP_PORT is set.
const DefaultPort = 8000

// Options are the inputs of `sfmcp serve`.
type Options struct {
	IO         *iostreams.IOStreams
	Config     func() (*config.Config, error)
	Salesforce func(context.Context) (*salesforce.Client, error)
	// HTTPClient reaches Salesforce in HTTP mode; nil means serverHTTPClient.
	HTTPClient func() (*http.Client, error)
	Version    string

	Transport    string
	Addr         string // host or host:port
	Port         int
	ReadOnly     bool
	Toolsets     []string
	Tools        []string
	ListTools    bool
	JSON         bool
	AllowedHosts []string
	CORSOrigins  []string

	// Telemetry is the factory's: serve fills in metrics, tracer and audit
	// log before any Salesforce client is built, so clients report to it.
	Telemetry *telemetry.Telemetry
	// APIUsage is the process's usage tracker with the --api-budget.
	APIUsage func() (*salesforce.Usage, error)

	MetricsAddr   string  // host:port of the Prometheus /metrics listener; "" is off
	RateLimit     float64 // per-user requests per second in HTTP mode; 0 is unlimited
	RateBurst     int     // per-user burst above RateLimit
	MaxConcurrent int     // per-user requests at once in HTTP mode; 0 is unlimited
	// ConfirmDestructive refuses destructive calls from clients that cannot
	// ask their user; ConfirmUpdates also asks before updates and upserts.
	ConfirmDestructive bool
	ConfirmUpdates     bool
	AllowObjects       []string
	DenyFields         []string
}

// NewCmdServe builds the command; runF replaces serveRun in tests.
func NewCmdServe(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, Salesforce: f.Salesforce, Version: f.AppVersion,
		Telemetry: f.Telemetry, APIUsage: f.APIUsage}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Salesforce operations to AI clients (MCP)",
		Long: `Serve sfmcp's operations as MCP tools, the same operations the other commands run.

--transport stdio (the default) speaks JSON-RPC on stdin and stdout, for a
client that starts sfmcp itself; it uses the login the other commands use
(--org, --emulator, SALESFORCE_ACCESS_TOKEN + SALESFORCE_INSTANCE_URL). Logs
go to stderr (LOG_LEVEL).

--transport http serves streamable HTTP at /mcp on --addr (127.0.0.1) and
--port (PORT, FASTMCP_PORT or MCP_PORT; 8000), with /healthz. Each request
brings its own Salesforce credentials, as OAUTH_MODE says:
  bearer   Authorization: Bearer <Salesforce access token>, checked at
           Salesforce's userinfo (SALESFORCE_INSTANCE_URL, else
           SALESFORCE_LOGIN_URL, or the request's X-Salesforce-Instance-URL)
  headers  Authorization, X-SF-Instance-Url and optional X-SF-Refresh-Token
           (refreshed with SF_CLIENT_ID, SF_CLIENT_SECRET, SF_TOKEN_URL)
  proxy    sfmcp is an OAuth 2.1 authorization server (discovery, dynamic
           registration, PKCE) in front of the connected app
           SALESFORCE_CLIENT_ID (+ SALESFORCE_CLIENT_SECRET) at
           SALESFORCE_LOGIN_URL; public URL BASE_URL; state in
           OAUTH_STORAGE_TYPE=memory|redis (REDIS_URL), Salesforce tokens
           encrypted with STORAGE_ENCRYPTION_KEY (required with redis)
Instance URLs from requests must be https on a Salesforce domain, or listed in
SFMCP_ALLOWED_INSTANCE_HOSTS (host[:port], comma-separated). Browser origins
allowed to call: SFMCP_CORS_ORIGINS. sfmcp reads and answers requests, and
calls Salesforce, with its own synchronous HTTP/1.1 server and client;
SFMCP_NET_HTTP=1 uses Go's net/http server and client (HTTP/2) instead. It
paces its garbage collector for a small live heap (GOGC up to 400, at most
32 MB more heap than Go's default) unless the environment sets GOGC.

--read-only serves only tools that change nothing; --toolsets and --tools
choose tools by group or by name. Without them, tools/list shows the query,
records, metadata and limits toolsets and the salesforce_tools discovery tool,
which gives the definitions of the others (bulk, leads); every served tool is
callable by name. --toolsets all lists every tool.

Destructive tools (deletes, bulk delete and hard delete; with
--confirm-updates also updates and upserts) ask the user first when the
client can ask (elicitation, or input_required from MCP 2026-07-28): declined
changes nothing. A client that cannot ask runs them as before, unless
--confirm-destructive, which refuses them with a clear message.

--allow-objects limits the objects any tool may read or write, and
--deny-fields hides fields (PII) from every result, describes included.
Queries are checked before they are sent (objects named in FROM, subqueries,
semi-joins, TYPEOF and RETURNING, the objects relationship paths lead to, and
hidden fields anywhere, WHERE included), and results are filtered again.
--list-tools prints what would be served.

Operations: --metrics-addr serves Prometheus /metrics on its own listener;
OTEL_EXPORTER_OTLP_ENDPOINT (and the other standard OTEL_* variables) turns
on OpenTelemetry traces over OTLP/HTTP; --audit-log appends one JSON line per
tool call; --api-budget refuses calls once the org's daily API usage reaches
that percent of its limit; --rate-limit and --max-concurrent bound each
user's requests over HTTP (429 with Retry-After past them).`,
		Example: `  sfmcp serve --emulator
  sfmcp serve --list-tools --read-only
  sfmcp serve --transport http --port 8000 --toolsets query,metadata
  sfmcp serve config claude-code`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch opts.Transport {
			case "stdio", "http":
			default:
				return cmdutil.FlagErrorf("--transport %q: want stdio or http", opts.Transport)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Transport, "transport", "stdio", "How clients connect: `stdio` or http")
	fl.StringVar(&opts.Addr, "addr", "", "HTTP listen `host` or host:port (default MCP_HOST, else 127.0.0.1)")
	fl.IntVar(&opts.Port, "port", 0, "HTTP `port` (default PORT, FASTMCP_PORT or MCP_PORT, else 8000)")
	fl.BoolVar(&opts.ReadOnly, "read-only", false, "Serve only tools that change nothing in the org")
	fl.StringSliceVar(&opts.Toolsets, "toolsets", nil, "Serve only these `toolsets` (all: every toolset, all listed): "+strings.Join(mcpserver.KnownToolsets(), ","))
	fl.StringSliceVar(&opts.Tools, "tools", nil, "Serve only these `tools` by name")
	fl.BoolVar(&opts.ConfirmDestructive, "confirm-destructive", false, "Refuse destructive tools (deletes) when the client cannot ask its user to confirm")
	fl.BoolVar(&opts.ConfirmUpdates, "confirm-updates", false, "Also ask the user before tools that overwrite records (updates, upserts)")
	fl.StringSliceVar(&opts.AllowObjects, "allow-objects", nil, "Only these `objects` may be read or written by any tool (Account,Lead,...)")
	fl.StringSliceVar(&opts.DenyFields, "deny-fields", nil, "Hide these `fields` (Object.Field or Field) from every result, describe included, and refuse them in queries and writes")
	fl.BoolVar(&opts.ListTools, "list-tools", false, "Print the tools that would be served and exit")
	fl.BoolVar(&opts.JSON, "json", false, "With --list-tools: print the tool definitions as JSON")
	fl.StringSliceVar(&opts.AllowedHosts, "allowed-instance-hosts", splitEnv(envAllowedHosts), "Extra instance `hosts` (host[:port]) requests may name ("+envAllowedHosts+")")
	fl.StringSliceVar(&opts.CORSOrigins, "cors-origins", splitEnv(envCORSOrigins), "Browser `origins` allowed to call the HTTP server ("+envCORSOrigins+")")
	fl.StringVar(&opts.MetricsAddr, "metrics-addr", os.Getenv(envMetricsAddr), "Serve Prometheus metrics at http://`host:port`/metrics ("+envMetricsAddr+"; default off)")
	fl.Float64Var(&opts.RateLimit, "rate-limit", envFloat(envRateLimit), "HTTP: each user's sustained `requests` per second ("+envRateLimit+"; 0: unlimited)")
	fl.IntVar(&opts.RateBurst, "rate-burst", 0, "HTTP: `requests` a user may send at once above --rate-limit (default: the rate, at least 1)")
	fl.IntVar(&opts.MaxConcurrent, "max-concurrent", int(envFloat(envMaxConcurrent)), "HTTP: `requests` one user may have running at once ("+envMaxConcurrent+"; 0: unlimited)")

	cmd.AddCommand(newCmdConfig(f))
	return cmd
}

func splitEnv(name string) []string { return mcpserver.SplitList([]string{os.Getenv(name)}) }

// envFloat reads a number from the environment; a malformed one reads as 0
// and is caught by the flag check (a negative or unreadable value never
// silently means "unlimited": see checkLimits).
func envFloat(name string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(os.Getenv(name)), 64)
	if err != nil {
		if os.Getenv(name) != "" {
			return -1
		}
		return 0
	}
	return v
}

// tools returns the filtered tools of the catalogue.
func (o *Options) tools() ([]mcpserver.Tool, error) {
	all, err := mcpserver.Tools(ops.Catalogue())
	if err != nil {
		return nil, err
	}
	tools, err := mcpserver.Filter{ReadOnly: o.ReadOnly, Toolsets: mcpserver.SplitList(o.Toolsets), Tools: mcpserver.SplitList(o.Tools)}.Apply(all)
	if err != nil {
		return nil, cmdutil.FlagErrorWrap(err)
	}
	if len(tools) == 0 {
		return nil, cmdutil.FlagErrorf("no tool matches --read-only, --toolsets and --tools together")
	}
	return tools, nil
}

func (o *Options) guard() *ops.Guard {
	return &ops.Guard{AllowObjects: mcpserver.SplitList(o.AllowObjects), DenyFields: mcpserver.SplitList(o.DenyFields)}
}

func (o *Options) confirmPolicy() mcpserver.ConfirmPolicy {
	return mcpserver.ConfirmPolicy{Required: o.ConfirmDestructive, Updates: o.ConfirmUpdates}
}

// listToolsets are the toolsets tools/list shows: the default ones when the
// user chose no toolsets or tools (the rest are found with salesforce_tools),
// else every tool chosen.
func (o *Options) listToolsets() []string {
	if len(mcpserver.SplitList(o.Toolsets)) > 0 || len(mcpserver.SplitList(o.Tools)) > 0 {
		return nil
	}
	return mcpserver.DefaultListedToolsets()
}

func serveRun(ctx context.Context, opts *Options) error {
	tools, err := opts.tools()
	if err != nil {
		return err
	}
	if opts.ListTools {
		return listTools(opts, tools)
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	log := newLogger(opts.IO, cfg.LogLevel())
	if opts.RateLimit < 0 || opts.RateBurst < 0 || opts.MaxConcurrent < 0 {
		return cmdutil.FlagErrorf("--rate-limit, --rate-burst and --max-concurrent must be numbers of 0 or more (%s, %s)", envRateLimit, envMaxConcurrent)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tel, closeTel, err := startTelemetry(ctx, opts, cfg, log)
	if err != nil {
		return err
	}
	defer closeTel()
	if opts.Transport == "http" {
		return serveHTTP(ctx, opts, cfg, tools, tel, log)
	}
	// A stdio server is one process of this machine, like the CLI: lead
	// writes lock the same files.
	tasks := mcpserver.NewTasks()
	s := mcpserver.NewServer(mcpserver.Options{Version: opts.Version, Tools: tools, Client: onceClient(opts.Salesforce),
		Leads: leadSyncer(cfg, ops.FileLeadLocker{Dir: ops.LeadLockDir(cfg.Path())}), Logger: log, ListToolsets: opts.listToolsets(), Confirm: opts.confirmPolicy(), Guard: opts.guard(), Telemetry: tel,
		Tasks: tasks})
	log.Info("serving MCP over stdio", "tools", len(tools), "version", opts.Version)
	return mcpserver.ServeStdio(ctx, s, tasks, opts.IO.In, opts.IO.Out, log)
}

// leadSyncer is the process's one LeadSyncer: every lead tool call shares
// its per-email locks and converted-status cache; locker (nil: none)
// serializes lead writes beyond the process.
func leadSyncer(cfg *config.Config, locker ops.LeadLocker) *ops.LeadSyncer {
	return ops.NewLeadSyncer(ops.LeadSyncConfig{ConvertedStatus: cfg.LeadConvertedStatus(), NotConvertedStatus: cfg.LeadNotConvertedStatus(), Locker: locker})
}

// httpLeadLocker chooses how an HTTP server's lead writes are serialized:
// through Redis when a Redis URL is configured (replicas share it), else
// within the process alone.
func httpLeadLocker(ctx context.Context, cfg *config.Config, log *slog.Logger) (ops.LeadLocker, func(), error) {
	raw := cfg.String(config.KeyRedisURL)
	if raw == "" {
		return nil, func() {}, nil
	}
	rc, err := ops.NewRedisClient(ctx, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("lead locks: %w", err)
	}
	log.Info("lead writes are serialized by email through redis")
	return ops.RedisLeadLocker{Client: rc}, func() { _ = rc.Close() }, nil
}

// onceClient resolves the login on the first call and keeps the client; a
// failure is retried on the next call (the user may log in meanwhile).
func onceClient(get func(context.Context) (*salesforce.Client, error)) mcpserver.ClientFunc {
	var (
		mu sync.Mutex
		c  *salesforce.Client
	)
	return func(ctx context.Context) (*salesforce.Client, error) {
		mu.Lock()
		defer mu.Unlock()
		if c != nil {
			return c, nil
		}
		got, err := get(ctx)
		if err != nil {
			return nil, err
		}
		c = got
		return c, nil
	}
}

func newLogger(io *iostreams.IOStreams, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn", "warning":
		l = slog.LevelWarn
	case "error", "critical":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(io.ErrOut, &slog.HandlerOptions{Level: l}))
}

// listenAddr joins --addr / MCP_HOST and --port / PORT / FASTMCP_PORT / MCP_PORT.
func listenAddr(opts *Options, cfg *config.Config) (string, error) {
	host := opts.Addr
	if host == "" {
		host = cfg.String(config.KeyHost)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		return net.JoinHostPort(h, p), nil
	}
	port := opts.Port
	if port == 0 {
		if v := cfg.String(config.KeyPort); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return "", cmdutil.FlagErrorf("port %q: want a number from 0 to 65535", v)
			}
			port = n
		} else {
			port = DefaultPort
		}
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port)), nil
}

func serveHTTP(ctx context.Context, opts *Options, cfg *config.Config, tools []mcpserver.Tool, tel *telemetry.Telemetry, log *slog.Logger) error {
	if _, set := os.LookupEnv("GOGC"); !set {
		gcpace.Start(ctx, gcHeadroom, 100, gcMaxPercent)
	}
	mode, err := mcpserver.ParseAuthMode(cfg.String(config.KeyOAuthMode))
	if err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	addr, err := listenAddr(opts, cfg)
	if err != nil {
		return err
	}
	hc := serverHTTPClient()
	if opts.HTTPClient != nil {
		if hc, err = opts.HTTPClient(); err != nil {
			return err
		}
	}
	login := cfg.InstanceURL()
	if login == "" {
		login = cfg.LoginURL()
	}
	allowed := mcpserver.SplitList(opts.AllowedHosts)
	var emulatorClient *salesforce.Client
	if cfg.Emulator() {
		// The emulator org is the one to validate tokens at, and requests may name it.
		c, err := opts.Salesforce(ctx)
		if err != nil {
			return err
		}
		login = c.InstanceURL()
		emulatorClient = c
		allowed = append(allowed, strings.TrimPrefix(login, "http://"))
		log.Info("serving the local emulator org (not a real Salesforce org)", "instance", login)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	var proxy *oauth.Server
	if mode == mcpserver.AuthProxy {
		upstream := cfg.LoginURL()
		if cfg.Emulator() {
			upstream = login
		}
		maxClients := 0
		if v := strings.TrimSpace(os.Getenv(envMaxClients)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				ln.Close()
				return cmdutil.FlagErrorf("%s=%q: want a whole number of client registrations above 0", envMaxClients, v)
			}
			maxClients = n
		}
		p, closeStore, err := mcpserver.NewProxy(ctx, ln.Addr().String(), mcpserver.ProxyConfig{
			MaxClients: maxClients,
			BaseURL:    cfg.String(config.KeyBaseURL), StorageType: cfg.String(config.KeyOAuthStorageType),
			RedisURL: cfg.String(config.KeyRedisURL), EncryptionKey: cfg.String(config.KeyStorageEncryptionKey),
			LoginURL: upstream, ClientID: cfg.ClientID(), ClientSecret: cfg.ClientSecret(),
			Scopes: cfg.String(config.KeyOAuthRequiredScopes), RedirectSchemes: os.Getenv(envRedirectSchemes),
			Instances: mcpserver.InstancePolicy{Allowed: allowed}, HTTPClient: hc, Logger: log,
		})
		if err != nil {
			ln.Close()
			return err
		}
		defer closeStore()
		proxy = p
	}
	// The emulator's token changes every run and no command prints it, so a
	// bearer server on loopback lends the emulator's own login to the local
	// clients that send no token; a token, when sent, is still checked.
	var local *salesforce.Client
	if emulatorClient != nil && mode == mcpserver.AuthBearer {
		if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
			local = emulatorClient
			log.Info("clients on this machine that send no token use the emulator org's own login; "+
				"`sfmcp serve config <client> --transport http --emulator` prints a client's configuration", "url", "http://"+ln.Addr().String()+"/mcp")
		}
	}
	// Bearer replicas sharing a Redis share their token validations too: a
	// token one replica validated is not validated again by the next.
	var shared store.Store
	if mode == mcpserver.AuthBearer && cfg.String(config.KeyRedisURL) != "" {
		if shared, err = mcpserver.OpenSharedValidations(ctx, cfg.String(config.KeyRedisURL)); err != nil {
			ln.Close()
			return err
		}
		defer shared.Close()
		log.Info("bearer token validations are shared through redis")
	}
	locker, closeLocker, err := httpLeadLocker(ctx, cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeLocker()
	tasks, fast := mcpserver.NewTasks(), mcpserver.NewFastCalls()
	s := mcpserver.NewServer(mcpserver.Options{Version: opts.Version, Tools: tools, Client: mcpserver.ClientFromContext, ListToolsets: opts.listToolsets(),
		Confirm: opts.confirmPolicy(), Guard: opts.guard(), Leads: leadSyncer(cfg, locker), Logger: log, Telemetry: tel, Tasks: tasks, FastCalls: fast})
	var usage *salesforce.Usage
	if opts.APIUsage != nil {
		if usage, err = opts.APIUsage(); err != nil {
			ln.Close()
			return err
		}
	}
	h, err := mcpserver.HTTPHandler(s, ln.Addr().String(), mcpserver.HTTPOptions{
		Proxy: proxy, LocalClient: local, Tasks: tasks, FastCalls: fast,
		Mode: mode, BaseURL: cfg.String(config.KeyBaseURL), LoginURL: login,
		Instances:   mcpserver.InstancePolicy{Allowed: allowed},
		CORSOrigins: mcpserver.SplitList(opts.CORSOrigins),
		TokenURL:    cfg.TokenURL(), ClientID: cfg.ClientID(), ClientSecret: cfg.ClientSecret(),
		APIVersion: cfg.APIVersion(), UserAgent: "sfmcp/" + opts.Version, HTTPClient: hc, Logger: log,
		Telemetry: tel, Usage: usage, SharedValidations: shared,
		Limits: mcpserver.UserLimits{RequestsPerSecond: opts.RateLimit, Burst: opts.RateBurst, Concurrent: opts.MaxConcurrent},
	})
	if err != nil {
		ln.Close()
		return cmdutil.FlagErrorWrap(err)
	}
	log.Info("serving MCP over streamable HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "auth", string(mode), "tools", len(tools))
	return mcpserver.ServeHTTPWith(ctx, ln, h, mcpserver.ServeOptions{Grace: 10 * time.Second, Logger: log,
		NetHTTP: os.Getenv(envNetHTTP) == "1"})
}

// serverHTTPClient is the HTTP server's client to Salesforce. Many callers
// share one org's instance at once, so it keeps up to 256 idle connections
// per host: with the CLI's 16, a burst of concurrent calls closes and reopens
// connections on every call (1026 connections for 10 000 calls of 50 clients,
// BENCHMARKS.md). Response headers may take as long as a slow SOQL query.
//
// Requests go through h1.Transport, which sends them on the calling
// goroutine instead of net/http's per-connection goroutines (issue 16);
// SFMCP_NET_HTTP=1 keeps net/http's transport alone, should h1 misbehave.
func serverHTTPClient() *http.Client {
	t := salesforce.NewTransport()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.ResponseHeaderTimeout = 150 * time.Second
	if os.Getenv(envNetHTTP) == "1" {
		return salesforce.WithoutRedirects(&http.Client{Transport: t})
	}
	return salesforce.WithoutRedirects(&http.Client{Transport: h1.NewTransport(t)})
}

func listTools(opts *Options, tools []mcpserver.Tool) error {
	if opts.JSON {
		defs := make([]any, 0, len(tools))
		for _, t := range tools {
			defs = append(defs, t.Def)
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(defs)
	}
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	t := output.NewTable(opts.IO, "NAME", "TOOLSET", "READ-ONLY", "DESTRUCTIVE", "IDEMPOTENT", "TITLE")
	for _, tool := range tools {
		m := tool.Entry.Meta
		t.AddRow(m.Name, string(m.Toolset), yn(m.ReadOnly), yn(m.Destructive), yn(m.Idempotent), m.Title)
	}
	return t.Render()
}
