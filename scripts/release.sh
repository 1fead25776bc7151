#!/usr/bin/env bash
# Builds a release's Debian package and, with --tag, tags the release. Usage:
#   scripts/release.sh VERSION            check, build (Release) and package: retort_VERSION_ARCH.deb
#   scripts/release.sh --tag VERSION      the same, then `git tag -a vVERSION` (push it yourself)
# VERSION is SemVer and must be project(retort VERSION ...) in CMakeLists.txt, and CHANGELOG.md
# must have its "## [VERSION] - YYYY-MM-DD" section, the fragments of changes/unreleased/ moved
# into it (docs/guide/installing.md, "Releasing"). RETORT_RELEASE_BUILD names the build
# directory (default build-release).
set -euo pipefail
cd "$(dirname "$0")/.."

tag=false
if [[ ${1:-} == --tag ]]; then
  tag=true
  shift
fi
version=${1:-}
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "release: give the version, MAJOR.MINOR.PATCH (SemVer): scripts/release.sh 0.2.0" >&2
  exit 2
fi
project_version=$(sed -n 's/^project(retort VERSION \([^ ]*\) .*/\1/p' CMakeLists.txt)
if [[ $version != "$project_version" ]]; then
  echo "release: CMakeLists.txt says project(retort VERSION $project_version), not $version:" \
    "change it there first" >&2
  exit 2
fi
if ! grep -q "^## \[$version\] - [0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}$" CHANGELOG.md; then
  echo "release: CHANGELOG.md has no '## [$version] - YYYY-MM-DD' section: move the" \
    "fragments of changes/unreleased/ into it" >&2
  exit 2
fi
if $tag; then
  if [[ -n $(git status --porcelain) ]]; then
    echo "release: the work tree has uncommitted changes; commit them before tagging" >&2
    exit 2
  fi
  if git rev-parse -q --verify "refs/tags/v$version" >/dev/null; then
    echo "release: the tag v$version exists already" >&2
    exit 2
  fi
fi

build=${RETORT_RELEASE_BUILD:-build-release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRETORT_BUILD_TESTS=OFF >/dev/null
cmake --build "$build"
cpack --config "$build/CPackConfig.cmake" -B "$build/packages" >/dev/null
deb=$build/packages/retort_${version}_$(dpkg --print-architecture).deb
[[ -f $deb ]] || { echo "release: cpack wrote no $deb" >&2; exit 1; }
echo "release: $deb"
sha256sum "$deb"

if $tag; then
  git tag -a "v$version" -m "retort $version"
  echo "release: tagged v$version; push it with git push origin v$version"
fi
