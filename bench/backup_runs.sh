#!/usr/bin/env bash
# The backups a run takes before risky steps, on a history shaped like OpenMeter's: COUNT
# revisions, each creating a table, and three in five of them dropping a column or changing a
# column's type of a table made just before, or updating the rows of an older one (half-way
# back in the history). Two runs per retort binary given:
#   fresh: `retort upgrade head` on an empty database (a new install, a CI database);
#   rows:  the first half applied, 1,000 rows put in every table, then `upgrade head`.
# Prints per binary and run: backups taken, their bytes, the wall time (median of RUNS), and
# psql applying the same SQL (one transaction per revision with its version-table change).
# Starts a throwaway PostgreSQL 15 cluster (fsync=off) on a free loopback port and removes it.
# Usage: bench/backup_runs.sh COUNT RUNS RETORT_BINARY [RETORT_BINARY ...]
set -euo pipefail
count=${1:?usage: bench/backup_runs.sh COUNT RUNS RETORT_BINARY...}
runs=${2:?usage: bench/backup_runs.sh COUNT RUNS RETORT_BINARY...}
shift 2
# shellcheck source=bench/throwaway_pg.sh
. "$(dirname "$0")/throwaway_pg.sh"

# The history: retort files, and the same SQL as one psql script (floor.sql).
python3 - "$work/proj" "$count" "$pg/bench" <<'PY'
import os, sys
root, count, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
versions = os.path.join(root, "migrations", "versions")
os.makedirs(versions)
with open(os.path.join(root, "retort.toml"), "w") as out:
    out.write('[retort]\nscript_location = "migrations"\nurl = "%s"\n' % url)
floor = ["CREATE TABLE retort_version (version_num varchar(64) NOT NULL, "
         "CONSTRAINT retort_version_pkc PRIMARY KEY (version_num));"]
rid = lambda i: "%012x" % ((i * 2654435761) % 0xFFFFFFFFFFFF)
for i in range(count):
    sql = ["CREATE TABLE t_%d (id bigint PRIMARY KEY, a text, b text, c int);" % i]
    risky = ""
    if i % 5 == 1:
        sql.append("ALTER TABLE t_%d DROP COLUMN b;" % (i - 1))
    elif i % 5 == 2:
        sql.append("ALTER TABLE t_%d ALTER COLUMN c TYPE bigint;" % (i - 2))
    elif i % 5 == 3:
        sql.append("UPDATE t_%d SET a = upper(a);" % (i // 2))
    header = "-- retort:revision %s\n" % rid(i)
    if i:
        header += "-- retort:revises %s\n" % rid(i - 1)
    header += "-- retort:message step %d\n" % i
    header += "-- retort:lint-ignore PG204 PG206 PG302 -- measured: the backups before them\n"
    with open(os.path.join(versions, "%s_step_%d.sql" % (rid(i), i)), "w") as out:
        out.write(header + "\n-- retort:upgrade\n" + "\n".join(sql) + "\n")
    version = ("INSERT INTO retort_version VALUES ('%s');" % rid(i) if i == 0 else
               "UPDATE retort_version SET version_num = '%s' WHERE version_num = '%s';"
               % (rid(i), rid(i - 1)))
    floor.append("BEGIN;\n" + "\n".join(sql) + "\n" + version + "\nCOMMIT;")
with open(os.path.join(root, "floor.sql"), "w") as out:
    out.write("\n".join(floor) + "\n")
with open(os.path.join(root, "half.txt"), "w") as out:
    out.write(rid(count // 2 - 1))
PY
proj="$work/proj"
half=$(cat "$proj/half.txt")
# 1,000 rows in every table that exists.
fill_rows() {
  psql -q -X -d "$pg/bench" <<'SQL' >/dev/null
DO $$ DECLARE t text; BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE tablename LIKE 't\_%' LOOP
    EXECUTE format('INSERT INTO %I (id, a) SELECT g, md5(g::text) FROM generate_series(1, 1000) g', t);
  END LOOP;
END $$;
SQL
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now_ms() { date +%s%3N; }

echo "history: $count revisions, $(grep -lE 'DROP COLUMN|TYPE bigint|UPDATE' "$proj"/migrations/versions/*.sql | wc -l) with a risky statement"
# psql, the floor: the same SQL, fresh.
times=()
for _ in $(seq "$runs"); do
  recreate_db bench
  start=$(now_ms)
  psql -q -X -v ON_ERROR_STOP=1 -d "$pg/bench" -f "$proj/floor.sql" >/dev/null
  times+=($(($(now_ms) - start)))
done
printf '%-10s %-6s %8s %12s %10s\n' run tool backups bytes ms
printf '%-10s %-6s %8s %12s %10s\n' fresh psql - - "$(printf '%s\n' "${times[@]}" | median)"

tool=0
for retort in "$@"; do
  tool=$((tool + 1))
  cd "$proj"
  for run in fresh rows; do
    times=() backups=0 bytes=0
    for _ in $(seq "$runs"); do
      recreate_db bench
      rm -rf "$proj/backups"
      if [ "$run" = rows ]; then
        # The first half, not measured and without backups, then rows everywhere.
        cp retort.toml retort.toml.bak
        printf '[retort.backup]\nwhen = "never"\n' >> retort.toml
        "$retort" -q upgrade "$half"
        mv retort.toml.bak retort.toml
        fill_rows
      fi
      start=$(now_ms)
      "$retort" -q upgrade head
      times+=($(($(now_ms) - start)))
      backups=0 bytes=0
      if [ -d "$proj/backups" ]; then
        backups=$(find "$proj/backups" -type f | wc -l)
        bytes=$(du -sb "$proj/backups" | cut -f1)
      fi
      tables=$(psql -X -At -d "$pg/bench" -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\\_%'")
      [ "$tables" = "$count" ] || { echo "retort $tool $run: $tables tables, expected $count" >&2; exit 1; }
    done
    printf '%-10s %-6s %8s %12s %10s\n' "$run" "r$tool" "$backups" "${bytes:-0}" \
      "$(printf '%s\n' "${times[@]}" | median)"
  done
done
echo "r1, r2, ...: the retort binaries in the order given"
