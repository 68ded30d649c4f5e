#!/usr/bin/env bash
# bench-bulk.sh — `sfmcp bulk insert` of a ROWS-row CSV and `sfmcp bulk query`
# export of the same rows against the emulator, with sfmcp's peak RSS
# (/usr/bin/time -v), and the export beside curl doing the same Bulk calls
# (create the query job, poll it at the same pace, download every results
# page following Sforce-Locator). Needs hyperfine, curl, jq and GNU time.
# Figures and the machine they came from go in BENCHMARKS.md.
#
#   .ci/bench-bulk.sh                 # 1,000,000 rows
#   ROWS=200000 RUNS=3 .ci/bench-bulk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
work=$(mktemp -d)
bin=$work/sfmcp
trap 'kill "${em_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

for tool in hyperfine curl jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench-bulk: $tool is needed" >&2; exit 1; }
done

CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bin" ./cmd/sfmcp

echo "== emulator (empty org, file-backed)"
"$bin" emulator --no-sample-data --data "$work/org.db" >"$work/emulator.json" 2>"$work/emulator.log" &
em_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.json" ] && break; sleep 0.1; done
url=$(jq -r .instance_url "$work/emulator.json")
token=$(jq -r .access_token "$work/emulator.json")
version=$(jq -r .api_version "$work/emulator.json")
export SALESFORCE_ACCESS_TOKEN=$token SALESFORCE_INSTANCE_URL=$url SFMCP_API_VERSION=$version

echo "== $ROWS-row CSV"
awk -v n="$ROWS" 'BEGIN {
	print "Name,Industry,NumberOfEmployees,Phone,Website,Description"
	for (i = 0; i < n; i++)
		printf "\"Bench Account %d\",Energy,%d,+1 555 0100,https://example.com/%d,\"Row %d, with a comma\"\n", i, i % 5000, i, i
}' >"$work/accounts.csv"
ls -l "$work/accounts.csv" | awk '{printf "%.1f MB\n", $5 / 1048576}'

echo "== sfmcp bulk insert (once; the emulator inserts at its own pace)"
/usr/bin/time -v "$bin" bulk insert Account --file "$work/accounts.csv" 2>"$work/insert.time" >/dev/null || { cat "$work/insert.time"; exit 1; }
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$work/insert.time"
grep -E 'successful|failed|unprocessed|accounted' "$work/insert.time" || true
# Count the rows before timing anything: a short load must not be reported as a fast one.
count=$("$bin" query "SELECT COUNT() FROM Account" | tail -n 1)
[ "$count" = "$ROWS" ] || { echo "error: the org has $count Accounts after inserting $ROWS; not timing" >&2; exit 1; }

soql='SELECT Id, Name, Industry, NumberOfEmployees, Phone, Website, Description FROM Account'

# curl: the same calls sfmcp makes, at the same polling pace (200 ms doubling to 5 s).
api="$url/services/data/v$version"
cat >"$work/curl-export.sh" <<CURL
#!/usr/bin/env bash
set -euo pipefail
auth='Authorization: Bearer $token'
job=\$(jq -cn --arg q "$soql" '{operation: "query", query: \$q}' |
	curl -sf -H "\$auth" -H 'Content-Type: application/json' --data-binary @- '$api/jobs/query' | jq -r .id)
wait=0.2
until [ "\$(curl -sf -H "\$auth" "$api/jobs/query/\$job" | jq -r .state)" = JobComplete ]; do
	sleep "\$wait"; wait=\$(awk -v w="\$wait" 'BEGIN { w *= 2; print (w > 5 ? 5 : w) }')
done
loc=
while :; do
	curl -sf -H "\$auth" -D "\$0.h" "$api/jobs/query/\$job/results\${loc:+?locator=\$loc}"
	loc=\$(tr -d '\r' <"\$0.h" | awk 'tolower(\$1) == "sforce-locator:" { print \$2 }')
	[ -z "\$loc" ] || [ "\$loc" = null ] && break
done
CURL
chmod +x "$work/curl-export.sh"

lines=$("$bin" bulk query "$soql" | wc -l)
echo "sfmcp bulk query printed $lines lines (header + $ROWS expected; values with newlines would add more)"
# curl's output repeats the header on every page; count the rows.
curl_rows=$("$work/curl-export.sh" | grep -vc '^"Id",')
[ "$curl_rows" = "$ROWS" ] || { echo "error: curl fetched $curl_rows rows, not $ROWS; not timing" >&2; exit 1; }
[ "$lines" -ge $((ROWS + 1)) ] || { echo "error: sfmcp bulk query printed $lines lines for $ROWS rows; not timing" >&2; exit 1; }

echo "== export of $ROWS rows: sfmcp bulk query vs curl (job, polling, every page)"
hyperfine --warmup 1 --runs "$RUNS" \
	-n "sfmcp bulk query" "$bin bulk query \"$soql\" >/dev/null" \
	-n curl "$work/curl-export.sh >/dev/null" --export-json "$work/export.json" >/dev/null
jq -r '.results[] | "\(.command): median \(.median | .*1000 | round / 1000) s (min \(.min | .*1000 | round / 1000), max \(.max | .*1000 | round / 1000))"' "$work/export.json"
jq -r '(.results[0].median / .results[1].median) | "ratio sfmcp/curl: \(.*100 | round / 100)"' "$work/export.json"

echo "== peak RSS of sfmcp bulk query"
/usr/bin/time -v "$bin" bulk query "$soql" 2>"$work/query.time" >/dev/null
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$work/query.time"
