# Sourced by the benchmarks that run Squawk beside retort: squawk_install WORK [SQUAWK] sets
# `squawk` to the given executable, else installs squawk-cli $squawk_version with npm under
# WORK; sets `found_version` to what it says of itself, and warns when that is another version.
# shellcheck shell=bash

squawk_version=2.66.0

squawk_install() {
  local work=$1
  squawk=${2:-}
  if [[ -z $squawk ]]; then
    command -v npm >/dev/null || {
      echo "error: npm not found; install Node.js, or pass a squawk executable as SQUAWK" >&2
      exit 2
    }
    echo "installing squawk-cli@$squawk_version with npm ..." >&2
    npm install --prefix "$work/npm" --no-audit --no-fund --loglevel=error \
      "squawk-cli@$squawk_version" >&2
    squawk=$work/npm/node_modules/.bin/squawk
  fi
  [[ -x $squawk ]] || {
    echo "error: $squawk is not executable" >&2
    exit 2
  }
  found_version=$("$squawk" --version)
  if [[ $found_version != *"$squawk_version"* ]]; then
    echo "warning: $found_version, not squawk $squawk_version: the rule table may not match" >&2
  fi
}
