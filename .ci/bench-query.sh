#!/usr/bin/env bash
# bench-query.sh — sfmcp's start-up time, and `sfmcp query --csv` of 100,000
# Accounts (50 pages of 2000) beside curl fetching the same 50 pages, with
# sfmcp's peak RSS. Needs hyperfine, curl, jq and GNU time (/usr/bin/time).
# Figures and the machine they came from go in BENCHMARKS.md.
#
#   .ci/bench-query.sh            # builds bin/sfmcp-bench, runs everything
#   RECORDS=20000 .ci/bench-query.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS=${RECORDS:-100000}
RUNS=${RUNS:-10}
work=$(mktemp -d)
bin=$work/sfmcp
trap 'kill "${em_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

for tool in hyperfine curl jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench-query: $tool is needed" >&2; exit 1; }
done

CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bin" ./cmd/sfmcp

echo "== start-up: sfmcp --version"
hyperfine --warmup 10 --runs 200 -N "$bin --version" --export-json "$work/startup.json" >/dev/null
jq -r '.results[0] | "median \(.median*1000 | .*100 | round / 100) ms, mean \(.mean*1000 | .*100 | round / 100) ms ± \(.stddev*1000 | .*100 | round / 100) ms over \(.times | length) runs"' "$work/startup.json"

echo "== emulator with $RECORDS Accounts"
"$bin" emulator --no-sample-data --data "$work/org.db" >"$work/emulator.json" 2>"$work/emulator.log" &
em_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.json" ] && break; sleep 0.1; done
url=$(jq -r .instance_url "$work/emulator.json")
token=$(jq -r .access_token "$work/emulator.json")
api="$url/services/data/v66.0"

# Load through the sObject Collections API, 200 records a request.
load_start=$(date +%s)
for ((i = 0; i < RECORDS; i += 200)); do
	jq -cn --argjson from "$i" --argjson n "$(( RECORDS - i < 200 ? RECORDS - i : 200 ))" \
		'{allOrNone: true, records: [range($from; $from + $n) | {attributes: {type: "Account"}, Name: "Bench Account \(.)", Industry: "Energy", NumberOfEmployees: ., Phone: "+1 555 0100", Website: "https://example.com/\(.)"}]}' |
		curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @- "$api/composite/sobjects"
done
echo "loaded in $(( $(date +%s) - load_start )) s"

soql='SELECT Id, Name, Industry, NumberOfEmployees, Phone, Website, Owner.Name FROM Account'

# curl: the same pages, following nextRecordsUrl, bodies to /dev/null except
# the locator (jq reads it; that costs curl a little too, as parsing would).
cat >"$work/curl-pages.sh" <<CURL
#!/usr/bin/env bash
set -euo pipefail
next=\$(curl -sf -G -H 'Authorization: Bearer $token' --data-urlencode 'q=$soql' '$api/query' | jq -r '.nextRecordsUrl // empty')
while [ -n "\$next" ]; do
	next=\$(curl -sf -H 'Authorization: Bearer $token' "$url\$next" | jq -r '.nextRecordsUrl // empty')
done
CURL
chmod +x "$work/curl-pages.sh"

export SALESFORCE_ACCESS_TOKEN=$token SALESFORCE_INSTANCE_URL=$url
rows=$("$bin" query --csv "$soql" | wc -l)
echo "sfmcp query --csv printed $rows lines (header + $RECORDS expected)"
# No value of this query holds a newline: a wrong count means a wrong run; never time one.
[ "$rows" -eq $((RECORDS + 1)) ] || { echo "error: expected $((RECORDS + 1)) lines, got $rows; not timing" >&2; exit 1; }

echo "== query of $RECORDS records: sfmcp --csv vs curl"
hyperfine --warmup 1 --runs "$RUNS" \
	-n "sfmcp query --csv" "$bin query --csv \"$soql\" >/dev/null" \
	-n curl "$work/curl-pages.sh" --export-json "$work/query.json" >/dev/null
jq -r '.results[] | "\(.command): median \(.median | .*1000 | round / 1000) s (min \(.min | .*1000 | round / 1000), max \(.max | .*1000 | round / 1000))"' "$work/query.json"
jq -r '(.results[0].median / .results[1].median) | "ratio sfmcp/curl: \(.*100 | round / 100)"' "$work/query.json"

echo "== peak RSS of sfmcp query --csv"
/usr/bin/time -v "$bin" query --csv "$soql" 2>"$work/time.txt" >/dev/null
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$work/time.txt"
