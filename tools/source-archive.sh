#!/usr/bin/env bash
# Writes the corresponding source of the custom k6 and the stand-in as one archive, for a release
# (docs/releasing.md; `make source-archive`):
#
#   tools/source-archive.sh OUT.tar.gz K6_VERSION [K6_BINARY]
#
# The archive holds
#   valora-k6/  this repository at HEAD (git archive: committed files only, so run it on the release tag);
#   goproxy/    every Go module file the build reads, laid out as the Go module proxy serves them;
#   BUILD.md    the commands that rebuild both binaries from the archive alone, and the module list.
# It finds out what the build reads by doing the build: xk6 (built from the archived tools/go.mod), xk6 build
# and `go build` run with an empty module cache that
# is filled only from this machine's cache (the registry when something is missing there), and what they
# fetched is the archive's goproxy/. With K6_BINARY (the released ./k6), the rebuilt k6 must hold exactly the
# modules K6_BINARY holds, or the archive would not be its source. ./k6 is k6 (AGPL-3.0) with this module
# linked in: this is the source the AGPL asks to be offered with it (docs/licensing.md).
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 OUT.tar.gz K6_VERSION [K6_BINARY]" >&2; exit 2; }
out=$(realpath -m "$1")
k6_version=$2
match=""
if [ -n "${3:-}" ]; then
  [ -f "$3" ] || { echo "source-archive: no $3 to compare with (make k6)" >&2; exit 2; }
  match=$(realpath "$3")
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
self=$(cd "$repo" && go list -m)
xk6_version=$(cd "$repo/tools" && go list -m -f '{{.Version}}' go.k6.io/xk6)

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
root="$work/valora-k6-source"
mkdir -p "$root"

git -C "$repo" archive --format=tar --prefix=valora-k6/ HEAD | tar -C "$root" -xf -
revision=$(git -C "$repo" rev-parse HEAD)
note=""
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
  note=" The working tree had uncommitted changes; they are not in this archive."

# The recording build, from the archived tree so that only committed files count.
cache="$work/modcache"
upstream=$(go env GOPROXY)
(
  export GOMODCACHE="$cache" GOFLAGS="-modcacherw ${GOFLAGS:-}" GOTOOLCHAIN=local
  export GOPROXY="file://$(go env GOMODCACHE)/cache/download,$upstream"
  # xk6 itself, from the archived tools/go.mod: the archive then also builds the build tool.
  (cd "$root/valora-k6/tools" && go build -o "$work/xk6" go.k6.io/xk6/cmd/xk6)
  cd "$work"
  "$work/xk6" build "$k6_version" --with "$self=$root/valora-k6" -o "$work/k6" >"$work/xk6.log" 2>&1 ||
    { cat "$work/xk6.log" >&2; exit 1; }
  cd "$root/valora-k6" && CGO_ENABLED=0 go build -trimpath -o "$work/valora-standin" ./cmd/valora-standin
)

deps() { go version -m "$1" | awk '$1 == "dep" { print $2, $3 }' | sort; }
if [ -n "$match" ] && ! diff <(deps "$match") <(deps "$work/k6") >"$work/deps.diff"; then
  echo "source-archive: the k6 rebuilt from HEAD holds other modules than $match (< $match, > rebuilt):" >&2
  cat "$work/deps.diff" >&2
  exit 1
fi

mkdir -p "$root/goproxy"
cp -a "$cache/cache/download/." "$root/goproxy/"
rm -rf "$root/goproxy/sumdb"

{
  echo "# Corresponding source of valora-k6's k6 and stand-in"
  echo
  echo "valora-k6/ is $self at revision $revision.$note The binaries were built with"
  echo "$(go env GOVERSION), xk6 $xk6_version and k6 $k6_version. goproxy/ holds every module they are made"
  echo "from, as the Go module proxy serves it; nothing else needs downloading:"
  echo
  echo '```sh'
  echo 'export GOPROXY="file://$PWD/goproxy" GOSUMDB=off   # no checksum database offline; the go.sum files still check'
  echo "(cd valora-k6/tools && go build -o ../../xk6 go.k6.io/xk6/cmd/xk6)   # xk6 $xk6_version"
  echo "./xk6 build $k6_version --with $self=./valora-k6 -o k6"
  echo '(cd valora-k6 && CGO_ENABLED=0 go build -trimpath -o ../valora-standin ./cmd/valora-standin)'
  echo '```'
  echo
  echo "Modules in k6 (\`go version -m k6\`):"
  echo
  deps "$work/k6" | sed 's/^/- /'
} >"$root/BUILD.md"

mkdir -p "$(dirname "$out")"
tar -C "$work" -czf "$out" valora-k6-source
echo "source-archive: $out ($(deps "$work/k6" | wc -l) modules in k6, $(du -h "$out" | cut -f1)), revision $revision"
