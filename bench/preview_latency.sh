#!/usr/bin/env bash
# The interactive preview's figures (bench/RESULTS.md, "Interactive preview (issue 8)"):
#   1. server-side time of a cor_offset change with a warm cache (build/bench/preview_latency)
#      against an uncached SliceSweep of the same slice, for a 2048-column × 1800-projection slice,
#      a 1024-column scan with every 2nd projection, and a 2048-column slice with phase retrieval;
#   2. 50 clients at once against `tomoedge serve` (bench/preview_load.py).
# Usage: bench/preview_latency.sh [BUILD_DIR]   (default build; scans go to BUILD_DIR/bench-data)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=$build/bench-data
mkdir -p "$data"
tomoedge=$build/cli/tomoedge
simulate() {  # FILE ARGS...
  [ -f "$data/$1" ] || "$tomoedge" simulate --out "$data/$1" --no-truth "${@:2}" >/dev/null
}
simulate wide_dx.h5 --layout dx --projections 1800 --rows 4 --columns 2048
simulate narrow_dx.h5 --layout dx --projections 1800 --rows 4 --columns 1024
simulate wide_dx32.h5 --layout dx --projections 1800 --rows 48 --columns 2048

echo "== server-side latency of a cor_offset change"
"$build/bench/preview_latency" "$data/wide_dx.h5" --repeats 9
"$build/bench/preview_latency" "$data/narrow_dx.h5" --step 2 --repeats 9
"$build/bench/preview_latency" "$data/wide_dx32.h5" --repeats 5 --delta-beta 200

echo "== 50 clients at once"
port=${TOMO_BENCH_PORT:-18431}
db=$(mktemp -d)
"$tomoedge" serve --listen 127.0.0.1:$port --data-root "$(realpath "$data")" --db "$db/db" >"$db/serve.log" 2>&1 &
serve=$!
trap 'kill $serve; wait $serve || true; rm -rf "$db"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.2; done
abs=$(realpath "$data")
python3 bench/preview_load.py --url "http://127.0.0.1:$port" --clients 50 --requests 6 \
  --params '{"projection_step": 2}' "$abs/narrow_dx.h5"
python3 bench/preview_load.py --url "http://127.0.0.1:$port" --clients 50 --requests 4 "$abs/wide_dx.h5" "$abs/narrow_dx.h5"
echo "serve's peak resident memory: $(grep VmHWM /proc/$serve/status)"
