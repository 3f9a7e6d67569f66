#!/usr/bin/env bash
# Builds the CI image with the Dockerfile users build and checks what it contains, on a machine with no Docker
# engine and no registry access (run by `make test-image`, as root):
#   1. local stand-ins for the pinned base images (docker/local-bases.sh), substituted through build arguments;
#   2. `make image` with podman (chroot isolation; the host's Go module download cache is offered to the build,
#      for module proxies that refuse some versions);
#   3. the image's root filesystem exported and entered with chroot as the image's user (podman run cannot set
#      rlimits on such machines): k6 version lists k6/x/valora, sh -c 'k6 version' works, the user is not root,
#      the CA bundle is there, k6 and the stand-in are static, k6/x/valora works in a VU; the licence texts,
#      notices and source note are in /usr/share/doc/valora-k6 and the licence label matches the modules;
#   4. the image's stand-in on 127.0.0.1 and the image's k6 running dist/$SCENARIO.js against it with the
#      stand-in's environment, REPORT_DIR bind-mounted from the host: exit code 0 and the summaries written.
# Settings (environment): IMAGE, REPORT_DIR (host directory for the reports, default reports/image), SCENARIO
# (default smoke), SMOKE_TIMEOUT (seconds, default 600), KEEP_ROOTFS=1 (keep the exported filesystem),
# PODMAN_ISOLATION (default chroot), and those of docker/local-bases.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo_dir=$(pwd)

image=${IMAGE:-localhost/valora-k6:verify}
scenario=${SCENARIO:-smoke}
smoke_timeout=${SMOKE_TIMEOUT:-600}
isolation=${PODMAN_ISOLATION:-chroot}
work="$repo_dir/.cache/image-verify"
rootfs="$work/rootfs"
container="valora-k6-verify-$$"
standin_pid=""
k6_pid=""
report_dir=""

log() { printf 'verify: %s\n' "$*"; }
die() { printf 'verify: FAIL: %s\n' "$*" >&2; exit 1; }

# Every mount under the exported filesystem, deepest first.
mounts_under() { awk -v root="$1" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/mounts | sort -r; }
unmount_rootfs() {
  local m
  for m in $(mounts_under "$rootfs"); do umount "$m" || umount -l "$m"; done
}
remove_rootfs() {
  unmount_rootfs
  # --one-file-system: never follow a mount that could not be undone into the host.
  [ ! -e "$rootfs" ] || rm -rf --one-file-system "$rootfs"
}
cleanup() {
  local status=$?
  if [ -n "$k6_pid" ] && kill -0 "$k6_pid" 2>/dev/null; then
    kill "$k6_pid" 2>/dev/null || true
    wait "$k6_pid" 2>/dev/null || true
  fi
  if [ -n "$standin_pid" ] && kill -0 "$standin_pid" 2>/dev/null; then
    kill "$standin_pid" 2>/dev/null || true
    wait "$standin_pid" 2>/dev/null || true
  fi
  podman rm --force "$container" >/dev/null 2>&1 || true
  if [ "${KEEP_ROOTFS:-0}" = 1 ]; then unmount_rootfs; else remove_rootfs; fi
  # The image's user wrote the reports; give them back to whoever ran this.
  [ -z "$report_dir" ] || chown -R "${SUDO_UID:-0}:${SUDO_GID:-0}" "$report_dir" 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "run as root (podman build, chroot and bind mounts need it)"

# --- tools --------------------------------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v file >/dev/null || missing+=(file)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} with apt-get"
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for cmd in go node npm make chroot tar; do
  command -v "$cmd" >/dev/null || die "$cmd is not installed (the local base images copy the host's Go and Node)"
done

# --- base images and build ----------------------------------------------------------------------------------------
log "local base images"
bases=$(./docker/local-bases.sh) || die "building the local base images failed"
build_args=(--isolation "$isolation")
while IFS= read -r line; do
  build_args+=(--build-arg "$line")
  log "  $line"
done <<<"$bases"
modcache="$(go env GOMODCACHE)/cache/download"
if [ -d "$modcache" ]; then
  build_args+=(-v "$modcache:/var/cache/host-gomodcache:ro")
fi

log "make image IMAGE=$image (podman build ${build_args[*]})"
old_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
started=$SECONDS
make --no-print-directory image CONTAINER_ENGINE="$(command -v podman)" IMAGE="$image" \
  IMAGE_BUILD_FLAGS="${build_args[*]}" || die "the image build failed"
build_seconds=$((SECONDS - started))
log "image built in ${build_seconds}s"
# The previous build of this tag is now untagged; its layers stay as the build cache.
if [ -n "$old_id" ] && [ "$old_id" != "$(podman image inspect --format '{{.Id}}' "$image")" ]; then
  podman rmi "$old_id" >/dev/null 2>&1 || true
fi

# --- export ---------------------------------------------------------------------------------------------------------
mkdir -p "$work"
remove_rootfs
mkdir -p "$rootfs"
podman create --name "$container" "$image" >/dev/null
podman export "$container" | tar --numeric-owner -C "$rootfs" -xf -
podman rm "$container" >/dev/null

user=$(podman image inspect --format '{{.Config.User}}' "$image")
workdir=$(podman image inspect --format '{{.Config.WorkingDir}}' "$image")
mapfile -t image_env < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" |
  sed '/^$/d')
[ -n "$user" ] || die "the image sets no USER (it would run as root)"
uid=${user%%:*}
gid=${user#*:}
[ "$gid" != "$user" ] || gid=""
if ! [[ "$uid" =~ ^[0-9]+$ ]]; then
  uid=$(awk -F: -v u="$uid" '$1 == u { print $3 }' "$rootfs/etc/passwd")
fi
[ -n "$uid" ] || die "the image's user $user is not in its /etc/passwd"
[ -n "$gid" ] || gid=$(awk -F: -v u="$uid" '$3 == u { print $4 }' "$rootfs/etc/passwd")
[ "$uid" != 0 ] || die "the image runs as root (USER $user)"
home=$(awk -F: -v u="$uid" '$3 == u { print $6 }' "$rootfs/etc/passwd")
report_mount=""
for kv in "${image_env[@]}"; do
  case $kv in REPORT_DIR=*) report_mount=${kv#REPORT_DIR=} ;; esac
done
[ -n "$report_mount" ] || die "the image sets no REPORT_DIR"

# in_image CMD...: CMD in the exported filesystem as the image's user, with the image's environment.
in_image() { env -i "${image_env[@]}" HOME="${home:-/}" chroot --userspec="$uid:$gid" "$rootfs" "$@"; }

# --- contents -------------------------------------------------------------------------------------------------------
log "/usr/bin/k6 version (as $uid:$gid)"
version=$(in_image /usr/bin/k6 version) || die "/usr/bin/k6 version failed"
printf '%s\n' "$version" | sed 's/^/  | /'
grep -q 'k6/x/valora' <<<"$version" || die "k6 version does not list k6/x/valora"

log "sh -c 'k6 version' (the k6-operator initializer's way)"
in_image /bin/sh -c 'k6 version' >/dev/null || die "sh -c 'k6 version' failed: no shell, or k6 not on PATH"
[ "$(in_image /bin/sh -c 'id -u')" = "$uid" ] || die "commands do not run as uid $uid"
log "  ok: k6 on PATH at $(in_image /bin/sh -c 'command -v k6'), uid $uid, not root"

ca="$rootfs/etc/ssl/certs/ca-certificates.crt"
[ -s "$ca" ] || die "no CA bundle at /etc/ssl/certs/ca-certificates.crt"
log "CA bundle: /etc/ssl/certs/ca-certificates.crt, $(grep -c 'BEGIN CERTIFICATE' "$ca") certificates"

doc=/usr/share/doc/valora-k6
log "licences in $doc"
for f in LICENSE LICENSE.k6 NOTICE licensing.md SOURCE licenses.spdx modules/modules.tsv; do
  [ -s "$rootfs$doc/$f" ] || die "the image has no $doc/$f"
done
grep -q 'GNU AFFERO GENERAL PUBLIC LICENSE' "$rootfs$doc/LICENSE.k6" || die "$doc/LICENSE.k6 is not k6's AGPL-3.0 text"
grep -q 'Apache License' "$rootfs$doc/LICENSE" || die "$doc/LICENSE is not the Apache-2.0 text"
! grep -q 'revision unknown' "$rootfs$doc/SOURCE" || die "$doc/SOURCE names no revision (build with make image)"
label=$(podman image inspect --format '{{index .Labels "org.opencontainers.image.licenses"}}' "$image")
found=$(cat "$rootfs$doc/licenses.spdx")
[ "$label" = "$found" ] ||
  die "the licenses label says \"$label\" but the modules in the binaries are under \"$found\": update the Dockerfile's LABEL"
log "  ok: label \"$label\", $(wc -l <"$rootfs$doc/modules/modules.tsv") modules with their licences, $(head -n 1 "$rootfs$doc/SOURCE")"

for bin in /usr/bin/k6 /usr/bin/valora-standin; do
  info=$(file -b "$rootfs$bin")
  grep -q 'statically linked' <<<"$info" || die "$bin is not statically linked: $info"
  ldd_out=$(ldd "$rootfs$bin" 2>&1 || true)
  log "static: $bin: $(cut -d, -f1-2,4 <<<"$info"); ldd: $(tr -s ' \t\n' ' ' <<<"$ldd_out" | sed 's/^ //; s/ $//')"
done

dist="$workdir/dist"
log "scenarios in $dist: $(cd "$rootfs$dist" && ls -- *.js 2>/dev/null | sed 's/\.js$//' | tr '\n' ' ')"
[ -f "$rootfs$dist/$scenario.js" ] || die "the image has no $dist/$scenario.js"

log "k6/x/valora in a VU: k6 run test/k6/module_smoke.js"
cp test/k6/module_smoke.js "$rootfs/tmp/module_smoke.js"
in_image /usr/bin/k6 run --quiet /tmp/module_smoke.js >"$work/module_smoke.log" 2>&1 ||
  { tail -n 30 "$work/module_smoke.log" >&2; die "module_smoke.js failed in the image"; }
log "  ok"

# --- the scenario against the image's stand-in ----------------------------------------------------------------------
mkdir -p "${REPORT_DIR:-reports/image}"
report_dir=$(cd "${REPORT_DIR:-reports/image}" && pwd)
rm -f "$report_dir/$scenario".{summary.json,junit.xml,invariants.md} "$report_dir"/{standin,"$scenario"}.log
chown "$uid:$gid" "$report_dir"
mount --bind "$report_dir" "$rootfs$report_mount"

log "stand-in: the image's /usr/bin/valora-standin -addr 127.0.0.1:0 (log: $report_dir/standin.log)"
# Started without in_image so that $! is the server itself (env and chroot exec it), which cleanup can stop.
env -i "${image_env[@]}" HOME="${home:-/}" chroot --userspec="$uid:$gid" "$rootfs" \
  /usr/bin/valora-standin -addr 127.0.0.1:0 -rollup-interval 2s -env-file /tmp/standin.env >"$report_dir/standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 1 100); do
  [ -s "$rootfs/tmp/standin.env" ] && break
  kill -0 "$standin_pid" 2>/dev/null || { cat "$report_dir/standin.log" >&2; die "the stand-in did not start"; }
  sleep 0.1
done
[ -s "$rootfs/tmp/standin.env" ] || die "the stand-in wrote no environment within 10 s"
log "  $(grep '^BASE_URL=' "$rootfs/tmp/standin.env"); env: $(cut -d= -f1 "$rootfs/tmp/standin.env" | tr '\n' ' ')"

log "k6 run dist/$scenario.js in $workdir, REPORT_DIR=$report_mount -> $report_dir (timeout ${smoke_timeout}s)"
status=0
# shellcheck disable=SC2016 # expanded by the image's shell
timeout "$smoke_timeout" env -i "${image_env[@]}" HOME="${home:-/}" chroot --userspec="$uid:$gid" "$rootfs" \
  /bin/sh -c 'cd "$1" && set -a && . /tmp/standin.env && set +a &&
    ACCEPT_VIOLATIONS=pagination_no_row_lost,webhook_rejects_stale_timestamp,tenant_webhook_customer_in_org exec k6 run "dist/$2.js"' sh "$workdir" "$scenario" \
  >"$report_dir/$scenario.log" 2>&1 &
# In the background so that a signal to this script is handled at once (cleanup stops k6 too).
k6_pid=$!
wait "$k6_pid" || status=$?
k6_pid=""
tail -n 40 "$report_dir/$scenario.log" | sed 's/^/  | /'
kill "$standin_pid" 2>/dev/null || true
wait "$standin_pid" 2>/dev/null || true
standin_pid=""
umount "$rootfs$report_mount"

log "k6 exit code: $status"
[ "$status" -eq 0 ] || die "k6 run dist/$scenario.js exited with $status (log: $report_dir/$scenario.log)"
for f in "$scenario.summary.json" "$scenario.junit.xml" "$scenario.invariants.md"; do
  [ -s "$report_dir/$f" ] || die "no $f in $report_dir"
done
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$report_dir/$scenario.summary.json" ||
  die "$scenario.summary.json is not JSON"
grep -q '<testsuite' "$report_dir/$scenario.junit.xml" || die "$scenario.junit.xml has no <testsuite>"
log "reports: $(cd "$report_dir" && ls -1 | tr '\n' ' ')"

size=$(podman image inspect --format '{{.Size}}' "$image")
log "image $image: $((size / 1000000)) MB (uncompressed), built in ${build_seconds}s"
log "PASS"
