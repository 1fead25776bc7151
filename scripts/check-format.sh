#!/usr/bin/env bash
# Fails when a C++ file tracked by git is not formatted with the repository's .clang-format.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
bad=()
while IFS= read -r file; do
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
    bad+=("$file")
  fi
done < <(git ls-files '*.cpp' '*.hpp')
if [ "${#bad[@]}" -gt 0 ]; then
  echo "check-format: not formatted (run: clang-format -i FILE):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check-format: all C++ files formatted"
