#!/usr/bin/env bash
# The man pages the build wrote (`retort man`, gzipped): one per command, each rendered by man
# without a warning, retort(1) naming every command.
# Usage: man_test.sh MAN1_DIR RETORT
set -euo pipefail
dir=$1
retort=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091 # beside this file
source "$here/project.sh"
count=0
for page in "$dir"/*.1.gz; do
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [[ -z $warnings ]] || fail "man warns on $(basename "$page"): $warnings"
  count=$((count + 1))
done
top=$(MANWIDTH=80 man -l "$dir/retort.1.gz" 2>/dev/null)
commands=$("$retort" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }')
[[ -n $commands ]] || fail "no commands in retort --help"
for command in $commands; do
  [[ -f $dir/retort-$command.1.gz ]] || fail "no page retort-$command.1.gz"
  expect_contains "$top" "retort-$command(1)" "retort(1) lists $command"
done
upgrade=$(MANWIDTH=80 man -l "$dir/retort-upgrade.1.gz" 2>/dev/null)
expect_contains "$upgrade" "--lock-timeout VALUE" "retort-upgrade(1)'s options"
expect_contains "$upgrade" "retort upgrade [OPTIONS] [TARGET]" "retort-upgrade(1)'s synopsis"
echo "man: ok ($count pages)"
