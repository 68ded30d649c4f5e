#!/usr/bin/env bash
# mutation-go.sh: the `go` that gremlins runs during .ci/mutation.sh. A
# mutant's test run (`go test ... -failfast <package>`, run in the package's
# directory of gremlins' copy) runs only the tests that execute the mutated
# line, by the per-test coverage profiles mutation.sh wrote to
# $MUTATION_PROFILES (one <Test>.cov per top-level test, made from the
# pristine package in $MUTATION_SRC). A test that does not execute the line
# cannot tell the mutant from the original, so leaving it out changes no
# verdict; it only saves its time. Any other go command, or a mutant no
# profile places, runs as it is.
#
# No `set -e`: gremlins reads this script's exit status as the tests' (1
# killed, 2 not viable), so a failing helper command must not end it.
set -u
real=${MUTATION_REAL_GO:?}
if [[ " $* " != *" -failfast "* || -z "${MUTATION_PROFILES:-}" ]]; then
	exec "$real" "$@"
fi
# The mutated file: the one in scope that differs from the pristine copy;
# the line: the first that differs once gofmt undoes the layout gremlins'
# printer changes (it writes the whole file back without gofmt's alignment).
gofmt="$("$real" env GOROOT)/bin/gofmt"
file="" line=""
for f in ${MUTATION_SCOPE_FILES:-}; do
	if [[ -f "$f" && -f "$MUTATION_SRC/$f" ]] && ! cmp -s "$f" "$MUTATION_SRC/$f"; then
		file=$f
		line=$("$gofmt" <"$f" | diff "$MUTATION_SRC/$f" - | sed -n '1s/^\([0-9]*\).*/\1/p')
		break
	fi
done
[[ -n "$file" && -n "$line" ]] || exec "$real" "$@"
tests=()
for p in "$MUTATION_PROFILES"/*.cov; do
	# a block "<import path>/<file>:L1.C1,L2.C2 statements count" run at
	# least once whose lines hold the mutated one
	if awk -v f="/$MUTATION_PKG/$file:" -v l="$line" 'index($1, f) {
			split(substr($1, index($1, f) + length(f)), r, /[.,]/)
			if (r[1] + 0 <= l + 0 && l + 0 <= r[3] + 0 && $NF > 0) { found = 1; exit }
		} END { exit !found }' "$p"; then
		t=${p##*/}
		tests+=("${t%.cov}")
	fi
done
((${#tests[@]} > 0)) || exec "$real" "$@"
echo "$file:$line: ${tests[*]}" >>"$MUTATION_PROFILES/selection.log"
run=$(
	IFS='|'
	echo "${tests[*]}"
)
exec "$real" test -run="^($run)\$" "${@:2}"
