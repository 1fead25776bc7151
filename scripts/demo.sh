#!/usr/bin/env bash
# The README's first command: install, build retort, and run its main job on the embedded
# default (SQLite): the example project in examples/quickstart is upgraded to head, then its
# history and current revision are shown. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target retort -j "$(nproc)"
retort="$(pwd)/$build/src/cli/retort"

work="$(mktemp -d)"
cp -r examples/quickstart/. "$work/"
cd "$work"
echo "\$ retort upgrade head"
"$retort" upgrade head
echo
echo "\$ retort history"
"$retort" history
echo
echo "\$ retort current -v"
"$retort" current -v
echo
echo "The example project is in $work (database: $work/app.db)."
