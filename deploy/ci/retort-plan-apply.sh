#!/bin/sh
# A deploy pipeline's two halves around a manual approval: what was reviewed is what runs.
#
#   retort-plan-apply.sh plan DIR    renders the SQL `retort upgrade head` would run on the
#                                    target database (from its current revision) into
#                                    DIR/plan.sql, runs `retort preflight` into DIR/preflight.txt,
#                                    and writes DIR/summary.md; exit 1 when preflight fails
#   retort-plan-apply.sh apply DIR   renders the plan again (DIR/plan-now.sql) and refuses
#                                    (exit 1, nothing run) when it differs from the approved
#                                    DIR/plan.sql; else runs `retort preflight` again and
#                                    `retort upgrade head`
#
# Run it where retort finds retort.toml (the project's directory or below it). The database URL
# comes as for retort: RETORT_URL, DATABASE_URL, then retort.toml. RETORT names the retort
# command (default: retort on PATH). Exit codes are retort's: 0 ok, 1 failed or refused, 2 usage
# or input error, 3 another runner held the run lock. Recipe: docs/guide/deployment.md.
set -eu

retort=${RETORT:-retort}

usage() {
  echo "usage: $0 plan DIR | apply DIR" >&2
  exit 2
}

say() {
  echo "retort-plan-apply: $*" >&2
}

# Sets `start` to the database's current revision (`base` before the first migration) and
# `database` to its URL as retort prints it (password as ***). Refuses a database this plan
# cannot start from: several heads, revisions the files do not know, an unfinished run.
read_current() {
  current_json=$("$retort" current --json)
  facts=$(printf '%s\n' "$current_json" | awk '
    /^  "database": "/ { sub(/^  "database": "/, ""); sub(/",?$/, ""); print "database " $0 }
    /^  "heads": \[$/ { in_heads = 1; next }
    in_heads && /^  \]/ { in_heads = 0 }
    in_heads && /^      "revision": "/ { sub(/^      "revision": "/, ""); sub(/",?$/, ""); print "head " $0 }
    /^  "unknown": \[$/ { print "unknown" }
    /^  "unfinished": \[$/ { print "unfinished" }
  ')
  database=$(printf '%s\n' "$facts" | sed -n 's/^database //p')
  heads=$(printf '%s\n' "$facts" | sed -n 's/^head //p')
  if [ -z "$database" ]; then
    say "cannot read the database's revision from \`$retort current --json\`"
    exit 2
  fi
  if printf '%s\n' "$facts" | grep -qx 'unknown'; then
    say "the database is at a revision the migration files do not have (it is ahead of this code); nothing to plan"
    say "next: $retort current -v (docs/runbook/inconsistent-state.md)"
    exit 1
  fi
  if printf '%s\n' "$facts" | grep -qx 'unfinished'; then
    say "the database has an unfinished migration run; nothing to plan until it is resolved"
    say "next: $retort current -v, then docs/runbook/failed-migration.md"
    exit 1
  fi
  case $(printf '%s\n' "$heads" | grep -c .) in
    0) start=base ;;
    1) start=$heads ;;
    *)
      say "the database has several heads ($(printf '%s\n' "$heads" | tr '\n' ' ')); a plan starts from one"
      say "next: render each branch's plan by hand: $retort upgrade --sql REV:head"
      exit 1
      ;;
  esac
}

# Writes the script `retort upgrade head` would run now to the file $1.
render() {
  read_current
  "$retort" upgrade --sql "$start:head" >"$1"
}

digest() {
  sha256sum "$1" | cut -d ' ' -f 1
}

plan() {
  dir=$1
  mkdir -p "$dir"
  render "$dir/plan.sql"
  preflight_status=0
  "$retort" preflight >"$dir/preflight.txt" 2>&1 || preflight_status=$?
  {
    echo "## retort plan for $database"
    echo
    echo "$(sed -n '1s/^-- //p' "$dir/plan.sql") (sha256 $(digest "$dir/plan.sql"))"
    echo
    echo "### retort preflight (exit $preflight_status)"
    echo
    echo '```'
    cat "$dir/preflight.txt"
    echo '```'
    echo
    echo "### The SQL that apply will run"
    echo
    echo '```sql'
    cat "$dir/plan.sql"
    echo '```'
  } >"$dir/summary.md"
  cat "$dir/summary.md"
  if [ "$preflight_status" -ne 0 ]; then
    say "preflight failed (exit $preflight_status): nothing to approve; see $dir/preflight.txt"
    exit "$preflight_status"
  fi
  say "plan written to $dir: review plan.sql and preflight.txt, then approve the apply job"
}

apply() {
  dir=$1
  if [ ! -f "$dir/plan.sql" ]; then
    say "no approved plan: $dir/plan.sql does not exist (run: $0 plan $dir)"
    exit 2
  fi
  now=$dir/plan-now.sql
  render "$now"
  if ! cmp -s "$dir/plan.sql" "$now"; then
    say "refusing to apply: what would run now differs from the approved plan $dir/plan.sql"
    say "  (a migration file was added or changed since, the database moved, or retort changed)"
    diff -u "$dir/plan.sql" "$now" | sed 's/^/  /' >&2 || true
    say "database: nothing was applied; $database is at $start"
    say "next: run the plan again and have the new plan reviewed and approved"
    exit 1
  fi
  rm -f "$now"
  say "the plan is the approved one (sha256 $(digest "$dir/plan.sql")); running preflight, then upgrade"
  "$retort" preflight
  "$retort" -v upgrade head
}

[ $# -eq 2 ] || usage
case $1 in
  plan) plan "$2" ;;
  apply) apply "$2" ;;
  *) usage ;;
esac
