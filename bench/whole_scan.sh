#!/usr/bin/env bash
# Whole-process benchmark: simulate a 1800-projection × 64-row × 2048-column scan, then time
# `tomoedge recon` on it and report its peak memory (GNU time's maximum resident set size).
#   bench/whole_scan.sh [WORK_DIR]        (needs about 1 GB free in WORK_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TOMO_BUILD_DIR:-build}/cli/tomoedge
work=${1:-$(mktemp -d)}
mkdir -p "$work"
scan="$work/bench.tdf"
source bench/measure.sh  # measure LABEL COMMAND...
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(lscpu | sed -n 's/^Model name: *//p')"
measure simulate "$bin" simulate --out "$scan" --projections 1800 --rows 64 --columns 2048 --seed 1
measure recon "$bin" recon "$scan" --out "$work/slices" --filter shepp-logan
measure recon-hdf5-2G "$bin" recon "$scan" --out "$work/volume" --format hdf5 --memory 2G
grep -h "reconstructed" "$work"/recon*.log
rm -rf "$work/slices" "$work/volume" "$scan" "$scan.truth.h5"
