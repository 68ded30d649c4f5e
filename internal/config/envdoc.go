package config

import (
	"fmt"
	"strings"
)

// EnvVar documents environment variables that do one thing: the names, first
// set wins, and what they do. `sfmcp help environment` prints them.
type EnvVar struct {
	Names []string
	Doc   string
}

// Environment returns every environment variable the sfmcp binary reads, in
// the order `sfmcp help environment` lists them. The settings' names come
// from the same table Load binds, so the two cannot drift; a test in
// internal/docs scans the sources and fails on a variable missing here.
func Environment() []EnvVar {
	setting := func(key, doc string) EnvVar { return EnvVar{Names: EnvNames(key), Doc: doc} }
	one := func(name, doc string) EnvVar { return EnvVar{Names: []string{name}, Doc: doc} }
	return []EnvVar{
		// Which org, and how to reach it.
		setting(KeyOrg, "The login alias to use, as -o/--target-org (default: the org chosen with `sfmcp org use`)."),
		setting(KeyEmulator, "true: use the local emulator org, as --emulator."),
		setting(KeyAccessToken, "An access token to use instead of a stored login (with the instance URL). Secret: never in the config file."),
		setting(KeyInstanceURL, "The org's instance URL, e.g. https://mydomain.my.salesforce.com; with the access token it selects an org without logging in."),
		setting(KeyRefreshToken, "A refresh token that renews the environment's access token when it expires. Secret."),
		setting(KeyAPIVersion, "The API version, as --api-version (default: the org's newest, found once per login and cached for a day; a version the org does not serve is refused, naming those it does)."),
		setting(KeyLoginURL, "Where `sfmcp login` and serve's proxy mode log in (default "+DefaultLoginURL+"; https://test.salesforce.com for sandboxes)."),
		setting(KeyTokenURL, "The OAuth token endpoint, when it is not the login URL's /services/oauth2/token."),
		setting(KeyClientID, "The Connected App's consumer key for `sfmcp login` and serve's proxy mode."),
		setting(KeyClientSecret, "The Connected App's consumer secret (client-credentials logins, a confidential proxy client). Secret."),
		setting(KeyUserID, "The user id that goes with an environment access token (headers and bearer modes)."),
		setting(KeyOrgID, "The org id that goes with an environment access token."),
		setting(KeyUsername, "The username that goes with an environment access token."),
		// Output.
		setting(KeyQuiet, "true: print only results and errors, as -q/--quiet."),
		setting(KeyVerbose, "true: log each HTTP request on stderr, as -v/--verbose."),
		setting(KeyLogLevel, "The server's log level: debug, info, warning or error (default info)."),
		setting(KeyAuditLog, "Append one JSON line per tool call and CLI write to this file (- for stderr), as --audit-log."),
		setting(KeyAPIBudget, "Refuse calls once the org's daily API use reaches this percent of its limit, as --api-budget."),
		// Leads.
		setting(KeyLeadConvertedStatus, "The Lead.Status a conversion sets (default: the org's converted status)."),
		setting(KeyLeadNotConvertedStatus, "The Lead.Status `objected` sets (default \"Closed - Not Converted\")."),
		// serve.
		setting(KeyOAuthMode, "How `serve --transport http` authenticates callers: bearer (default), headers or proxy."),
		setting(KeyBaseURL, "The public URL of the HTTP server (proxy mode's issuer and callback)."),
		setting(KeyHost, "The HTTP server's listen host (default 127.0.0.1)."),
		setting(KeyPort, "The HTTP server's port (default 8000)."),
		setting(KeyOAuthRequiredScopes, "Proxy mode: the scopes asked of Salesforce."),
		setting(KeyOAuthStorageType, "Proxy mode: where its state lives, memory (default) or redis."),
		setting(KeyRedisURL, "Proxy mode: the Redis URL, e.g. redis://127.0.0.1:6379/0."),
		setting(KeyStorageEncryptionKey, "Proxy mode: the key that encrypts stored tokens. Secret."),
		one("SFMCP_ALLOWED_INSTANCE_HOSTS", "Extra instance hosts (host[:port], comma-separated) a request may name, beside Salesforce's domains."),
		one("SFMCP_CORS_ORIGINS", "Browser origins (comma-separated) allowed to call the HTTP server."),
		one("SFMCP_OAUTH_REDIRECT_SCHEMES", "Proxy mode: the private-use redirect URI schemes clients may register (default vscode, cursor, vscode-webview, claude)."),
		one("SFMCP_OAUTH_MAX_CLIENTS", "Proxy mode: the live client registrations allowed in all (default 10000)."),
		one("SFMCP_METRICS_ADDR", "serve: serve Prometheus metrics at http://host:port/metrics, as --metrics-addr (default off)."),
		one("SFMCP_RATE_LIMIT", "serve over HTTP: each user's requests per second, as --rate-limit."),
		one("SFMCP_MAX_CONCURRENT", "serve over HTTP: each user's requests at once, as --max-concurrent."),
		one("SFMCP_NET_HTTP", "serve over HTTP: 1 reads requests with Go's net/http server and calls Salesforce with its client (HTTP/2), instead of sfmcp's HTTP/1.1 server and client."),
		one("GOGC", "serve over HTTP: the garbage collector's target (Go's own variable); unset, serve paces it for a small live heap (up to 400, at most 32 MB more heap than Go's default 100): less CPU a call."),
		// Files and programs.
		one("SFMCP_CONFIG", "The config file (default $XDG_CONFIG_HOME/sfmcp/config.yaml)."),
		one("SFMCP_EMULATOR_DATA", "The --emulator org's data file (default sfmcp/emulator.db under the user data directory)."),
		one("XDG_CONFIG_HOME", "Where the config file lives (default ~/.config)."),
		one("XDG_CACHE_HOME", "Where each login's cached API versions and object names live (default ~/.cache)."),
		one("XDG_DATA_HOME", "Where the emulator's data file lives (default ~/.local/share)."),
		one("LocalAppData", "Windows: where the emulator's data file lives when XDG_DATA_HOME is unset."),
		one("HOME", "The home directory the defaults above start from."),
		one("PATH", "Where `sfmcp login --from-sf` looks for the sf CLI."),
		one("BROWSER", "The program `sfmcp login` opens the login page with (default: the system's)."),
		one("NO_COLOR", "Set to anything: no colour in the output."),
		one("TERM", "dumb: no colour."),
		one("COLUMNS", "The width of tables when the terminal does not say."),
		// Tests.
		one("SFMCP_RETRY_BASE_DELAY", "The first retry's backoff, a Go duration (for tests; default 500ms)."),
		one("SFMCP_BULK_POLL", "The first Bulk API poll interval, a Go duration (for tests)."),
		// Tracing.
		one("OTEL_EXPORTER_OTLP_ENDPOINT", "Send OpenTelemetry traces over OTLP/HTTP to this endpoint (tracing is off unless it or the next is set)."),
		one("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "The same, for traces only."),
		one("OTEL_TRACES_EXPORTER", "none: no traces; otlp (the default when an endpoint is set)."),
		one("OTEL_SDK_DISABLED", "true: no traces."),
		one("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf (the default); grpc is refused: sfmcp exports over HTTP."),
		one("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "The same, for traces only."),
		one("OTEL_SERVICE_NAME", "The service name on traces (default sfmcp)."),
		one("OTEL_RESOURCE_ATTRIBUTES", "Extra resource attributes on traces (key=value,...). The exporter's other standard OTEL_EXPORTER_OTLP_* variables (headers, timeout, ...) apply too."),
	}
}

// EnvironmentHelp renders Environment for a help page: each variable's names
// on one line, what it does indented and wrapped below.
func EnvironmentHelp() string {
	var b strings.Builder
	for i, e := range Environment() {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s\n", strings.Join(e.Names, ", "))
		line := 0
		for _, w := range strings.Fields(e.Doc) {
			if line > 0 && line+1+len(w) > 76 {
				b.WriteByte('\n')
				line = 0
			}
			if line == 0 {
				b.WriteString("    ")
				line = 4
			} else {
				b.WriteByte(' ')
				line++
			}
			b.WriteString(w)
			line += len(w)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
