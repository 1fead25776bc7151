#!/usr/bin/env bash
# The Debian package built by CPack (the packaging_deb_build test): its name and computed
# Depends, lintian's findings (only those docs/guide/installing.md explains), and the package
# installed with `dpkg --root` into a fresh root (an empty dpkg database, not the machine's),
# whose retort runs --version, init and upgrade head on SQLite.
# Usage: deb_test.sh PACKAGE_DIR VERSION
set -euo pipefail
packages=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091 # beside this file
source "$here/project.sh"
arch=$(dpkg --print-architecture)
deb=$packages/retort_${version}_${arch}.deb
[[ -f $deb ]] || fail "no $deb: $(ls "$packages")"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libpq5 libsqlite3-0 libpg-query libfmt libtomlplusplus libstdc++6; do
  expect_contains "$depends" "$lib" "Depends computed by dpkg-shlibdeps"
done

# lintian: no error, and no warning but those the guide explains.
explained="copyright-without-copyright-notice link-to-shared-library-in-wrong-package
maintscript-calls-ldconfig package-name-doesnt-match-sonames
pkg-config-unavailable-for-cross-compilation"
lintian_out=$(lintian "$deb" 2>&1 || true)
while read -r severity _ tag _; do
  case $severity in
    E:) fail "lintian error: $tag ($lintian_out)" ;;
    W:) [[ " ${explained//$'\n'/ } " == *" $tag "* ]] || fail "lintian warning not explained: $tag" ;;
  esac
done <<<"$lintian_out"
guide=$(cat "$here/../../docs/guide/installing.md")
for tag in $explained; do
  expect_contains "$guide" "$tag" "docs/guide/installing.md explains lintian's $tag"
done

# A fresh root with an empty dpkg database of its own (the machine's libraries serve the
# dependencies), as the image stand-in installs it.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
"$here/../../deploy/kubernetes/image-standin.sh" install "$deb" "$root" ||
  fail "dpkg --root did not install the package"
# Every dependency is met on this machine, as apt would have it.
dpkg-checkbuilddeps -d "$depends" /dev/null || fail "a dependency is not installed: $depends"

retort=$root/usr/bin/retort
out=$("$retort" --version)
expect_contains "$out" "retort $version" "retort --version"
expect_contains "$out" "libpq" "retort --version"
work=$root/tmp/app
make_project "$work" "$retort"
out=$(cd "$work" && "$retort" upgrade head 2>&1)
expect_contains "$out" "a1b2c3d4e5f6" "retort upgrade head"
out=$(cd "$work" && "$retort" current)
expect_contains "$out" "a1b2c3d4e5f6" "retort current"
for file in usr/share/man/man1/retort.1.gz usr/share/bash-completion/completions/retort \
  usr/lib/cmake/retort/retort-config.cmake usr/share/doc/retort/copyright \
  usr/share/doc/retort/changelog.gz; do
  [[ -e $root/$file ]] || fail "the package lacks /$file"
done
echo "deb: ok ($(du -k "$deb" | cut -f1) KiB, Depends: $depends)"
