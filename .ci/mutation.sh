#!/usr/bin/env bash
# make mutation: mutation testing of the security and accounting code with
# gremlins (pinned in tools/go.mod). Each package's tests are run against
# every covered mutant of its code; "efficacy" is killed / (killed + lived).
# The scores, and the surviving mutants judged equivalent, are in TESTING.md.
# Slow (each mutant reruns a package's tests): not part of `make test`.
#
#   .ci/mutation.sh                      every package below
#   .ci/mutation.sh ./internal/salesforce  one package
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
out=${MUTATION_OUT:-mutation}
mkdir -p "$out"

# The emulator's files other than its OAuth and Bulk code, as one regexp
# (gremlins' --exclude-files is RE2: no look-ahead to say "all but").
emulator_rest() {
	local files
	files=$(cd internal/emulator && ls *.go | grep -v -e _test.go -e '^oauth' -e '^bulk' | sed 's/\./\\./' | paste -sd'|')
	echo "^internal/emulator/($files)\$"
}

# package, and a regexp of its files to leave out.
packages=(
	"./internal/salesforce|"
	"./internal/ops|"
	"./internal/mcpserver|"
	"./internal/mcpserver/oauth|"
	"./internal/emulator|$(emulator_rest)"
)
if (($# > 0)); then
	packages=()
	for p in "$@"; do packages+=("$p|"); done
fi

for entry in "${packages[@]}"; do
	pkg=${entry%%|*}
	exclude=${entry#*|}
	name=$(echo "${pkg#./internal/}" | tr / -)
	args=(unleash --workers "${MUTATION_WORKERS:-2}" --timeout-coefficient 10 --output "$out/$name.json")
	[[ -n "$exclude" ]] && args+=(--exclude-files "$exclude")
	echo "mutation: $pkg" >&2
	go tool -modfile=tools/go.mod gremlins "${args[@]}" "$pkg" | tail -15
done
