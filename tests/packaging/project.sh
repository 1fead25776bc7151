# shellcheck shell=bash
# Sourced by the packaging tests: make_project DIR RETORT writes a SQLite project with one
# revision, a1b2c3d4e5f6 (branch label core), through the retort binary given.
make_project() {
  local dir=$1 retort=$2
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    "$retort" init migrations >/dev/null
    "$retort" revision -m "create users" --rev-id a1b2c3d4e5f6 --branch-label core >/dev/null
    cat >migrations/versions/a1b2c3d4e5f6_create_users.sql <<'SQL'
-- retort:revision a1b2c3d4e5f6
-- retort:message create users
-- retort:branch_labels core

-- retort:upgrade
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);

-- retort:downgrade
DROP TABLE users;
SQL
  )
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_contains TEXT NEEDLE WHAT
expect_contains() {
  [[ $1 == *"$2"* ]] || fail "$3: expected '$2' in: $1"
}
