#!/usr/bin/env bash
# make release-check: the release, tried here, offline and without publishing.
#  1. actionlint on .github/workflows;
#  2. goreleaser check on goreleaser.yaml;
#  3. goreleaser release --snapshot into dist/, then internal/build's TestDist
#     checks its 6 archives, checksums and Homebrew cask;
#  4. the same for a tagged build, in a throwaway clone tagged v0.0.0-check,
#     so that a tag's version reaches the archives, the cask's URLs and
#     `sfmcp version` alike.
# GoReleaser and actionlint come from tools/go.mod (pinned, apart from the
# product's go.mod). Skipped here: publish and sign (nothing to publish to),
# docker (no container engine on this machine; the release workflow builds
# the image) and sbom (syft is installed by the release workflow only).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
tool=(go tool -modfile="$PWD/tools/go.mod")
skip=publish,sign,docker,sbom

echo "release-check: actionlint" >&2
"${tool[@]}" actionlint -color=false

echo "release-check: goreleaser check" >&2
"${tool[@]}" goreleaser check

echo "release-check: snapshot" >&2
"${tool[@]}" goreleaser release --snapshot --clean --skip="$skip" >/tmp/sfmcp-release-snapshot.log 2>&1 ||
	{ tail -50 /tmp/sfmcp-release-snapshot.log >&2; exit 1; }
version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)
SFMCP_DIST="$PWD/dist" SFMCP_DIST_VERSION="$version" go test -count=1 -run '^TestDist$' -v ./internal/build/ | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|_test.go'

echo "release-check: tagged build (v0.0.0-check, in a throwaway clone)" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/src"
(
	cd "$work/src"
	git -c user.name=release-check -c user.email=release-check@localhost tag -a v0.0.0-check -m "release-check"
	# No token: nothing is published, and goreleaser needs none then.
	env -u GITHUB_TOKEN -u GITLAB_TOKEN -u GITEA_TOKEN \
		"${tool[@]}" goreleaser release --clean --skip="$skip" >"$work/tagged.log" 2>&1 ||
		{ tail -50 "$work/tagged.log" >&2; exit 1; }
)
SFMCP_DIST="$work/src/dist" SFMCP_DIST_VERSION=0.0.0-check go test -count=1 -run '^TestDist$' -v ./internal/build/ | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|_test.go'
echo "release-check: ok" >&2
