#!/usr/bin/env bash
# One migration of N statements (a table per 100 statements, then rows and columns added to it)
# through `retort upgrade`, `retort upgrade --sql` and `retort lint`, beside psql running the
# same statements in one transaction (the floor). The time of each must grow as N does, not
# faster: 10k, 20k, 40k statements took 1.7, 7.3 and 31.8 s of `--sql` before (issue #24).
# Starts a throwaway PostgreSQL 15 cluster (fsync=off) on a free loopback port and removes it.
# Usage: bench/statements.sh BUILD_DIR [COUNTS] [RUNS]   (COUNTS: "10000 20000 40000 100000")
set -euo pipefail
build=$(cd "${1:?usage: bench/statements.sh BUILD_DIR [COUNTS] [RUNS]}" && pwd)
counts=${2:-10000 20000 40000 100000}
runs=${3:-3}
retort="$build/src/cli/retort"
# shellcheck source=bench/throwaway_pg.sh
. "$(dirname "$0")/throwaway_pg.sh"

# write_project DIR N: a retort project whose one revision holds N statements, and DIR/floor.sql
# with the same statements for psql.
write_project() {
  mkdir -p "$1/migrations/versions"
  printf '[retort]\nscript_location = "migrations"\nurl = "%s"\n' "$pg/stmts" >"$1/retort.toml"
  python3 - "$1" "$2" <<'EOF'
import sys
root, count = sys.argv[1], int(sys.argv[2])
lines = []
for i in range(count):
    table = f"s_{i // 100}"
    k = i % 100
    if k == 0:
        lines.append(f"CREATE TABLE {table} (id integer PRIMARY KEY, v text);")
    elif k % 10 == 1:
        lines.append(f"ALTER TABLE {table} ADD COLUMN c{k} integer;")
    else:
        lines.append(f"INSERT INTO {table} (id, v) VALUES ({k}, 'row {k} of {table}');")
body = "\n".join(lines) + "\n"
with open(f"{root}/floor.sql", "w") as f:
    f.write(body)
with open(f"{root}/migrations/versions/000000000001_statements.sql", "w") as f:
    f.write("-- retort:revision 000000000001\n-- retort:message statements\n\n"
            "-- retort:upgrade\n" + body)
EOF
}

# timed CMD...: wall ms of one run, printed; the peak RSS (KiB) goes to $work/rss.
timed() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -o "$work/rss" -f '%M' "$@" >/dev/null 2>"$work/err" || {
    echo "failed: $*" >&2
    tail -n 20 "$work/err" >&2
    exit 1
  }
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

printf '%-8s %-28s %9s %9s %9s\n' statements command "median ms" "vs psql" "peak KiB"
for n in $counts; do
  dir="$work/n$n"
  write_project "$dir" "$n"
  cd "$dir"
  declare -A times=() peaks=()
  for _ in $(seq "$runs"); do
    # Each tool in turn, round after round, so that load from elsewhere falls on all alike.
    recreate_db stmts
    times[psql]+="$(timed psql -X -q -1 -v ON_ERROR_STOP=1 -d "$pg/stmts" -f floor.sql) "
    peaks[psql]=$(tail -n 1 "$work/rss")
    recreate_db stmts
    times[upgrade]+="$(timed "$retort" -q upgrade head) "
    peaks[upgrade]=$(tail -n 1 "$work/rss")
    tables=$(psql -X -At -d "$pg/stmts" -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 's\\_%'")
    [ "$tables" = "$(((n + 99) / 100))" ] || { echo "upgrade left $tables tables" >&2; exit 1; }
    times[sql]+="$(timed "$retort" upgrade --sql head) "
    peaks[sql]=$(tail -n 1 "$work/rss")
    # lint exits 1 when it finds something to report; the time is what is measured here.
    times[lint]+="$(timed sh -c "\"$retort\" lint --json >/dev/null; [ \$? -le 1 ]") "
    peaks[lint]=$(tail -n 1 "$work/rss")
  done
  # The runs' times, one word each: split on purpose.
  # shellcheck disable=SC2086
  floor=$(median ${times[psql]})
  for tool in psql upgrade sql lint; do
    case $tool in
      psql) label="psql -1 -f (the floor)" ;;
      upgrade) label="retort upgrade head" ;;
      sql) label="retort upgrade --sql head" ;;
      lint) label="retort lint --json" ;;
    esac
    # shellcheck disable=SC2086
    m=$(median ${times[$tool]})
    printf '%-8s %-28s %9s %9s %9s\n' "$n" "$label" "$m" \
      "$(awk -v a="$m" -v b="$floor" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')" \
      "${peaks[$tool]}"
  done
  unset times peaks
  cd "$work"
done
