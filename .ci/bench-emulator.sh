#!/usr/bin/env bash
# bench-emulator.sh — the emulator's own speed and memory at scale, end to end
# over HTTP with curl (no sfmcp client code involved):
#
#   1. Bulk 2.0 ingest: ROWS Accounts as one CSV upload; time from the first
#      byte of the upload to the job's JobComplete state (rows/s).
#   2. REST query of every row, 2,000 a page, following nextRecordsUrl.
#   3. Bulk 2.0 query of every row: job, polling, every results page.
#
# After each phase it prints the emulator process's peak resident set size
# (VmHWM in /proc/PID/status) and its RSS at that moment (VmRSS). The org is
# file-backed (--data), as a user holding a million rows would run it.
# Needs curl, jq and awk. Figures go in BENCHMARKS.md.
#
#   nice -n 10 .ci/bench-emulator.sh                 # 1,000,000 rows
#   ROWS=200000 nice -n 10 .ci/bench-emulator.sh
#   SFMCP=./sfmcp .ci/bench-emulator.sh             # an already built binary
#   REST=0 .ci/bench-emulator.sh                    # skip phase 2, so that the
#                                                   # peak RSS after phase 3 is its own
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
work=$(mktemp -d)
trap 'kill "${em_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

for tool in curl jq awk; do
	command -v "$tool" >/dev/null || { echo "bench-emulator: $tool is needed" >&2; exit 1; }
done

bin=${SFMCP:-}
if [ -z "$bin" ]; then
	bin=$work/sfmcp
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bin" ./cmd/sfmcp
fi

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mem() {
	# CPU: the emulator's user+system time so far (fields 14 and 15 of
	# /proc/PID/stat, in clock ticks), so each phase's CPU cost can be read
	# apart from the wall time other processes stretch.
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$em_pid/stat")
	awk -v what="$1" -v cpu="$cpu" '/^VmHWM:|^VmRSS:/ { v[$1] = $2 } END {
		printf "%s: emulator peak RSS (VmHWM) %.1f MB, RSS now %.1f MB, CPU so far %s s\n", what, v["VmHWM:"] / 1024, v["VmRSS:"] / 1024, cpu }' "/proc/$em_pid/status"
}

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== emulator (empty org, file-backed)"
"$bin" emulator --no-sample-data --data "$work/org.db" >"$work/emulator.json" 2>"$work/emulator.log" &
em_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.json" ] && break; sleep 0.1; done
url=$(jq -r .instance_url "$work/emulator.json")
token=$(jq -r .access_token "$work/emulator.json")
version=$(jq -r .api_version "$work/emulator.json")
api="$url/services/data/v$version"
auth="Authorization: Bearer $token"
mem "start"

echo "== $ROWS-row CSV"
awk -v n="$ROWS" 'BEGIN {
	print "Name,Industry,NumberOfEmployees,Phone,Website,Description"
	for (i = 0; i < n; i++)
		printf "\"Bench Account %d\",Energy,%d,+1 555 0100,https://example.com/%d,\"Row %d, with a comma\"\n", i, i % 5000, i, i
}' >"$work/accounts.csv"
ls -l "$work/accounts.csv" | awk '{printf "%.1f MB\n", $5 / 1048576}'

echo "== 1. Bulk 2.0 ingest (upload -> JobComplete)"
job=$(curl -sf -H "$auth" -H 'Content-Type: application/json' \
	-d '{"object":"Account","operation":"insert","contentType":"CSV","lineEnding":"LF"}' "$api/jobs/ingest" | jq -r .id)
t0=$(now)
curl -sf -H "$auth" -H 'Content-Type: text/csv' -X PUT --data-binary @"$work/accounts.csv" "$api/jobs/ingest/$job/batches" >/dev/null
curl -sf -H "$auth" -H 'Content-Type: application/json' -X PATCH -d '{"state":"UploadComplete"}' "$api/jobs/ingest/$job" >/dev/null
t1=$(now)
while :; do
	info=$(curl -sf -H "$auth" "$api/jobs/ingest/$job")
	state=$(jq -r .state <<<"$info")
	case $state in JobComplete | Failed | Aborted) break ;; esac
	sleep 0.05
done
t2=$(now)
processed=$(jq -r .numberRecordsProcessed <<<"$info")
failed=$(jq -r .numberRecordsFailed <<<"$info")
[ "$state" = JobComplete ] && [ "$processed" = "$ROWS" ] && [ "$failed" = 0 ] ||
	{ echo "error: ingest ended $state with $processed processed, $failed failed: $info" >&2; exit 1; }
echo "upload $(secs "$t0" "$t1") s, upload -> JobComplete $(secs "$t0" "$t2") s: $(awk -v n="$ROWS" -v a="$t0" -v b="$t2" 'BEGIN { printf "%.0f", n / (b - a) }') rows/s"
mem "after ingest"
count=$(curl -sf -H "$auth" -G --data-urlencode 'q=SELECT COUNT() FROM Account' "$api/query" | jq -r .totalSize)
[ "$count" = "$ROWS" ] || { echo "error: the org has $count Accounts after inserting $ROWS" >&2; exit 1; }

soql='SELECT Id, Name, Industry, NumberOfEmployees, Phone, Website, Description FROM Account'

if [ "${REST:-1}" = 0 ]; then
	echo "== 2. REST query skipped (REST=0)"
else
echo "== 2. REST query, every page"
t0=$(now)
got=0
pages=0
page=$(curl -sf -H "$auth" -G --data-urlencode "q=$soql" "$api/query")
while :; do
	got=$((got + $(jq '.records | length' <<<"$page")))
	pages=$((pages + 1))
	next=$(jq -r '.nextRecordsUrl // empty' <<<"$page")
	[ -n "$next" ] || break
	page=$(curl -sf -H "$auth" "$url$next")
done
t1=$(now)
[ "$got" = "$ROWS" ] || { echo "error: REST query returned $got rows, not $ROWS" >&2; exit 1; }
echo "$pages pages, $got rows in $(secs "$t0" "$t1") s"
mem "after REST query"
fi

echo "== 3. Bulk 2.0 query, every results page"
t0=$(now)
qjob=$(jq -cn --arg q "$soql" '{operation: "query", query: $q}' |
	curl -sf -H "$auth" -H 'Content-Type: application/json' --data-binary @- "$api/jobs/query" | jq -r .id)
until [ "$(curl -sf -H "$auth" "$api/jobs/query/$qjob" | jq -r .state)" = JobComplete ]; do sleep 0.2; done
loc=
rows=0
while :; do
	n=$(curl -sf -H "$auth" -D "$work/h" "$api/jobs/query/$qjob/results${loc:+?locator=$loc}" | grep -vc '^"Id",' || true)
	rows=$((rows + n))
	loc=$(tr -d '\r' <"$work/h" | awk 'tolower($1) == "sforce-locator:" { print $2 }')
	[ -z "$loc" ] || [ "$loc" = null ] && break
done
t1=$(now)
[ "$rows" = "$ROWS" ] || { echo "error: Bulk query returned $rows rows, not $ROWS" >&2; exit 1; }
echo "$rows rows in $(secs "$t0" "$t1") s"
mem "after Bulk query"
echo "database file: $(du -m "$work/org.db" | cut -f1) MB (+ WAL $(du -m "$work/org.db-wal" 2>/dev/null | cut -f1 || echo 0) MB)"
