#!/usr/bin/env bash
# The worst latency an application's reads see while a migration alters the table they read
# and another transaction holds a lock on it, for plain psql, Alembic and retort, and the time
# for 32 `retort upgrade head` processes started at once to exit when nothing is pending.
#
# Part 1: a pgbench read workload (point SELECTs on a 100,000-row table `accounts`, 4 clients)
# runs for DURATION seconds. BLOCKER_AT seconds in, a blocker session reads the table and
# sleeps in its transaction for BLOCKER seconds (it holds ACCESS SHARE); one second later the
# tool runs `ALTER TABLE accounts ADD COLUMN note text`, which needs ACCESS EXCLUSIVE and so
# waits behind the blocker, and every read that arrives after it queues behind the ALTER.
# Without a lock_timeout the reads wait for the rest of the blocker's transaction; retort sets
# lock_timeout = 500ms and retries with backoff, so reads should wait at most about 500 ms.
# Per transaction latencies come from pgbench's log (-l); "during" is the slowest read whose
# run overlapped the tool's run. The baseline round has the blocker but no migration. Every
# round checks that the column exists afterwards (and not before), so a tool that did nothing
# cannot look good.
# Part 2: with the database at head, 32 `retort upgrade head` started at once: wall time until
# all have exited (median of NOOP_ROUNDS), beside one alone; each must exit 0 and the ledger
# must not grow.
#
# Starts a throwaway PostgreSQL 15 cluster (fsync=off) on a free loopback port and removes it.
# The retort binary, BUILD_DIR/src/cli/retort, is waited for (a build may still be linking it)
# and copied, so that a rebuild cannot replace it during the run.
# Usage: bench/lock_latency.sh BUILD_DIR [ROUNDS]
#   ROUNDS (default 1): rounds of the three tools, in turn, after the baseline.
#   Environment: BLOCKER (8, seconds), BLOCKER_AT (3), DURATION (25, pgbench -T),
#   RATE (1000: pgbench -R, reads per second over all clients, so the workload does not
#   saturate the machine; 0 = as fast as it can), CLIENTS (4), THREADS (2),
#   LOCK_TIMEOUT ("500ms"), LOCK_RETRIES (30), PROCS (32), NOOP_ROUNDS (5),
#   WAIT_BUILD (1800: seconds to wait for the binary).
set -euo pipefail
build=$(cd "${1:?usage: bench/lock_latency.sh BUILD_DIR [ROUNDS]}" && pwd)
rounds=${2:-1}
blocker=${BLOCKER:-8}
blocker_at=${BLOCKER_AT:-3}
duration=${DURATION:-25}
rate=${RATE:-1000}
clients=${CLIENTS:-4}
threads=${THREADS:-2}
lock_timeout=${LOCK_TIMEOUT:-500ms}
lock_retries=${LOCK_RETRIES:-30}
procs=${PROCS:-32}
noop_rounds=${NOOP_ROUNDS:-5}
wait_build=${WAIT_BUILD:-1800}
pg_bin=/usr/lib/postgresql/15/bin
pgbench=$pg_bin/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench)
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  if [ -n "${port:-}" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# The server refuses to run as root: run it as the postgres OS user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

now_us() { date +%s%6N; }

# The binary: wait until it exists, has stopped growing and runs, then take a copy.
binary="$build/src/cli/retort"
deadline=$((SECONDS + wait_build))
until [ -x "$binary" ] && size=$(stat -c %s "$binary") && sleep 2 &&
  [ "$size" = "$(stat -c %s "$binary" 2>/dev/null)" ] && "$binary" --version >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "no working $binary after ${wait_build}s" >&2; exit 1; }
  echo "waiting for $binary ..." >&2
  sleep 10
done
cp "$binary" "$work/retort"
retort="$work/retort"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
pg="postgresql://postgres@127.0.0.1:$port"
db="$pg/bench"
export PGOPTIONS="-c client_min_messages=warning"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

psql -X -q -d "$pg/postgres" -c "CREATE DATABASE bench"
sql -c "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint)" \
  -c "INSERT INTO accounts SELECT i, i * 10 FROM generate_series(1, 100000) AS i" \
  -c "VACUUM ANALYZE accounts"
printf '%s\n' '\set id random(1, 100000)' 'SELECT balance FROM accounts WHERE id = :id;' \
  >"$work/read.sql"

# The retort project.
mkdir -p "$work/retort_proj/migrations/versions"
cat >"$work/retort_proj/retort.toml" <<EOF
[retort]
script_location = "migrations"
url = "$db"
[retort.postgres]
lock_timeout = "$lock_timeout"
lock_retries = $lock_retries
EOF
cat >"$work/retort_proj/migrations/versions/aaaa00000001_add_note.sql" <<'EOF'
-- retort:revision aaaa00000001
-- retort:message add note

-- retort:upgrade
ALTER TABLE accounts ADD COLUMN note text;

-- retort:downgrade
ALTER TABLE accounts DROP COLUMN note;
EOF

# The Alembic project: one revision, run as `alembic upgrade head` with its defaults.
mkdir -p "$work/alembic_proj/versions"
cat >"$work/alembic_proj/alembic.ini" <<EOF
[alembic]
script_location = $work/alembic_proj
sqlalchemy.url = $db
EOF
cat >"$work/alembic_proj/env.py" <<'EOF'
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section),
                            prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
EOF
: >"$work/alembic_proj/script.py.mako"
cat >"$work/alembic_proj/versions/aaaa00000001_add_note.py" <<'EOF'
from alembic import op
import sqlalchemy as sa

revision = 'aaaa00000001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('accounts', sa.Column('note', sa.Text()))


def downgrade():
    op.drop_column('accounts', 'note')
EOF

has_alembic=0
/usr/bin/python3 -c 'import alembic, psycopg2' 2>/dev/null && [ -x /usr/bin/alembic ] && has_alembic=1

column_exists() {
  sql -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'accounts'::regclass
          AND attname = 'note' AND NOT attisdropped"
}
reset_db() {
  sql -c "ALTER TABLE accounts DROP COLUMN IF EXISTS note" \
    -c "DROP TABLE IF EXISTS alembic_version, retort_version, retort_log"
  [ "$(column_exists)" = 0 ] || { echo "reset failed: column note still there" >&2; exit 1; }
}

# run_round LABEL DIR CMD...: one pgbench run with the blocker and, unless CMD is empty, the
# migration; prints one line of results.
run_round() {
  local label=$1 dir=$2
  shift 2
  local logs="$work/logs/$RANDOM$RANDOM"
  mkdir -p "$logs"
  reset_db
  local rate_opt=()
  [ "$rate" != 0 ] && rate_opt=(-R "$rate")
  "$pgbench" -n -c "$clients" -j "$threads" -T "$duration" "${rate_opt[@]}" -f "$work/read.sql" \
    -l --log-prefix="$logs/tx" "$db" >"$logs/pgbench.out" 2>&1 &
  local bench_pid=$!
  sleep "$blocker_at"
  local b0 b1 m0=0 m1=0 rc=0
  b0=$(now_us)
  (
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "BEGIN" -c "SELECT count(*) FROM accounts" \
      -c "SELECT pg_sleep($blocker)" -c "COMMIT" >/dev/null
    now_us >"$logs/blocker_end"
  ) &
  local blocker_pid=$!
  if [ $# -gt 0 ]; then
    sleep 1
    m0=$(now_us)
    (cd "$dir" && "$@") >"$logs/tool.out" 2>&1 || rc=$?
    m1=$(now_us)
  fi
  wait "$blocker_pid"
  b1=$(cat "$logs/blocker_end")
  wait "$bench_pid" || { echo "pgbench failed:" >&2; cat "$logs/pgbench.out" >&2; exit 1; }
  if [ $# -gt 0 ]; then
    if [ "$rc" != 0 ]; then
      echo "$label failed (exit $rc):" >&2
      tail -n 20 "$logs/tool.out" >&2
      exit 1
    fi
    [ "$(column_exists)" = 1 ] || { echo "$label: column note missing afterwards" >&2; exit 1; }
  fi
  # pgbench -l lines: client_id transaction_no latency_us script_no epoch_s epoch_us [lag_us]
  # (the time stamp is the transaction's end; with -R its latency counts from its schedule).
  local stats
  stats=$(cat "$logs"/tx.* | awk -v m0="$m0" -v m1="$m1" '
    { end_us = $5 * 1000000 + $6; lat = $3; n++
      if (lat > max) max = lat
      if (m1 > 0 && end_us - lat < m1 && end_us > m0) { if (lat > wmax) wmax = lat; wn++ }
      if (lat > 100000) slow++ }
    END { printf "%d %d %d %d %d", max / 1000, wmax / 1000, n, wn, slow }')
  local max wmax n wn slow
  read -r max wmax n wn slow <<<"$stats"
  local mig_ms="-" left_ms="-" during="-" retries="-"
  if [ $# -gt 0 ]; then
    mig_ms=$(((m1 - m0) / 1000))
    left_ms=$(((b1 - m0) / 1000))
    during=$wmax
    retries=$(grep -c 'lock_timeout' "$logs/tool.out" || true)
  fi
  printf '  %-22s during %6s ms  whole run %6s ms  migration %6s ms  blocker %5d ms (%5s ms left at start)  lock_timeout retries %2s  reads %d (%s during, %d over 100 ms)\n' \
    "$label" "$during" "$max" "$mig_ms" $(((b1 - b0) / 1000)) "$left_ms" "$retries" "$n" \
    "${wn:-0}" "$slow"
}

echo "Part 1: pgbench reads ($clients clients, ${rate}/s, ${duration}s); a blocker holds ACCESS SHARE" \
  "for ${blocker}s from ${blocker_at}s; the migration starts 1 s after it"
echo "  (during = slowest read that overlapped the migration; whole run = slowest read of the run)"
run_round "baseline: no migration" "$work"
for round in $(seq "$rounds"); do
  run_round "psql -c (no timeout)" "$work" psql -X -v ON_ERROR_STOP=1 -d "$db" \
    -c "ALTER TABLE accounts ADD COLUMN note text"
  if [ "$has_alembic" = 1 ]; then
    run_round "alembic upgrade head" "$work/alembic_proj" /usr/bin/alembic -c alembic.ini upgrade head
  fi
  run_round "retort upgrade head" "$work/retort_proj" "$retort" upgrade head
done
echo

# Part 2: nothing pending.
reset_db
(cd "$work/retort_proj" && "$retort" -q upgrade head) >/dev/null
[ "$(column_exists)" = 1 ] || { echo "retort upgrade head: column note missing" >&2; exit 1; }
ledger_rows=$(sql -c "SELECT count(*) FROM retort_log")
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
cd "$work/retort_proj"
single=()
for _ in $(seq "$noop_rounds"); do
  start=$(now_us)
  "$retort" -q upgrade head >/dev/null
  single+=($((($(now_us) - start) / 1000)))
done
# batch: starts PROCS no-op runs at once and waits for all; fails if any did.
exec 3>&2
batch() (
  pids=()
  for i in $(seq "$procs"); do
    "$retort" -q upgrade head >"$work/noop.$i" 2>&1 &
    pids+=($!)
  done
  failed=0
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { failed=1; echo "process $((i + 1)) failed:" >&3; cat "$work/noop.$((i + 1))" >&3; }
  done
  exit "$failed"
)
# Wall time, and the CPU time (user + system) of the clients together, in seconds.
TIMEFORMAT='%3R %3U %3S'
many=() cpu=()
for _ in $(seq "$noop_rounds"); do
  { time batch; } 2>"$work/time"
  read -r real user system <"$work/time"
  many+=("$(awk -v r="$real" 'BEGIN { printf "%d", r * 1000 }')")
  cpu+=("$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%d", (u + s) * 1000 }')")
done
[ "$(sql -c "SELECT count(*) FROM retort_log")" = "$ledger_rows" ] ||
  { echo "the ledger grew during no-op runs" >&2; exit 1; }
[ "$(sql -c "SELECT version_num FROM retort_version")" = aaaa00000001 ] ||
  { echo "the version table changed during no-op runs" >&2; exit 1; }
echo "Part 2: retort upgrade head with nothing pending (median of $noop_rounds rounds)"
printf '  %-34s %6s ms  (%s)\n' "one process" "$(printf '%s\n' "${single[@]}" | median)" "${single[*]}"
printf '  %-34s %6s ms  (%s)\n' "$procs processes started at once" \
  "$(printf '%s\n' "${many[@]}" | median)" "${many[*]}"
printf '  %-34s %6s ms  (%s; CPU time of the %s clients together, user + system)\n' \
  "  their CPU time" "$(printf '%s\n' "${cpu[@]}" | median)" "${cpu[*]}" "$procs"
