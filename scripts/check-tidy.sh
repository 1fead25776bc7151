#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy over every source file of src/ (tests
# excepted) and include/retort/ (through the sources that include it), using the compile
# commands of a configured build; exits 1 on any finding.
#
# Usage: scripts/check-tidy.sh [BUILD_DIR]   (default: build; configured with CMake, which
#                                              writes compile_commands.json and version.hpp)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
build="${1:-build}"

if [[ ! -f $build/compile_commands.json ]]; then
  echo "check-tidy: no $build/compile_commands.json; configure a build first (scripts/test.sh)" >&2
  exit 2
fi

# Debian names the tools after their version; take the 14 the CI image installs, else any.
runner=""
for candidate in run-clang-tidy-14 run-clang-tidy; do
  if command -v "$candidate" >/dev/null; then
    runner=$candidate
    break
  fi
done
tidy=""
for candidate in clang-tidy-14 clang-tidy; do
  if command -v "$candidate" >/dev/null; then
    tidy=$candidate
    break
  fi
done
if [[ -z $runner || -z $tidy ]]; then
  echo "check-tidy: clang-tidy not found; install clang-tidy (scripts/install-deps.sh)" >&2
  exit 2
fi

# The compile commands are GCC's: clang does not know some of its warning flags, and GCC's
# warnings are the build's business, not clang-tidy's.
# run-clang-tidy echoes each file's command and clang's count of suppressed warnings (those of
# system headers), and colours everything: only the findings are kept, in plain text.
start=$SECONDS
set +e
"$runner" -clang-tidy-binary "$(command -v "$tidy")" -p "$build" -quiet -j "$(nproc)" \
  -extra-arg=-Wno-unknown-warning-option -extra-arg=-Wno-error \
  "^$root/src/(?!.*_test\.cpp$).*\.cpp$" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' |
  grep -vE '^[0-9]+ warnings? generated\.$|^[^ ]*clang-tidy[^ ]* .* -p=' | grep -v '^$'
status=${PIPESTATUS[0]}
set -e
if ((status != 0)); then
  echo "check-tidy: findings above (.clang-tidy; fix them, or disable a check there with a reason)" >&2
  exit 1
fi
echo "check-tidy: ok ($((SECONDS - start)) s)"
