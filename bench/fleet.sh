#!/usr/bin/env bash
# `retort fleet upgrade head` over TENANTS schema tenants of one database, REVISIONS revisions
# each (one small CREATE TABLE), at concurrency 1, 4 and 8, beside the floor: the same SQL fed
# to one psql session (per tenant and revision one transaction with its statement and a
# version-table change). (retort at concurrency 1 - floor) / TENANTS is retort's own work per
# tenant: connections, the version table, ledger and run lock, planning.
# Starts a throwaway PostgreSQL 15 cluster (fsync=off) on a free loopback port and removes it.
# Usage: bench/fleet.sh BUILD_DIR [TENANTS] [REVISIONS]   (the issue's size: 1000 20)
set -euo pipefail
build=$(cd "${1:?usage: bench/fleet.sh BUILD_DIR [TENANTS] [REVISIONS]}" && pwd)
tenants=${2:-1000}
revisions=${3:-20}
retort="$build/src/cli/retort"
# shellcheck source=bench/throwaway_pg.sh
. "$(dirname "$0")/throwaway_pg.sh"

recreate_db fleet
proj="$work/proj"
mkdir -p "$proj/migrations/versions"
cat >"$proj/retort.toml" <<TOML
[retort]
script_location = "migrations"
url = "$pg/fleet"
[retort.backup]
when = "never"
[retort.fleet]
schemas = "t\\\\_%"
TOML
parent=""
for rev in $(seq 1 "$revisions"); do
  id=$(printf 'r%04d' "$rev")
  {
    echo "-- retort:revision $id"
    [ -n "$parent" ] && echo "-- retort:revises $parent"
    echo "-- retort:message table $rev"
    echo
    echo "-- retort:upgrade"
    echo "CREATE TABLE x_$rev (id bigint PRIMARY KEY, note text);"
    echo
    echo "-- retort:downgrade"
    echo "DROP TABLE x_$rev;"
  } >"$proj/migrations/versions/${id}_table.sql"
  parent=$id
done

fresh_schemas() {
  {
    # One statement each: one transaction dropping them all runs out of locks.
    seq -f 'DROP SCHEMA IF EXISTS t_%g CASCADE;' 1 "$tenants"
    seq -f 'CREATE SCHEMA t_%g;' 1 "$tenants"
  } | psql -q -X -d "$pg/fleet" -v ON_ERROR_STOP=1 >/dev/null
}

check_heads() {
  local at
  at=$(psql -X -At -d "$pg/fleet" -c "SELECT count(*) FROM pg_tables WHERE tablename = 'x_$revisions'")
  [ "$at" = "$tenants" ] || { echo "$at of $tenants tenants have x_$revisions" >&2; exit 1; }
}

ms() { date +%s%3N; }

# The floor: per tenant and revision a transaction with the statement and the version row.
floor_sql="$work/floor.sql"
for t in $(seq 1 "$tenants"); do
  echo "SET search_path = t_$t, public;"
  echo "CREATE TABLE retort_version (version_num varchar(64) NOT NULL PRIMARY KEY);"
  for rev in $(seq 1 "$revisions"); do
    echo "BEGIN; CREATE TABLE x_$rev (id bigint PRIMARY KEY, note text);"
    if [ "$rev" = 1 ]; then
      echo "INSERT INTO retort_version VALUES ('r0001'); COMMIT;"
    else
      printf "UPDATE retort_version SET version_num = 'r%04d'; COMMIT;\n" "$rev"
    fi
  done
done >"$floor_sql"

fresh_schemas
start=$(ms)
psql -q -X -d "$pg/fleet" -v ON_ERROR_STOP=1 -f "$floor_sql" >/dev/null
floor=$(($(ms) - start))
check_heads
echo "$tenants schema tenants x $revisions revisions"
echo "floor (one psql session): ${floor} ms"

for concurrency in 1 4 8; do
  fresh_schemas
  start=$(ms)
  (cd "$proj" && "$retort" -q fleet upgrade head --concurrency "$concurrency" >/dev/null)
  took=$(($(ms) - start))
  check_heads
  line="retort fleet --concurrency $concurrency: ${took} ms"
  if [ "$concurrency" = 1 ]; then
    one=$took
    line+=", overhead per tenant beyond the SQL: $(( (took - floor) * 1000 / tenants )) us"
  else
    line+=" ($(awk -v a="$one" -v b="$took" 'BEGIN { printf "%.1f", a / b }') times as fast as concurrency 1)"
  fi
  echo "$line"
done
