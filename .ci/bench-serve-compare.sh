#!/usr/bin/env bash
# bench-serve-compare.sh — serve's CPU per call (issue 16) in several
# revisions, alternated so that each round sees the same machine load:
# BenchmarkServeHTTPQueryFixedUpstream at 1, 8 and 50 connections, one run
# per revision per round. Each revision is a git archive in a temporary
# directory with this checkout's internal/e2e/mcp_bench_test.go copied in,
# its own test binary, and its own sfmcp built by that binary.
#
#   .ci/bench-serve-compare.sh 40b489b badb7b4 HEAD
#   ROUNDS=5 BENCH_TLS=h2 .ci/bench-serve-compare.sh 40b489b HEAD
#   .ci/bench-serve-compare.sh HEAD HEAD:BENCH_SERVE_GOGC=100   # a variant: rev:VAR=value
#
# Prints one line per revision, round and connection count: CPU µs a call,
# calls/s, the added p50 latency, peak RSS and errors.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
ROUNDS=${ROUNDS:-3}
[ $# -gt 0 ] || { echo "usage: $0 REV[:VAR=value] ..." >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

names=() dirs=() envs=()
for spec in "$@"; do
	rev=${spec%%:*}
	env=""
	[ "$rev" != "$spec" ] && env=${spec#*:}
	sha=$(git rev-parse --short "$rev^{commit}")
	dir=$work/$sha
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		git archive "$sha" | tar -x -C "$dir"
		cp internal/e2e/mcp_bench_test.go "$dir/internal/e2e/"
		(cd "$dir/internal/e2e" && "$GO" test -c -o "$dir/e2e.test" .)
	fi
	names+=("$sha${env:+:$env}") dirs+=("$dir") envs+=("$env")
done

for ((r = 1; r <= ROUNDS; r++)); do
	echo "round $r, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	for i in "${!names[@]}"; do
		(cd "${dirs[$i]}/internal/e2e" && env ${envs[$i]} nice -n 10 "${dirs[$i]}/e2e.test" -test.run '^$' \
			-test.bench 'BenchmarkServeHTTPQueryFixedUpstream' -test.benchtime 1x 2>&1) |
			awk -v n="${names[$i]}" '/^BenchmarkServeHTTPQueryFixedUpstream\/clients=/ {
				c = $1; sub(/.*clients=/, "", c); sub(/-[0-9]+$/, "", c)
				for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
				printf "%-24s conns=%-3s cpu-us/call=%-7s calls/s=%-7s added-p50-ms=%-7s peak-RSS-MB=%-6s errors=%s\n",
					n, c, m["serve-cpu-us/call"], m["mcp-calls/s"], m["added-p50-ms"], m["serve-peak-RSS-MB"], m["errors"]
			}'
	done
done
