#!/usr/bin/env bash
# Fails when a C++ file tracked by git is not formatted with the repository's .clang-format.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
mapfile -d '' files < <(git ls-files -z '*.cpp' '*.hpp')
# One clang-format for all files: starting it once per file took twenty times the CPU time.
# Only when that one finds something are the files checked one by one, to name them.
if clang-format --dry-run --Werror "${files[@]}" >/dev/null 2>&1; then
  echo "check-format: all C++ files formatted"
  exit 0
fi
bad=()
for file in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
    bad+=("$file")
  fi
done
if [ "${#bad[@]}" -gt 0 ]; then
  echo "check-format: not formatted (run: clang-format -i FILE):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check-format: all C++ files formatted"
