#!/usr/bin/env bash
# make vulncheck: govulncheck over every package, offline.
# The database is the Go vulnerability database's own OSV files, as the
# golang.org/x/vulndb module carries them (data/osv, one GO-YYYY-NNNN.json a
# report), fetched through the Go module proxy like any module; govulncheck
# reads such a folder of OSV files with -db file://. No access to vuln.go.dev
# is needed. Raise VULNDB_VERSION to take newer reports.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
dir=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ ! -d "$dir/data/osv" ]]; then
	echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2
	exit 1
fi
echo "vulncheck: $(ls "$dir/data/osv" | wc -l) reports from golang.org/x/vulndb@$VULNDB_VERSION" >&2
# Exit status 3 means a vulnerable symbol is reached: that fails the build.
go tool -modfile=tools/go.mod govulncheck -db "file://$dir/data/osv" ./...
