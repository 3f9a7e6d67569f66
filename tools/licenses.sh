#!/usr/bin/env bash
# Collects the licence texts of every Go module compiled into the given binaries, from the Go module cache the
# binaries were built with, and names each module's licence with an SPDX identifier:
#
#   tools/licenses.sh OUTDIR BINARY...
#
# writes OUTDIR/<module>@<version>/{LICENSE*,COPYING*,NOTICE*,…} and OUTDIR/modules.tsv (binary, module, version,
# SPDX id), and prints the SPDX expression that covers them all ("A AND B AND …"). A module whose licence it cannot
# name fails the run: add it to `known` below after reading its licence. The Dockerfile runs it for /usr/bin/k6
# and /usr/bin/valora-standin; docker/verify.sh checks the image's licence label against modules.tsv.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 OUTDIR BINARY..." >&2; exit 2; }
out=$1
shift
modcache=$(go env GOMODCACHE)
here=$(cd "$(dirname "$0")/.." && pwd)
self=$(cd "$here" && go list -m) # this repository's module: a binary's main module, or the replaced one in ./k6
mkdir -p "$out"
: >"$out/modules.tsv"

# Modules that ship no licence file of their own, with the licence they are published under.
declare -A known=(
  # Generated from prometheus/prometheus's prompb protobuf definitions (Apache-2.0); buf.build's module holds
  # only the generated code.
  [buf.build/gen/go/prometheus/prometheus/protocolbuffers/go]=Apache-2.0
)

# spdx FILE: the SPDX identifier of one licence text, by the phrases each licence is made of.
spdx() {
  local text
  text=$(tr -s '[:space:]' ' ' <"$1" | head -c 6000)
  case "$text" in
    *"GNU AFFERO GENERAL PUBLIC LICENSE"*"Version 3"*) echo AGPL-3.0-only ;;
    *"Apache License"*"Version 2.0"*) echo Apache-2.0 ;;
    *"Mozilla Public License"*"2.0"*) echo MPL-2.0 ;;
    *"Permission is hereby granted, free of charge, to any person obtaining a copy"*) echo MIT ;;
    *"Permission to use, copy, modify, and/or distribute this software for any purpose"*) echo ISC ;;
    *"Redistribution and use in source and binary forms"*"Neither the name"*) echo BSD-3-Clause ;;
    *"Redistribution and use in source and binary forms"*"names of its contributors"*) echo BSD-3-Clause ;;
    *"Redistribution and use in source and binary forms"*) echo BSD-2-Clause ;;
    *) return 1 ;;
  esac
}

# The module cache spells upper-case letters as '!' and the lower-case letter.
escape() { sed -e 's/[A-Z]/!\L&/g' <<<"$1"; }

for bin in "$@"; do
  name=$(basename "$bin")
  # `go version -m` lists "dep <path> <version>", and "=> <path> <version>" under a replaced one.
  while read -r kind path version; do
    dir=$modcache/$(escape "$path")@$version
    if [ "$kind" = "=>" ]; then
      # This repository's module: the main module of the stand-in, replaced by the local source in ./k6.
      dir=$here
    fi
    dest="$out/$path@$version"
    mkdir -p "$dest"
    id=""
    shopt -s nullglob nocaseglob
    for f in "$dir"/LICEN[CS]E* "$dir"/COPYING* "$dir"/NOTICE* "$dir"/PATENTS*; do
      cp "$f" "$dest/"
      case "$(basename "$f")" in
        NOTICE* | notice* | PATENTS* | patents*) ;;
        *) [ -n "$id" ] || id=$(spdx "$f") || { echo "licenses.sh: $path: cannot name the licence in $f" >&2; exit 1; } ;;
      esac
    done
    shopt -u nullglob nocaseglob
    if [ -z "$id" ]; then
      id=${known[$path]:-}
      [ -n "$id" ] || { echo "licenses.sh: $path@$version has no licence file in $dir" >&2; exit 1; }
      echo "$path@$version ships no licence file; it is published under $id." >"$dest/LICENSE.note"
    fi
    printf '%s\t%s\t%s\t%s\n' "$name" "$path" "$version" "$id" >>"$out/modules.tsv"
  done < <(go version -m "$bin" | awk -v self="$self" '
    $1 == "mod" && $2 == self { p = "=> " self " (local)"; next }
    $1 == "dep" { if (p) print p; mod = $2; p = "dep " $2 " " $3; next }
    $1 == "=>"  { p = ($2 ~ /^[.\/]/) ? "=> " mod " (local)" : "dep " $2 " " $3; next }
    END         { if (p) print p }')
done

# The Go standard library and runtime are in every binary too.
goroot=$(go env GOROOT)
mkdir -p "$out/go@$(go env GOVERSION)"
cp "$goroot/LICENSE" "$goroot/PATENTS" "$out/go@$(go env GOVERSION)/"
printf '%s\t%s\t%s\t%s\n' "*" "go" "$(go env GOVERSION)" "$(spdx "$goroot/LICENSE")" >>"$out/modules.tsv"

cut -f4 "$out/modules.tsv" | sort -u | paste -sd' ' | sed 's/ / AND /g'
