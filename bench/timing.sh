# shellcheck shell=bash
# Sourced by the bench scripts: whole-command timing. Needs $runs (how many runs a median takes);
# REPORT_WIDTH sets the label column (default 44).
: "${runs:?set runs before sourcing bench/timing.sh}"

# median_ms CMD...: runs the command RUNS times and prints the median wall time in ms.
median_ms() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

# peak_kb CMD...: the maximum resident set size of one run, in KiB.
peak_kb() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

# report LABEL CMD...: one line with the median wall time and the peak RSS.
report() {
  local label=$1
  shift
  printf "%-${REPORT_WIDTH:-44}s %6s ms  %7s KiB\n" "$label" "$(median_ms "$@")" "$(peak_kb "$@")"
}
