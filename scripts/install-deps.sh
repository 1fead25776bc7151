#!/usr/bin/env bash
# Installs everything retort needs to build and test on Debian 12, with apt-get. Idempotent:
# packages already present are left alone. Run as root, or as a user with sudo.
set -euo pipefail

packages=(
  # toolchain; mold links the many test executables several times faster than GNU ld (CMake
  # uses it when present, else lld, else the compiler's default)
  g++ cmake ninja-build pkg-config clang-format clang clang-tidy mold
  # libraries (see README: which library does what)
  libpq-dev libsqlite3-dev libpg-query-dev libprotobuf-c-dev libcli11-dev libtomlplusplus-dev
  libfmt-dev nlohmann-json3-dev
  # the revision graph's layout (retort graph --format svg, retort report)
  libgraphviz-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # real servers and peers the tests run
  postgresql-15 postgresql-client-15 pgbouncer sqlite3 alembic python3-alembic python3-psycopg2
  # the deployment recipes' test (tests/deploy): manifests read as YAML, scripts checked
  python3-yaml shellcheck
  # the progress bar test reads a real terminal's screen (tests/cli)
  tmux
  # every --json document validated against docs/reference/json/ (tests/integration)
  python3-jsonschema
  # the graph's DOT and SVG read back by their reference tools, and the HTML report rendered in a
  # real headless browser (tests/integration/pictures_test.cpp)
  graphviz libxml2-utils chromium fonts-dejavu-core
  # the Debian package (CPack's dependency list needs dpkg-shlibdeps and file), lintian, and
  # the shells, bash-completion and man that the completions and man pages are tested with
  # (tests/packaging)
  dpkg-dev file lintian bash-completion zsh fish man-db groff-base
  # the Python module (python/): its build, and its tests (pytest, a FastAPI app under
  # TestClient and uvicorn, mypy --strict)
  python3-dev pybind11-dev python3-pytest python3-fastapi python3-httpx python3-uvicorn mypy
  # hooks, metrics and maintenance windows (tests/integration/ops_test.cpp): the hook recipes
  # call curl, promtool checks --metrics-file, time zones come from the system's zoneinfo
  curl prometheus tzdata
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian postgresql package starts a cluster of its own; tests start their own throwaway
# clusters instead, so the packaged one is not needed.
echo "install-deps: done"
