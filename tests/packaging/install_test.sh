#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then the installed example (share/doc/retort/examples/
# startup) built against the installed package, not the build tree: with find_package (shared
# and static) and with pkg-config, and run on a SQLite project made by the installed retort.
# Usage: install_test.sh BUILD_DIR CXX_COMPILER
set -euo pipefail
build=$1
cxx=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091 # beside this file
source "$here/project.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" --strip >"$work/install.log"
retort=$prefix/bin/retort
for file in bin/retort include/retort/retort.hpp include/retort/version.hpp \
  share/man/man1/retort.1.gz share/man/man1/retort-upgrade.1.gz \
  share/bash-completion/completions/retort share/zsh/vendor-completions/_retort \
  share/fish/vendor_completions.d/retort.fish share/doc/retort/README.md \
  share/doc/retort/guide/installing.md share/doc/retort/examples/startup/startup.cpp; do
  [[ -e $prefix/$file ]] || fail "cmake --install did not install $file"
done
libdir=$(dirname "$(find "$prefix" -name libretort.so -print -quit)")
[[ -e $libdir/libretort.a && -e $libdir/cmake/retort/retort-config.cmake &&
  -e $libdir/pkgconfig/retort.pc ]] || fail "no libretort.a, CMake package or retort.pc in $libdir"
[[ -z $(find "$prefix" -path '*/include/*' -name '*.in') ]] || fail "a template was installed"
"$retort" --version | grep -q "^retort " || fail "the installed retort --version"

make_project "$work/app" "$retort"
source=$prefix/share/doc/retort/examples/startup/startup.cpp

# find_package(retort CONFIG), the build tree nowhere on the paths.
cmake -S "$here/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DSTARTUP_SOURCE="$source" \
  >"$work/consumer.log" || { cat "$work/consumer.log"; fail "configuring the consumer"; }
cmake --build "$work/consumer" >>"$work/consumer.log" ||
  { cat "$work/consumer.log"; fail "building the consumer"; }
grep -q "$prefix" "$work/consumer/CMakeCache.txt" || fail "the consumer did not use the prefix"
if grep -q "$(cd "$build" && pwd)" "$work/consumer/build.ninja"; then
  fail "the consumer's build names the build tree"
fi
readelf -d "$work/consumer/startup_shared" | grep -q 'libretort.so' ||
  fail "startup_shared does not link libretort.so"
if readelf -d "$work/consumer/startup_static" | grep -q 'libretort.so'; then
  fail "startup_static links libretort.so"
fi

out=$(cd "$work/app" && "$work/consumer/startup_shared")
expect_contains "$out" "migrated 1 step(s); serving on a database at a1b2c3d4e5f6" "startup_shared"
out=$(cd "$work/app" && "$work/consumer/startup_static" --probe)
expect_contains "$out" "ready: database at a1b2c3d4e5f6" "startup_static --probe"

# pkg-config, with the installed retort.pc only.
export PKG_CONFIG_PATH=$libdir/pkgconfig
[[ $(pkg-config --modversion retort) == "$("$retort" --version --json |
  sed -n 's/.*"version": "\(.*\)".*/\1/p')" ]] || fail "pkg-config --modversion retort"
# shellcheck disable=SC2046 # the flags are words
"$cxx" -std=c++20 -o "$work/startup_pc" "$source" $(pkg-config --cflags --libs retort) \
  -Wl,-rpath,"$libdir" || fail "building with pkg-config"
rm "$work/app/app.db"
out=$(cd "$work/app" && "$work/startup_pc")
expect_contains "$out" "migrated 1 step(s)" "the pkg-config build"
echo "install: ok ($prefix: $(du -sh "$prefix" | cut -f1))"
