#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those missing. Idempotent; needs root (or sudo).
set -euo pipefail

need=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# The HTML report test renders k6's dashboard export headless.
command -v chromium >/dev/null 2>&1 || need+=(chromium)

exec "$(dirname "$0")/apt-install.sh" install-deps ${need[@]+"${need[@]}"}
