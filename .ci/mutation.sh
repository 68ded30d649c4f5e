#!/usr/bin/env bash
# make mutation: mutation testing of the security and accounting code with
# gremlins (pinned in tools/go.mod). For every mutant of a file in scope,
# gremlins reruns that package's whole test suite (the tests `make test`
# runs, without -race); "efficacy" is killed / (killed + lived). The scores,
# the scope and the surviving mutants judged equivalent are in TESTING.md.
# Slow (one `go test` of the package per mutant): not part of `make test`.
#
#   .ci/mutation.sh                       every package below, its files in scope
#   .ci/mutation.sh internal/salesforce   one package of the list
#
# MUTATION_WORKERS (default 2) mutants run at once; MUTATION_COEF (default
# 6) times the coverage run is each mutant's timeout; MUTATION_OUT (default
# mutation/) receives one gremlins JSON report and one log per package;
# MUTATION_DRY=1 only lists the mutants (gremlins --dry-run); MUTATION_FILES
# replaces the files in scope of the one package named (to run file by file);
# MUTATION_SELECT=0 runs every test of the package for each mutant instead of
# only the tests that cover the files in scope (see select_tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
# -count=1: gremlins times the coverage run to set each mutant's timeout
# (that time × --timeout-coefficient); a cached run would take a second and
# time every mutant out. -vet=off: a vet finding is no test failing, so it
# must not count as a kill. CI=true: a missing test dependency (redis-server,
# D-Bus) fails the run instead of skipping the tests that would kill mutants.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1 -vet=off"
export CI=true
out=${MUTATION_OUT:-mutation}
mkdir -p "$out"

# package directory | the files in scope (the rest of the package, and its
# subpackages, are left out). Each mutant costs one run of the package's
# tests (5 to 35 s on a loaded 2-core machine), so the scope is the code the
# security and accounting promises live in, not every file; TESTING.md says
# what each file holds.
scopes=(
	"internal/salesforce|auth.go bulk.go escape.go limit.go redirect.go retry.go usage.go"
	"internal/ops|bulk.go bulk_load.go lead_sync.go query.go"
	"internal/mcpserver|auth.go instance.go"
	"internal/mcpserver/oauth|authorize.go token.go"
	"internal/mcpserver/oauth/store|cipher.go"
	"internal/emulator|oauth_server.go oauth.go device.go bulk.go bulk_ingest.go bulk_query.go"
	"internal/emulator/store|blocks.go cache.go"
)
if (($# > 0)); then
	wanted=("$@")
	selected=()
	for entry in "${scopes[@]}"; do
		for w in "${wanted[@]}"; do
			[[ "${entry%%|*}" == "${w#./}" ]] && selected+=("$entry")
		done
	done
	((${#selected[@]} > 0)) || { echo "mutation: no scope for $*" >&2; exit 2; }
	scopes=("${selected[@]}")
fi

# select_tests DIR PROFILES FILE...: the top-level tests (and examples) of
# DIR's package that run at least one statement of FILE..., found by running
# each test alone with coverage (its profile kept in PROFILES/<Test>.cov), as
# a -run regexp. Only they can kill a mutant of those files: a mutant sits in
# a statement, and a test that runs no statement of the file runs none of its
# mutants (gremlins calls a mutant no test runs "not covered" and does not try
# it). A test that fails alone is kept. .ci/mutation-go.sh then narrows each
# mutant's run to the tests that run its line.
select_tests() {
	local dir=$1 profiles=$2 t f hit ip hits=()
	shift 2
	ip=$(go list -f '{{.ImportPath}}' "./$dir")
	rm -rf "$profiles" && mkdir -p "$profiles"
	go test -c -cover -o "$profiles/t.test" "./$dir" >&2
	for t in $(cd "$dir" && "$profiles/t.test" -test.list '.*' 2>/dev/null | grep -E '^(Test|Example)'); do
		hit=0
		if ! (cd "$dir" && "$profiles/t.test" -test.run "^$t\$" -test.coverprofile="$profiles/$t.cov" >/dev/null 2>&1); then
			hit=1
		fi
		for f in "$@"; do
			awk -v p="$ip/$f:" 'index($1, p) == 1 && $NF > 0 { found = 1 } END { exit !found }' "$profiles/$t.cov" && hit=1
		done
		if ((hit)); then hits+=("$t"); else rm -f "$profiles/$t.cov"; fi
	done
	rm -f "$profiles/t.test"
	(IFS='|'; echo "${hits[*]}")
}

for entry in "${scopes[@]}"; do
	dir=${entry%%|*}
	read -r -a files <<<"${MUTATION_FILES:-${entry#*|}}"
	# gremlins only excludes (by RE2 on the path relative to $dir, no
	# look-ahead), so list every other non-test Go file under $dir.
	exclude=$(cd "$dir" && find . -name '*.go' ! -name '*_test.go' | sed 's|^\./||' | sort |
		grep -vxF -f <(printf '%s\n' "${files[@]}") | sed 's/\./\\./g' | paste -sd'|')
	name=$(echo "${dir#internal/}" | tr / -)
	args=(unleash ${MUTATION_DRY:+--dry-run} --workers "${MUTATION_WORKERS:-2}" --timeout-coefficient "${MUTATION_COEF:-6}" --output "$out/$name.json")
	[[ -n "$exclude" ]] && args+=(--exclude-files "^($exclude)\$")
	echo "mutation: ./$dir (${files[*]})" >&2
	start=$SECONDS
	flags=$GOFLAGS
	shim=()
	if [[ "${MUTATION_SELECT:-1}" != 0 ]]; then
		profiles=$(cd "$out" && pwd)/profiles/$name
		tests=$(select_tests "$dir" "$profiles" "${files[@]}")
		[[ -n "$tests" ]] || { echo "mutation: no test of ./$dir runs ${files[*]}" >&2; continue; }
		echo "mutation: tests that run the files: $tests" >&2
		flags+=" -run=^($tests)\$"
		# gremlins runs `go` from PATH: put mutation-go.sh first, as go.
		mkdir -p "$profiles/bin" && ln -sf "$PWD/.ci/mutation-go.sh" "$profiles/bin/go"
		shim=(PATH="$profiles/bin:$PATH" MUTATION_REAL_GO="$(command -v go)" MUTATION_PROFILES="$profiles"
			MUTATION_SRC="$PWD/$dir" MUTATION_PKG="$dir" MUTATION_SCOPE_FILES="${files[*]}")
	fi
	# Run gremlins itself, not through `go tool`, which would put GOROOT/bin
	# first in PATH again.
	gremlins=$(cd "$out" && pwd)/gremlins
	go build -modfile=tools/go.mod -o "$gremlins" github.com/go-gremlins/gremlins/cmd/gremlins
	env GOFLAGS="$flags" "${shim[@]}" "$gremlins" "${args[@]}" "./$dir" | tee "$out/$name.log" | grep -v -e '^ *KILLED' -e '^ *NOT COVERED'
	echo "mutation: ./$dir took $((SECONDS - start)) s" | tee -a "$out/$name.log" >&2
done
