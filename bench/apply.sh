#!/usr/bin/env bash
# Applying COUNT small migrations (one CREATE TABLE each) to a fresh PostgreSQL database and to
# a fresh SQLite file: retort beside the floor (the same SQL fed to one psql / sqlite3 session,
# one transaction per migration with its version-table change), Alembic and dbmate.
# Starts a throwaway PostgreSQL 15 cluster (fsync=off) on a free loopback port and removes it.
# Usage: bench/apply.sh BUILD_DIR [COUNT] [RUNS]
#   DBMATE=path/to/dbmate to include dbmate (npm install --prefix DIR dbmate);
#   ALEMBIC_RUNS (default 3): Alembic takes seconds per run.
set -euo pipefail
build=$(cd "${1:?usage: bench/apply.sh BUILD_DIR [COUNT] [RUNS]}" && pwd)
count=${2:-1000}
runs=${3:-7}
alembic_runs=${ALEMBIC_RUNS:-3}
retort="$build/src/cli/retort"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/throwaway_pg.sh
. "$(dirname "$0")/throwaway_pg.sh"

python3 "$here/make_history.py" "$work/pg_proj" "$count" --db "$pg/bench_retort" \
  --alembic-db "$pg/bench_alembic"
python3 "$here/make_history.py" "$work/lite_proj" "$count"

# Each tool is a label, a command that prepares a fresh database, the timed command and a
# check that all COUNT tables exist afterwards (so a run that did nothing is caught). Rounds
# run every tool once, in turn, so that load from elsewhere on the machine falls on all of
# them alike; each tool's median and fastest run are printed, with its largest peak RSS.
labels=() prepares=() commands=() checks=() dirs=() limits=()
add_tool() {  # LABEL DIR PREPARE CHECK MAX_RUNS CMD...
  labels+=("$1") dirs+=("$2") prepares+=("$3") checks+=("$4") limits+=("$5")
  shift 5
  commands+=("$(printf '%q ' "$@")")
}

verify_pg() {
  local tables
  tables=$(psql -X -At -d "$pg/$1" -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\\_%'")
  [ "$tables" = "$count" ] || { echo "$1: $tables tables, expected $count" >&2; exit 1; }
}
verify_lite() {
  local tables
  tables=$(sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'")
  [ "$tables" = "$count" ] || { echo "$1: $tables tables, expected $count" >&2; exit 1; }
}

run_group() {  # TITLE: runs the tools added since the last group, then forgets them
  echo "$1"
  local n=${#labels[@]} round idx
  declare -A times peaks
  for round in $(seq "$runs"); do
    for idx in $(seq 0 $((n - 1))); do
      [ "$round" -le "${limits[$idx]}" ] || continue
      cd "${dirs[$idx]}"
      eval "${prepares[$idx]}"
      local start end rss
      start=$(date +%s%N)
      if ! eval "/usr/bin/time -o '$work/rss' -f '%M' ${commands[$idx]}" >"$work/out" 2>&1; then
        echo "${labels[$idx]} failed:" >&2
        tail -n 20 "$work/out" >&2
        exit 1
      fi
      end=$(date +%s%N)
      eval "${checks[$idx]}"
      times[$idx]+="$(((end - start) / 1000000)) "
      rss=$(tail -n 1 "$work/rss")
      [ "$rss" -gt "${peaks[$idx]:-0}" ] && peaks[$idx]=$rss
    done
  done
  for idx in $(seq 0 $((n - 1))); do
    local sorted k
    sorted=$(printf '%s\n' ${times[$idx]} | sort -n)
    k=$(printf '%s\n' "$sorted" | wc -l)
    printf '  %-30s median %6s ms  fastest %6s ms  peak %6s KiB  (%s runs: %s)\n' "${labels[$idx]}" \
      "$(printf '%s\n' "$sorted" | sed -n "$(((k + 1) / 2))p")" "$(printf '%s\n' "$sorted" | head -n 1)" \
      "${peaks[$idx]}" "$k" "$(printf '%s\n' "$sorted" | tr '\n' ' ')"
  done
  labels=() prepares=() commands=() checks=() dirs=() limits=()
  echo
}

echo "Applying $count migrations, one CREATE TABLE each; peak RSS is the client's"
echo

add_tool "floor: psql, one session" "$work" "recreate_db bench_floor" "verify_pg bench_floor" \
  "$runs" psql -q -X -v ON_ERROR_STOP=1 -d "$pg/bench_floor" -f "$work/pg_proj/floor.sql"
add_tool "retort upgrade head" "$work/pg_proj/retort" "recreate_db bench_retort" \
  "verify_pg bench_retort" "$runs" "$retort" -q upgrade head
if [ -n "${DBMATE:-}" ]; then
  add_tool "dbmate migrate" "$work/pg_proj/dbmate" "recreate_db bench_dbmate" \
    "verify_pg bench_dbmate" "$runs" "$DBMATE" --no-dump-schema \
    --url "postgres://postgres@127.0.0.1:$port/bench_dbmate?sslmode=disable" migrate
fi
if /usr/bin/python3 -c 'import alembic, psycopg2' 2>/dev/null; then
  add_tool "alembic upgrade head" "$work/pg_proj/alembic" "recreate_db bench_alembic" \
    "verify_pg bench_alembic" "$alembic_runs" /usr/bin/alembic -c alembic.ini upgrade head
fi
run_group "PostgreSQL 15 (fsync=off, 127.0.0.1)"

add_tool "floor: sqlite3 shell" "$work/lite_proj" "rm -f floor.db" "verify_lite floor.db" \
  "$runs" sqlite3 -bail floor.db ".read floor.sql"
add_tool "retort upgrade head" "$work/lite_proj/retort" "rm -f app.db" "verify_lite app.db" \
  "$runs" "$retort" -q upgrade head
if [ -n "${DBMATE:-}" ]; then
  add_tool "dbmate migrate" "$work/lite_proj/dbmate" "rm -f app.db" "verify_lite app.db" \
    "$runs" "$DBMATE" --no-dump-schema --url "sqlite:app.db" migrate
fi
if /usr/bin/python3 -c 'import alembic' 2>/dev/null; then
  add_tool "alembic upgrade head" "$work/lite_proj/alembic" "rm -f app.db" "verify_lite app.db" \
    "$alembic_runs" /usr/bin/alembic -c alembic.ini upgrade head
fi
run_group "SQLite (default journal, synchronous=FULL)"
