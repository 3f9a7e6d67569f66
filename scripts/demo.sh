#!/usr/bin/env bash
# The main job on the embedded default: start the stand-in Valora server, run the smoke scenario and a short
# ingest_load against it with the built ./k6, leave the reports in $REPORT_DIR, stop the server.
set -euo pipefail
cd "$(dirname "$0")/.."

report_dir=${REPORT_DIR:-reports}
addr=${DEMO_ADDR:-127.0.0.1:18000}
mkdir -p "$report_dir"
env_file=$(mktemp)
log_file="$report_dir/standin.log"

.bin/valora-standin -addr "$addr" -env-file "$env_file" >"$log_file" 2>&1 &
standin_pid=$!
cleanup() { kill "$standin_pid" 2>/dev/null || true; wait "$standin_pid" 2>/dev/null || true; rm -f "$env_file"; }
trap cleanup EXIT

for _ in $(seq 1 50); do
  [ -s "$env_file" ] && break
  kill -0 "$standin_pid" 2>/dev/null || { echo "demo: the stand-in server did not start:" >&2; cat "$log_file" >&2; exit 1; }
  sleep 0.1
done
[ -s "$env_file" ] || { echo "demo: the stand-in server did not write its environment within 5 s" >&2; exit 1; }
echo "demo: stand-in Valora on http://$addr (log: $log_file)"

set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
export REPORT_DIR="$report_dir"

status=0
echo "demo: ./k6 run dist/smoke.js"
./k6 run --no-usage-report dist/smoke.js || status=$?
echo "demo: ./k6 run dist/ingest_load.js (INGEST_DURATION=${INGEST_DURATION:=15s})"
INGEST_DURATION=$INGEST_DURATION ./k6 run --no-usage-report dist/ingest_load.js || status=$?

echo "demo: reports in $report_dir/:"
ls -1 "$report_dir"
exit "$status"
