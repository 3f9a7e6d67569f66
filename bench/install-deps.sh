#!/usr/bin/env bash
# Installs the Debian packages the benchmarks need, only those missing: wrk (the machine's ceiling) and gnuplot
# (the scaling plot). Idempotent; needs root (or sudo).
set -euo pipefail

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)

exec "$(dirname "$0")/../scripts/apt-install.sh" bench/install-deps ${need[@]+"${need[@]}"}
