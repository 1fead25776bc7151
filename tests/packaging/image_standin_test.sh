#!/usr/bin/env bash
# deploy/kubernetes/image-standin.sh, the image's stages without a container builder: the .deb
# in a fresh root, a SQLite application's files copied in, and the Job's script (preflight, then
# upgrade head) run there as the image's user; then run again, which finds nothing to do.
# Usage: image_standin_test.sh PACKAGE_DIR VERSION
set -euo pipefail
packages=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091 # beside this file
source "$here/project.sh"
deb=$packages/retort_${version}_$(dpkg --print-architecture).deb
standin=$here/../../deploy/kubernetes/image-standin.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
# The application's files, as its repository holds them.
mkdir -p "$work/app/migrations/versions"
printf '[retort]\nscript_location = "migrations"\nurl = "sqlite:///app.db"\n' >"$work/app/retort.toml"
cat >"$work/app/migrations/versions/a1b2c3d4e5f6_create_users.sql" <<'SQL'
-- retort:revision a1b2c3d4e5f6
-- retort:message create users

-- retort:upgrade
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);

-- retort:downgrade
DROP TABLE users;
SQL
# The database outside the image, writable by the image's user (uid 10001 under root).
mkdir -m 0777 "$work/db"
export RETORT_URL="sqlite:///$work/db/app.db"
out=$("$standin" run "$deb" "$work/app" 2>&1) || fail "the Job's script failed: $out"
expect_contains "$out" "a1b2c3d4e5f6" "the Job's upgrade"
[[ -f $work/db/app.db ]] || fail "no database at $work/db/app.db"
if [[ $(id -u) -eq 0 ]]; then
  [[ $(stat -c %u "$work/db/app.db") == 10001 ]] || fail "the Job did not run as uid 10001"
fi
out=$("$standin" run "$deb" "$work/app" 2>&1) || fail "the Job's script failed again: $out"
echo "image stand-in: ok"
