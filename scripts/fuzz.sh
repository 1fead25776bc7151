#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60), seeded with
# the golden inputs in tests/testdata. Exits non-zero on any crash, leak or sanitizer report.
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]
# BUILD_DIR (default build-fuzz) is configured here with clang unless it already is a build
# with RETORT_BUILD_FUZZERS=ON, such as CI's sanitizer build, whose library is then reused.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build="${2:-build-fuzz}"
if [[ -f $build/CMakeCache.txt ]] && grep -q '^RETORT_BUILD_FUZZERS:BOOL=ON$' "$build/CMakeCache.txt"; then
  echo "fuzz: reusing the fuzzer build in $build"
elif [[ -f $build/CMakeCache.txt ]]; then
  echo "fuzz: $build is a build without RETORT_BUILD_FUZZERS=ON; give another directory" >&2
  exit 2
else
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRETORT_BUILD_FUZZERS=ON -DRETORT_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target script_fuzz target_fuzz -j "$(nproc)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/script" "$work/target"
cp tests/testdata/scripts/*.sql tests/testdata/splitter/*.sql "$work/script/" 2>/dev/null || true
for seed in head heads base abcd -1 +2 abcd01+3 alpha@head beta@base gamma@+1 cdef@head base:head \
  -3: :head; do
  printf '%s' "$seed" >"$work/target/seed_$(printf '%s' "$seed" | md5sum | cut -c1-8)"
done
for fuzzer in script target; do
  echo "fuzz: ${fuzzer}_fuzz for ${seconds}s"
  "$build/tests/fuzz/${fuzzer}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$work/$fuzzer" 2>&1 | tail -n 12
done
