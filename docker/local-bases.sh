#!/usr/bin/env bash
# Builds local stand-ins for the Dockerfile's pinned base images, for a machine that reaches Debian's mirror and
# the Go and npm registries but no container registry:
#   localhost/valora-k6-base/debian:bookworm-slim   debootstrap --variant=minbase bookworm
#   localhost/valora-k6-base/golang:<go version>    that plus the host's Go toolchain and CA bundle
#   localhost/valora-k6-base/node:<node version>    that plus the host's node, npm and CA bundle
# An image is rebuilt only when its inputs changed (a label records their hash; REBUILD_BASES=1 forces it).
# Prints the build arguments that substitute them, one NAME=image a line, on stdout; logs go to stderr.
# Needs root, podman and debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

repo=${BASE_REPO:-localhost/valora-k6-base}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
isolation=${PODMAN_ISOLATION:-chroot}
host_ca=${HOST_CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
work=${LOCAL_BASES_WORK_DIR:-.cache/local-bases}

log() { printf 'local-bases: %s\n' "$*" >&2; }
die() { printf 'local-bases: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and podman import need it)"
for cmd in podman debootstrap go node npm sha256sum; do
  command -v "$cmd" >/dev/null || die "$cmd is not installed"
done
[ -s "$host_ca" ] || die "no CA bundle at $host_ca (set HOST_CA_BUNDLE)"

go_version=$(go env GOVERSION)
go_version=${go_version#go}
goroot=$(go env GOROOT)
node_version=$(node --version)
node_version=${node_version#v}
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[ -f "$npm_dir/package.json" ] || die "cannot find npm's package directory (looked at $npm_dir)"

debian_image=$repo/debian:bookworm-slim
golang_image=$repo/golang:$go_version
node_image=$repo/node:$node_version

mkdir -p "$work"
work=$(cd "$work" && pwd)
stage="$work/stage"
cleanup() { rm -rf "$work/debian-rootfs" "$stage"; }
trap cleanup EXIT

label=org.valora-k6.base-inputs
# fresh IMAGE INPUTS: the image exists and was built from the same inputs.
fresh() {
  [ "${REBUILD_BASES:-0}" != 1 ] && podman image exists "$1" &&
    [ "$(podman image inspect --format "{{index .Config.Labels \"$label\"}}" "$1")" = "$2" ]
}
digest() { sha256sum | cut -c1-16; }
# build NAME ARGS...: podman build, its output kept in $work/NAME-build.log and shown on failure.
build() {
  local name=$1
  shift
  podman build --isolation "$isolation" "$@" >"$work/$name-build.log" 2>&1 ||
    { tail -n 30 "$work/$name-build.log" >&2; die "building the $name base failed, see $work/$name-build.log"; }
}
# Images a rebuild replaced, removed at the end (children first) so that reruns do not pile them up.
replaced=()
note_old() {
  local id
  id=$(podman image inspect --format '{{.Id}}' "$1" 2>/dev/null) || return 0
  replaced=("$id" "${replaced[@]}")
}

debian_inputs=$(printf 'bookworm minbase %s\n' "$mirror" | digest)
if fresh "$debian_image" "$debian_inputs"; then
  log "keeping $debian_image"
else
  log "building $debian_image with debootstrap from $mirror"
  note_old "$debian_image"
  rootfs="$work/debian-rootfs"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed, see $work/debootstrap.log"
  # As in the official slim image: no package caches or lists.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar --numeric-owner -C "$rootfs" -c . |
    podman import --quiet --change 'CMD ["bash"]' --change "LABEL $label=$debian_inputs" - "$debian_image" >/dev/null
  rm -rf "$rootfs"
fi
debian_id=$(podman image inspect --format '{{.Id}}' "$debian_image")

rm -rf "$stage"
mkdir -p "$stage/hostca"
cp "$host_ca" "$stage/hostca/ca-certificates.crt"

golang_inputs=$( { echo "$debian_id"; go version; cat docker/base/golang.Containerfile "$host_ca"; } | digest)
if fresh "$golang_image" "$golang_inputs"; then
  log "keeping $golang_image"
else
  log "building $golang_image with the Go toolchain in $goroot"
  note_old "$golang_image"
  build golang --build-arg DEBIAN_IMAGE="$debian_image" --label "$label=$golang_inputs" \
    --build-context goroot="$goroot" --build-context hostca="$stage/hostca" \
    -f docker/base/golang.Containerfile -t "$golang_image" docker/base
fi

node_inputs=$( { echo "$debian_id"; node --version; npm --version 2>/dev/null
  cat docker/base/node.Containerfile "$host_ca"; } | digest)
if fresh "$node_image" "$node_inputs"; then
  log "keeping $node_image"
else
  log "building $node_image with $node_bin and npm from $npm_dir"
  note_old "$node_image"
  mkdir -p "$stage/node/bin" "$stage/node/lib/node_modules"
  cp -a "$node_bin" "$stage/node/bin/node"
  cp -a "$npm_dir" "$stage/node/lib/node_modules/npm"
  build node --build-arg DEBIAN_IMAGE="$debian_image" --label "$label=$node_inputs" \
    --build-context node="$stage/node" --build-context hostca="$stage/hostca" \
    -f docker/base/node.Containerfile -t "$node_image" docker/base
fi

for id in "${replaced[@]}"; do podman rmi "$id" >/dev/null 2>&1 || true; done

printf 'GO_IMAGE=%s\nNODE_IMAGE=%s\nRUNTIME_IMAGE=%s\n' "$golang_image" "$node_image" "$debian_image"
