#!/usr/bin/env bash
# Whole-command timings at 10,000 revisions: retort heads, history, a no-op upgrade head and
# current on an up-to-date SQLite database, beside `alembic heads` and `alembic history` on
# the same graph. Prints the median of RUNS runs and the peak RSS of one run.
# Usage: bench/commands.sh BUILD_DIR [COUNT] [RUNS]   (BUILD_DIR with -DRETORT_BUILD_BENCHMARKS=ON)
set -euo pipefail
build=$(cd "${1:?usage: bench/commands.sh BUILD_DIR [COUNT] [RUNS]}" && pwd)
count=${2:-10000}
runs=${3:-11}
retort="$build/src/cli/retort"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/make_history.py" "$work" "$count" --shape linear
python3 "$here/make_history.py" "$work/branchy" "$count" --shape branchy

# shellcheck source=bench/timing.sh
. "$here/timing.sh"

echo "retort at $count revisions (median of $runs runs; peak RSS of one)"
# The least any tool that reads every file can do: open, read and close each one.
report "floor: read every file (bench/read_floor)" "$build/bench/read_floor" \
  "$work/retort/migrations/versions"
cd "$work/retort"
report "retort heads (linear)" "$retort" heads
report "retort history (linear)" "$retort" history
"$retort" -q upgrade head >/dev/null 2>&1 || { echo "upgrade head failed"; exit 1; }
report "retort upgrade head, nothing pending" "$retort" upgrade head
report "retort current" "$retort" current
# The least a command that reads the version row can do: SQLite parses the schema of the
# database (here 10,000 tables) before its first statement.
report "floor: sqlite3 shell reads the version row" sqlite3 app.db \
  "SELECT version_num FROM retort_version"
cd "$work/branchy/retort"
report "retort heads (branchy, with merges)" "$retort" heads
report "retort history (branchy, with merges)" "$retort" history

if [ -x /usr/bin/alembic ]; then
  alembic_runs=3
  runs=$alembic_runs
  cd "$work/alembic"
  report "alembic heads (linear, $alembic_runs runs)" /usr/bin/alembic -c alembic.ini heads
  report "alembic history (linear, $alembic_runs runs)" /usr/bin/alembic -c alembic.ini history
  cd "$work/branchy/alembic"
  report "alembic heads (branchy, $alembic_runs runs)" /usr/bin/alembic -c alembic.ini heads
fi
