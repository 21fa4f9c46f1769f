# Sourced by the whole-process benchmarks: `measure LABEL COMMAND...` runs COMMAND under GNU time
# with its output in $work/LABEL.log, and prints the wall seconds and the peak memory (maximum
# resident set size); on failure it prints the logs and exits.
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label: wall %e s, peak RSS %M KiB, user %U s, sys %S s" "$@" > "$work/$label.log" 2> "$work/$label.time" \
    || { cat "$work/$label.log" "$work/$label.time"; exit 1; }
  tail -n 1 "$work/$label.time"
}
