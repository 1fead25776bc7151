#!/usr/bin/env bash
# `retort graph` on an N-revision branchy history (bench/make_history.py): each format, collapsed
# and --full, the median of RUNS runs; the time includes reading the N files.
# Usage: bench/graph.sh BUILD_DIR [N=1000] [RUNS=5]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build=$(cd "$1" && pwd)
count=${2:-1000}
RUNS=${3:-5}
retort="$build/src/cli/retort"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/make_history.py" "$work" "$count" --shape branchy >/dev/null
cd "$work/retort"
median() { # the median wall time of RUNS runs of "$@", in ms
  local times=()
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
printf '%-28s %8s\n' "command ($count revisions)" "median ms"
for format in ascii mermaid dot svg; do
  printf '%-28s %8s\n' "graph --format $format" "$(median "$retort" graph --format "$format")"
  printf '%-28s %8s\n' "graph --format $format --full" \
    "$(median "$retort" graph --format "$format" --full)"
done
printf '%-28s %8s\n' "history (reading alone)" "$(median "$retort" history)"
printf 'nodes drawn: %s collapsed, %s full\n' \
  "$("$retort" graph --format dot | grep -c '\[label=')" \
  "$("$retort" graph --format dot --full | grep -c '\[label=')"
