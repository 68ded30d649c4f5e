#!/usr/bin/env bash
# bench-serve.sh — what `sfmcp serve --transport http` costs per call (issue
# 16): one one-row salesforce_query as a JSON-RPC tools/call POST, bearer
# token validated once, against a constant-time upstream in the benchmark's
# process (BenchmarkServeHTTPQueryFixedUpstream in internal/e2e). For 50, 8
# and 1 concurrent connections it prints serve's own CPU per call (utime +
# stime from /proc ÷ calls), calls/s, the added p50/p99 latency (via sfmcp
# minus direct to the upstream) and serve's peak RSS: the median of COUNT
# runs, each beside the figure in .ci/bench-serve.baseline.
#
#   .ci/bench-serve.sh              # COUNT=3; part of make bench
#   UPDATE=1 .ci/bench-serve.sh     # and make this run the baseline
#   PROFILE=cpu.out .ci/bench-serve.sh   # also a CPU profile of one call in process
#   BENCH_SERVE_GOGC=300 .ci/bench-serve.sh   # serve's GOGC (or BENCH_SERVE_GOMEMLIMIT) alone
#   BENCH_TLS=h2 .ci/bench-serve.sh  # the upstream over TLS with HTTP/2, as Salesforce answers (h1: TLS, HTTP/1.1)
#
# Run it niced on a shared machine and note the load average it prints:
# the CPU figures move little with load, latency and calls/s a lot.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-3}
baseline=.ci/bench-serve.baseline
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
nice -n 10 "$GO" test -run '^$' -bench 'BenchmarkServeHTTPQueryFixedUpstream' -benchtime 1x -count "$COUNT" ./internal/e2e/ | tee "$out" >&2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# One line per connection count: the median of each metric over the runs.
summary=$(awk '
/^BenchmarkServeHTTPQueryFixedUpstream\/clients=/ {
	split($1, a, "="); c = a[2]; sub(/-[0-9]+$/, "", c)
	n[c]++
	for (i = 3; i < NF; i += 2) v[c, $(i+1), n[c]] = $i
	cs[c] = 1
}
function med(c, k,   m, i, j, t, x) {
	m = n[c]
	for (i = 1; i <= m; i++) x[i] = v[c, k, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
	return x[int((m + 1) / 2)]
}
END {
	for (c in cs) printf "%s %.1f %.0f %.3f %.3f %.1f %.0f\n", c, med(c, "serve-cpu-us/call"), med(c, "mcp-calls/s"), med(c, "added-p50-ms"), med(c, "added-p99-ms"), med(c, "serve-peak-RSS-MB"), med(c, "errors")
}' "$out" | sort -n)

printf '\n%-12s %-22s %-22s %-22s %-22s %-20s %s\n' connections "CPU µs/call (base)" "calls/s (base)" "added p50 ms (base)" "added p99 ms (base)" "peak RSS MB (base)" errors
while read -r c cpu cps p50 p99 rss errs; do
	read -r _ bcpu bcps bp50 bp99 brss _ < <(grep "^$c " "$baseline" 2>/dev/null || echo "$c - - - - - -")
	printf '%-12s %-22s %-22s %-22s %-22s %-20s %s\n' "$c" "$cpu ($bcpu)" "$cps ($bcps)" "$p50 ($bp50)" "$p99 ($bp99)" "$rss ($brss)" "$errs"
done <<<"$summary"

if [ -n "${UPDATE:-}" ]; then
	{ echo "# connections cpu-us/call calls/s added-p50-ms added-p99-ms peak-RSS-MB errors ($(git rev-parse --short HEAD), $(date -u +%F), load $(cut -d' ' -f1 /proc/loadavg))"; echo "$summary"; } >"$baseline"
	echo "baseline written to $baseline"
fi

if [ -n "${PROFILE:-}" ]; then
	nice -n 10 "$GO" test -run '^$' -bench BenchmarkHTTPQueryCall -benchtime 3s -benchmem -cpuprofile "$PROFILE" -o "$PROFILE.test" ./internal/mcpserver/ >&2
	"$GO" tool pprof -top -cum -nodecount 40 "$PROFILE.test" "$PROFILE" 2>/dev/null | sed -n '1,50p'
fi
