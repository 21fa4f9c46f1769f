#!/usr/bin/env bash
# The full-size benchmark of the speed issue: simulate an STP-sized scan (1800 projections ×
# 1800 rows × 2048 columns, 13 GB of uint16) and time `tomoedge recon --method gridrec` on it end
# to end, writing float32 slices (30 GB) and then uint16 (15 GB), with the peak memory.
#   bench/full_scan.sh [WORK_DIR]      (needs about 60 GB free in WORK_DIR)
# ROWS=… and PROJECTIONS=… make it smaller for a trial run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TOMO_BUILD_DIR:-build}/cli/tomoedge
work=${1:-$(mktemp -d)}
rows=${ROWS:-1800}
projections=${PROJECTIONS:-1800}
mkdir -p "$work"
scan="$work/full.tdf"
source bench/measure.sh  # measure LABEL COMMAND...
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(lscpu | sed -n 's/^Model name: *//p')"
echo "scan: $projections projections x $rows rows x 2048 columns"
measure simulate "$bin" simulate --out "$scan" --projections "$projections" --rows "$rows" --columns 2048 --seed 1 --no-truth
du -h "$scan"
measure gridrec-float32 "$bin" recon "$scan" --out "$work/float32" --method gridrec
du -sh "$work/float32" && rm -rf "$work/float32"
measure gridrec-uint16 "$bin" recon "$scan" --out "$work/uint16" --method gridrec --output-type uint16 --range 0:0.005
du -sh "$work/uint16" && rm -rf "$work/uint16"
grep -h "reconstructed\|rows per slab" "$work"/gridrec*.log || true
rm -f "$scan"
