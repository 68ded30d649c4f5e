#!/usr/bin/env bash
# Slow request bodies against `sfmcp serve --transport http` in OAuth proxy
# mode (issue 17): CONNS connections (default 3000) spread over 30 loopback
# source addresses, each sending POST headers to /mcp, /token, /register or
# /authorize/consent and then 1 body byte every 2 s, for HOLD (default 70 s)
# after the last one opened. LENGTH (default 1000) is the Content-Length each
# request declares; LENGTH=1048576 shows what a large declared length costs. Prints the server's VmRSS/VmHWM (from /proc)
# every 5 s, how many connections it still holds, and how it ended the others.
#
#   .ci/bench-slowloris.sh            # the working tree
#   .ci/bench-slowloris.sh 5e2b896    # a revision (built in a temporary worktree)
#
# A benchmark, not a test (make bench-slowloris; not part of make test). It
# runs the load generator under nice; the machine's load is printed before
# and after. Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:-}
CONNS=${CONNS:-3000}
HOLD=${HOLD:-70s}
LENGTH=${LENGTH:-1000} # the Content-Length each request declares
GO=${GO:-go}
work=$(mktemp -d)
server=
cleanup() {
	if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	if [[ -n "$REV" && -d "$work/src" ]]; then git worktree remove --force "$work/src" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

src=.
if [[ -n "$REV" ]]; then
	git worktree add --detach "$work/src" "$REV" >/dev/null 2>&1
	src="$work/src"
fi
(cd "$src" && CGO_ENABLED=0 "$GO" build -o "$work/sfmcp" ./cmd/sfmcp)
"$GO" build -o "$work/slowloris" ./scripts/bench-slowloris
echo "server: $(cd "$src" && git rev-parse --short HEAD)$([[ -z "$REV" && -n "$(git status --porcelain)" ]] && echo ' (+ uncommitted changes)')"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/home"
env -i PATH="$PATH" HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data" \
	OAUTH_MODE=proxy BASE_URL="http://127.0.0.1:$port" SALESFORCE_CLIENT_ID=bench-client LOG_LEVEL=error \
	"$work/sfmcp" serve --transport http --emulator --port "$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/serve.log"; exit 1; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
nice -n 10 "$work/slowloris" -target "http://127.0.0.1:$port" -pid "$server" -conns "$CONNS" -hold "$HOLD" -length "$LENGTH"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Still serving?
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
echo "healthz after the load: $code"
