#!/usr/bin/env bash
# `retort squash` at size: a linear history of REVISIONS revisions (a table, a column, an index,
# a view, a column with a default, in turn, as tests/schema/squash_test.cpp writes them),
# squashed up to the one before last, on throwaway databases of a dev_url server. Prints the
# median wall time of RUNS runs beside `retort schema dump --rev` of the same point (one build of
# the history alone), the peak RSS, and how one run's time splits (the history built to R, the
# plan, the proof: the squash built, compared by the model and pg_dump, downgraded, and the
# revisions after R applied on both). The goal (issue #19): 300 revisions in under 10 s.
# Usage: bench/squash.sh BUILD_DIR [REVISIONS] [RUNS]
set -euo pipefail
build=$(cd "${1:?usage: bench/squash.sh BUILD_DIR [REVISIONS] [RUNS]}" && pwd)
revisions=${2:-300}
runs=${3:-5}
retort="$build/src/cli/retort"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/throwaway_pg.sh
. "$here/throwaway_pg.sh"

recreate_db target
project="$work/project"
mkdir -p "$project/migrations/versions"
cat >"$project/retort.toml" <<TOML
[retort]
script_location = "migrations"
url = "$pg/target"

[retort.schema]
dev_url = "$pg/postgres"
TOML

python3 - "$revisions" "$project/migrations/versions" <<'PY'
import sys
n, versions = int(sys.argv[1]), sys.argv[2]
for i in range(1, n + 1):
    base = i - (i - 1) % 5
    t = f"t{base}"
    kind = (i - 1) % 5
    if kind == 0:
        up, down = f"CREATE TABLE {t} (id integer PRIMARY KEY, name text NOT NULL);", f"DROP TABLE {t};"
    elif kind == 1:
        up, down = f"ALTER TABLE {t} ADD COLUMN c{i} integer;", f"ALTER TABLE {t} DROP COLUMN c{i};"
    elif kind == 2:
        up, down = f"CREATE INDEX {t}_c ON {t} (c{i - 1});", f"DROP INDEX {t}_c;"
    elif kind == 3:
        up, down = f"CREATE VIEW v{i} AS SELECT id, name FROM {t};", f"DROP VIEW v{i};"
    else:
        up = f"ALTER TABLE {t} ADD COLUMN d{i} text NOT NULL DEFAULT 'x';"
        down = f"ALTER TABLE {t} DROP COLUMN d{i};"
    rev = f"r{i:04d}"
    header = f"-- retort:revision {rev}\n"
    if i > 1:
        header += f"-- retort:revises r{i - 1:04d}\n"
    header += "-- retort:message step\n"
    with open(f"{versions}/{rev}_step.sql", "w") as out:
        out.write(header + "\n-- retort:upgrade\n" + up + "\n\n-- retort:downgrade\n" + down + "\n")
PY

cd "$project"
to=$(printf 'r%04d' $((revisions - 2)))
REPORT_WIDTH=60
# shellcheck source=bench/timing.sh
. "$here/timing.sh"

squash() {
  "$retort" squash --to "$to" --rev-id s1 >/dev/null
  rm -f migrations/versions/s1_*.sql
}

echo "history: $revisions revisions, squashed up to $to; median of $runs"
report "retort schema dump --rev $to (the history built, read)" "$retort" schema dump --rev "$to"
median=$(median_ms squash)
peak=$(peak_kb "$retort" squash --to "$to" --rev-id s1)
rm -f migrations/versions/s1_*.sql
printf "%-${REPORT_WIDTH}s %6s ms  %7s KiB\n" "retort squash --to $to (proved, written)" "$median" "$peak"
"$retort" --json squash --to "$to" --rev-id s1 | python3 -c '
import json, sys
doc = json.load(sys.stdin)
t = doc["timings_ms"]
print("one run: history built to R and read %d ms, plan %d ms, proof %d ms; %d revisions replaced"
      % (t["build"], t["plan"], t["verify"], len(doc["replaced"])))'
rm -f migrations/versions/s1_*.sql
