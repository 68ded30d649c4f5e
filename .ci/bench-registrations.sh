#!/usr/bin/env bash
# bench-registrations.sh — dynamic client registration under a flood, as the
# #17 attack ran it: ATTEMPTS POSTs to the OAuth proxy's /register, each
# from its own loopback address (127.1.x.y), so the per-address limit never
# applies and only the deployment-wide cap (SFMCP_OAUTH_MAX_CLIENTS, default
# 10,000) can stop them. Prints how many were registered and refused (by
# status), the time taken, whether a refusal carries Retry-After, and the
# server's RSS before and after (VmRSS, peak VmHWM). Memory storage.
# Needs go, curl and awk; Linux (any 127/8 source address binds). Figures go
# in BENCHMARKS.md.
#
#   nice -n 10 .ci/bench-registrations.sh              # 12,000 attempts
#   ATTEMPTS=5000 PAR=8 .ci/bench-registrations.sh
#   SFMCP=./old-sfmcp .ci/bench-registrations.sh      # an already built binary
set -euo pipefail
cd "$(dirname "$0")/.."

ATTEMPTS=${ATTEMPTS:-12000}
PAR=${PAR:-4}
work=$(mktemp -d)
trap 'kill "${srv_pid:-}" "${em_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

for tool in curl awk; do
	command -v "$tool" >/dev/null || { echo "bench-registrations: $tool is needed" >&2; exit 1; }
done

bin=${SFMCP:-}
if [ -z "$bin" ]; then
	bin=$work/sfmcp
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bin" ./cmd/sfmcp
fi
now() { date +%s.%N; }
mem() {
	awk -v what="$1" '/^VmHWM:|^VmRSS:/ { v[$1] = $2 } END {
		printf "%s: server RSS %.1f MB, peak (VmHWM) %.1f MB\n", what, v["VmRSS:"] / 1024, v["VmHWM:"] / 1024 }' "/proc/$srv_pid/status"
}

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" emulator --no-sample-data >"$work/emulator.json" 2>"$work/emulator.log" &
em_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.json" ] && break; sleep 0.1; done
login=$(sed -n 's/.*"login_url":"\([^"]*\)".*/\1/p' "$work/emulator.json")
client=$(sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p' "$work/emulator.json")

port=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 20000) }')
base=http://127.0.0.1:$port
OAUTH_MODE=proxy BASE_URL=$base SALESFORCE_LOGIN_URL=$login SALESFORCE_CLIENT_ID=$client \
	"$bin" serve --transport http --port "$port" 2>"$work/serve.log" &
srv_pid=$!
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
mem "start"

body='{"redirect_uris":["http://127.0.0.1:33418/callback"],"token_endpoint_auth_method":"none","client_name":"flood"}'
# The flood client: one connection per request, each from its own address
# (a curl process per request is too slow to flood with).
mkdir "$work/flood"
cat >"$work/flood/main.go" <<'GO'
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	par, _ := strconv.Atoi(os.Args[3])
	url, body := os.Args[1]+"/register", os.Args[4]
	codes := map[string]int{}
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ip := net.IPv4(127, 1, byte(i/250), byte(i%250+1))
				d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
				c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
				code := "error"
				if resp, err := c.Post(url, "application/json", strings.NewReader(body)); err == nil {
					code = strconv.Itoa(resp.StatusCode)
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  HTTP %s: %d\n", k, codes[k])
	}
}
GO
(cd "$work/flood" && GOFLAGS=-mod=mod go mod init flood >/dev/null 2>&1 && go build -o flood .)
t0=$(now)
"$work/flood/flood" "$base" "$ATTEMPTS" "$PAR" "$body" >"$work/codes"
t1=$(now)
awk -v a="$t0" -v b="$t1" -v n="$ATTEMPTS" 'BEGIN { printf "%d attempts in %.1f s\n", n, b - a }'
cat "$work/codes"
# Every attempt must have had an answer: connection failures would make the
# figures about the client, not the server.
if grep -q 'HTTP error' "$work/codes"; then
	echo "bench-registrations: some requests got no answer (see above); the run is not valid" >&2
	exit 1
fi
mem "after"
echo "== one more, from a fresh address:"
curl -s -D - -o /dev/null --interface 127.2.0.1 -H "Content-Type: application/json" -d "$body" "$base/register" |
	grep -iE '^(HTTP|Retry-After)' | tr -d '\r' | sed 's/^/  /'
