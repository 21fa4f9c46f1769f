#!/usr/bin/env bash
# The service under load (issue 7): JOBS small jobs submitted at once to `tomoedge serve`.
# Makes one small simulated scan, starts serve on a free port with --concurrent-jobs C, submits
# the jobs from several threads (each to its own output folder, priorities drawn from a few
# levels) and times every POST; meanwhile another thread polls GET /api/jobs/ID and
# GET /api/health and times those, and the serve process's VmRSS is sampled every 0.2 s.
# When every job is done (the script fails if one failed) it reports: wall time from the first
# submit to the last job finished, jobs/s, median/p95/max latency of POST and of the GETs, peak RSS
# (sampled VmRSS and VmHWM at the end), priority-order violations and the most jobs ever running
# at once (must be <= C). The analysis is in bench/service_load.py (Python standard library only).
#
#   bench/service_load.sh                    (from the repository root)
#   CONCURRENT_JOBS=4 JOBS=200 SUBMIT_THREADS=8 PRIORITIES=0,1,2,3 bench/service_load.sh
#   ROWS=8 COLUMNS=64 PROJECTIONS=90 SUMMARY=/tmp/run1.json KEEP=1 bench/service_load.sh
# Environment: TOMOEDGE (binary, default build/cli/tomoedge), CONCURRENT_JOBS (2), JOBS (200),
# SUBMIT_THREADS (8), PRIORITIES (comma-separated levels, default 0,1,2,3; higher runs sooner),
# SEED (1, for the priorities), ROWS/COLUMNS/PROJECTIONS (scan size, default 8/64/90),
# METHOD (fbp), TIMEOUT (seconds to wait for the jobs, 600), SUMMARY (also write the figures
# as JSON here), KEEP=1 (keep the scratch folder under /tmp and print where it is).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${TOMOEDGE:-build/cli/tomoedge}
concurrent=${CONCURRENT_JOBS:-2}
jobs=${JOBS:-200}
threads=${SUBMIT_THREADS:-8}
priorities=${PRIORITIES:-0,1,2,3}
seed=${SEED:-1}
rows=${ROWS:-8} columns=${COLUMNS:-64} projections=${PROJECTIONS:-90}
method=${METHOD:-fbp}
timeout=${TIMEOUT:-600}
[ -x "$bin" ] || { echo "service_load: no binary at $bin (build first, or set TOMOEDGE)" >&2; exit 1; }
bin=$(realpath "$bin")

scratch=$(mktemp -d /tmp/service_load.XXXXXX)
serve_pid=""
cleanup() {
  local status=$?
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "service_load: scratch kept in $scratch" >&2; else rm -rf "$scratch"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== tomoedge service under load: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) cores; $(uname -a)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $bin ($("$bin" --version 2>&1 | head -1))"
echo "load: $jobs jobs, method $method, priorities {$priorities}, $threads submitting threads, --concurrent-jobs $concurrent"

data="$scratch/data"
mkdir -p "$data/out"
"$bin" simulate --out "$data/scan.tdf" --rows "$rows" --columns "$columns" --projections "$projections" \
  --seed 1 --no-truth > "$scratch/simulate.log" 2>&1 || { cat "$scratch/simulate.log" >&2; exit 1; }
echo "scan: $projections projections x $rows rows x $columns columns, $(stat -c %s "$data/scan.tdf") bytes"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$bin" serve --listen "127.0.0.1:$port" --data-root "$data" --db "$scratch/db" --concurrent-jobs "$concurrent" \
  > "$scratch/serve.out" 2> "$scratch/serve.err" &
serve_pid=$!
url=""
for _ in $(seq 100); do
  url=$(head -n1 "$scratch/serve.out" 2>/dev/null || true)
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { echo "service_load: serve exited:" >&2; tail -20 "$scratch/serve.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "service_load: serve printed no URL in 10 s" >&2; tail -20 "$scratch/serve.err" >&2; exit 1; }
echo "serve: pid $serve_pid at $url"

python3 bench/service_load.py --url "$url" --pid "$serve_pid" --input "$data/scan.tdf" --out-root "$data/out" \
  --jobs "$jobs" --threads "$threads" --priorities "$priorities" --seed "$seed" --method "$method" \
  --concurrent "$concurrent" --timeout "$timeout" ${SUMMARY:+--summary "$SUMMARY"} || {
  status=$?
  echo "service_load: failed; the end of serve's log:" >&2
  tail -20 "$scratch/serve.err" >&2
  exit "$status"
}
