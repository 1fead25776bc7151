#!/usr/bin/env bash
# What every application start-up and deploy Job pays: a no-op `retort upgrade head` and
# `retort current` at COUNT revisions (default 10,000), on PostgreSQL and on SQLite, the
# database up to date; with the header cache (src/script/header_cache.hpp) and without it
# (RETORT_CACHE_DIR=off: every file read), beside the floors (psql / the sqlite3 shell reading
# the version row) and dbmate's no-op when DBMATE is set. Then start-up: `retort --version` and
# `retort current` on a 10-revision project. Median of RUNS runs and the peak RSS of one.
# Starts a throwaway PostgreSQL 15 cluster (fsync=off) on a free loopback port and removes it.
# Usage: bench/noop.sh BUILD_DIR [COUNT] [RUNS]
#   DBMATE=path/to/dbmate to include dbmate (npm install --prefix DIR dbmate)
set -euo pipefail
build=$(cd "${1:?usage: bench/noop.sh BUILD_DIR [COUNT] [RUNS]}" && pwd)
count=${2:-10000}
runs=${3:-11}
retort="$build/src/cli/retort"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/throwaway_pg.sh
. "$here/throwaway_pg.sh"
# shellcheck source=bench/timing.sh
. "$here/timing.sh"
REPORT_WIDTH=52
export RETORT_CACHE_DIR="$work/cache"

recreate_db noop_retort
python3 "$here/make_history.py" "$work/pg" "$count" --db "$pg/noop_retort" >/dev/null
python3 "$here/make_history.py" "$work/lite" "$count" >/dev/null
python3 "$here/make_history.py" "$work/small" 10 >/dev/null
# Applied once, not timed, through `upgrade --sql` (the same version table and ledger as an
# online run, tests/integration/offline_sql_test.cpp) in one psql / sqlite3 session: minutes
# less than 10,000 online steps. The files are two seconds old first, as a checkout's are, so
# that the first run that reads them all writes the cache.
(cd "$work/pg/retort" && "$retort" upgrade --sql head | psql -q -X -v ON_ERROR_STOP=1 \
  -d "$pg/noop_retort" >/dev/null)
# SQLite: without an fsync per commit while applying, which the no-op runs do not measure.
(cd "$work/lite/retort" && { echo "PRAGMA synchronous = OFF;" && "$retort" upgrade --sql head; } |
  sqlite3 app.db >/dev/null)
(cd "$work/small/retort" && "$retort" -q upgrade head >/dev/null)
sleep 2.1
for dir in pg lite small; do
  (cd "$work/$dir/retort" && "$retort" current >/dev/null)
done

echo "No-op runs at $count revisions, the database up to date (median of $runs runs; peak RSS of one)"
cd "$work/pg/retort"
report "floor: psql reads the version row" \
  psql -X -At -d "$pg/noop_retort" -c "SELECT version_num FROM retort_version"
report "PostgreSQL: upgrade head, header cache" "$retort" upgrade head
report "PostgreSQL: current, header cache" "$retort" current
report "PostgreSQL: upgrade head, every file read" env RETORT_CACHE_DIR=off "$retort" upgrade head
report "PostgreSQL: current, every file read" env RETORT_CACHE_DIR=off "$retort" current
if [ -n "${DBMATE:-}" ]; then
  recreate_db noop_dbmate
  export DATABASE_URL="$pg/noop_dbmate?sslmode=disable"
  (cd "$work/pg/dbmate" && "$DBMATE" --no-dump-schema up >/dev/null)
  cd "$work/pg/dbmate"
  report "PostgreSQL: dbmate up, nothing pending" "$DBMATE" --no-dump-schema up
fi
cd "$work/lite/retort"
report "floor: sqlite3 reads the version row" sqlite3 app.db "SELECT version_num FROM retort_version"
report "SQLite: upgrade head, header cache" "$retort" upgrade head
report "SQLite: current, header cache" "$retort" current
report "SQLite: upgrade head, every file read" env RETORT_CACHE_DIR=off "$retort" upgrade head
report "SQLite: current, every file read" env RETORT_CACHE_DIR=off "$retort" current
echo
echo "Start-up (10 revisions, SQLite)"
cd "$work/small/retort"
report "floor: sqlite3 reads the version row" sqlite3 app.db "SELECT version_num FROM retort_version"
report "retort --version" "$retort" --version
report "retort current" "$retort" current
