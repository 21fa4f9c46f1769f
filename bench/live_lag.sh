#!/usr/bin/env bash
# Live reconstruction against batch: `simulate --stream` writes a scan at RATE projections per
# second while `recon --follow` reconstructs it; the lag is from the last projection written
# (the writer's exit) to the last slice written (the follower's job_done event). The same finished
# scan is then reconstructed in batch, with the same direct method, for comparison.
#   bench/live_lag.sh WORK_DIR [RATE...]      (default rates: 100 200 300)
#   ROWS=64 COLUMNS=1024 PROJECTIONS=900 MEMORY=4G bench/live_lag.sh /tmp/lag 150
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:?give a work folder}; shift
rates=("$@")
[ $# -eq 0 ] && rates=(100 200 300)
rows=${ROWS:-64} columns=${COLUMNS:-1024} projections=${PROJECTIONS:-900} memory=${MEMORY:-4G}
bin=${TOMOEDGE:-build/cli/tomoedge}
source bench/measure.sh
mkdir -p "$work"
echo "scan: $projections projections x $rows rows x $columns columns; memory budget $memory; $(nproc) cores"
for rate in "${rates[@]}"; do
  scan="$work/live_$rate.h5"
  rm -rf "$scan" "$scan.truth.h5" "$work/live_$rate" "$work/batch_$rate"
  # The follower first: it waits for the scan to appear.
  /usr/bin/time -f "%e %M" -o "$work/follow_$rate.time" "$bin" recon "$scan" --follow --method fbp --memory "$memory" \
    --out "$work/live_$rate" --events "$work/events_$rate.jsonl" --stall-timeout 120 > "$work/follow_$rate.log" 2>&1 &
  follower=$!
  started=$(date +%s.%N)
  "$bin" simulate --stream --rate "$rate" --stream-block 1 --no-truth --out "$scan" --rows "$rows" --columns "$columns" \
    --projections "$projections" > "$work/stream_$rate.log" 2>&1
  written=$(date +%s.%N)
  wait "$follower" || { cat "$work/follow_$rate.log"; exit 1; }
  python3 - "$work/events_$rate.jsonl" "$started" "$written" "$rate" "$work/follow_$rate.time" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
started, written, rate = float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
done = next(e["time"] for e in events if e["event"] == "job_done")
first = min(e["time"] for e in events if e["event"] == "projections_accumulated")
wall, rss = open(sys.argv[5]).read().split()
print(f"rate {rate}/s: acquisition {written - started:.2f} s (first projections accumulated at {first - started:.2f} s); "
      f"lag from the last projection written to the last slice written {done - written:.2f} s; "
      f"follower peak RSS {int(rss) / 1024:.0f} MiB")
PY
  measure "batch_$rate" "$bin" recon "$scan" --method fbp --memory "$memory" --out "$work/batch_$rate"
done
