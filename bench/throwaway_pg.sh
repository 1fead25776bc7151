# Sourced by the bench scripts: a throwaway PostgreSQL 15 cluster (fsync=off) on a free loopback
# port in a fresh temporary directory ($work), removed on exit. Defines as_pg, $pg (the server's
# URL without a database) and recreate_db NAME.
pg_bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d)
chmod 755 "$work"

# The server refuses to run as root: run it as the postgres OS user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM
pg="postgresql://postgres@127.0.0.1:$port"
export PGOPTIONS="-c client_min_messages=warning"
recreate_db() {
  psql -q -X -d "$pg/postgres" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
}
