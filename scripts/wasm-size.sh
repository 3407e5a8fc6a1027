#!/usr/bin/env bash
# Prints the size of the release .wasm in dist/, raw and gzipped; fails above the 480 KB budget.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=$(ls -S dist/*.wasm 2>/dev/null | head -n 1)
[ -n "$wasm" ] || { echo "no .wasm in dist/: run trunk build --release first" >&2; exit 1; }
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v f="$(basename "$wasm")" -v r="$raw" -v g="$gz" \
  'BEGIN { printf "release wasm: %s raw %d bytes (%.1f KB), gzipped %d bytes (%.1f KB)\n", f, r, r / 1024, g, g / 1024 }'
echo "BENCH wasm_raw_bytes=$raw"
echo "BENCH wasm_gzip_bytes=$gz"
budget=$((480 * 1024))
if [ "$gz" -gt "$budget" ]; then
  echo "release wasm is over its budget: $gz bytes gzipped, at most $budget (480 KB)" >&2
  exit 1
fi
