#!/usr/bin/env bash
# Checks every #include in src/, include/retort/ and python/ against the dependency rule of
# ARCHITECTURE.md; names the file, line, include and rule of each break and exits 1 if any.
#
# Usage: scripts/check-layers.sh   (from anywhere in the repository)
set -euo pipefail
set -f # the rule table holds `*`, which must not glob

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Who may include what. A source file belongs to the module of its folder under src/; the
# headers it includes are placed the same way. Tokens:
#   NAME               any header of that module (base, graph, driver/postgres, ...)
#   driver/driver.hpp  only that header of the driver interface
#   retort             any public header, include/retort/
#   *                  anything in src/ and include/retort/
# Every module may include its own headers, "retort/error.hpp" and "retort/version.hpp" (the
# version constant generated from CMake's project(VERSION)).
declare -A ALLOWED=(
  [base]="base"
  [config]="base retort/config.hpp"
  [sql]="base"
  [graph]="base"
  [script]="base sql graph"
  [driver]="base"
  [driver/registry]="base driver/postgres driver/sqlite"
  [driver/postgres]="base driver/driver.hpp"
  [driver/sqlite]="base driver/driver.hpp"
  [runner]="base graph script driver/driver.hpp retort/events.hpp retort/results.hpp"
  [schema]="base sql driver"
  [lint]="base sql script schema/model.hpp"
  [ops]="base sql script graph driver runner schema lint retort/results.hpp retort/config.hpp retort/events.hpp"
  [pictures]="base retort/results.hpp retort/pictures.hpp"
  [commands]="*"
  [fleet]="commands retort"
  [cli]="retort"
  [python]="retort"
  [retort]="retort"
)

# Third-party headers only one door may open.
declare -A ONLY_IN=(
  [pg_query.h]="sql"
  [pg_query/pg_query.pb-c.h]="sql"
  [protobuf-c/protobuf-c.h]="sql"
  [libpq-fe.h]="driver/postgres"
  [sqlite3.h]="driver/sqlite sql"
  [graphviz/gvc.h]="pictures"
  [graphviz/cgraph.h]="pictures"
)

# The module a file under src/ or include/retort/ belongs to; empty for anything else.
module_of() {
  local path=$1
  case $path in
    include/retort/*) REPLY=retort ;;
    src/driver/postgres/*) REPLY=driver/postgres ;;
    src/driver/sqlite/*) REPLY=driver/sqlite ;;
    # The interface (driver.hpp, driver.cpp, other headers) knows no driver; the registry,
    # which maps a URL scheme to a driver, is the one file that knows them all.
    src/driver/registry.cpp | src/driver/registry_test.cpp) REPLY=driver/registry ;;
    src/*/*)
      REPLY=${path#src/}
      REPLY=${REPLY%%/*}
      ;;
    tests/harness/*) REPLY=harness ;;
    # The Python module's extension, a client of the public API like the CLI.
    python/*) REPLY=python ;;
    *) REPLY="" ;;
  esac
}

# Places an include written as `spec` in file `from`: sets TARGET (module) and TARGET_PATH
# (path of the header relative to the module root, e.g. driver/driver.hpp).
place_include() {
  local spec=$1 from=$2
  local dir=${from%/*}
  TARGET=""
  TARGET_PATH=$spec
  # A header beside the including file, as the compiler looks there first.
  if [[ $spec != */* && -f $dir/$spec ]]; then
    module_of "$dir/$spec"
    TARGET=$REPLY
    TARGET_PATH=${dir#src/}/$spec
    return
  fi
  case $spec in
    retort/*) TARGET=retort ;;
    harness/* | tests/harness/*) TARGET=harness ;;
    driver/postgres/*) TARGET=driver/postgres ;;
    driver/sqlite/*) TARGET=driver/sqlite ;;
    base/* | config/* | sql/* | graph/* | script/* | driver/* | runner/* | schema/* | lint/* | \
      ops/* | pictures/* | commands/* | fleet/* | cli/*)
      TARGET=${spec%%/*}
      ;;
  esac
}

# Whether module `from_module` may include a header of `target` at `target_path`.
allowed() {
  local from_module=$1 target=$2 target_path=$3 token
  [[ $target == "$from_module" || $target_path == retort/error.hpp ||
    $target_path == retort/version.hpp ]] && return 0
  # Files of the driver interface and the registry are one module to each other.
  [[ $from_module == driver/registry && $target == driver ]] && return 0
  for token in ${ALLOWED[$from_module]}; do
    case $token in
      "*") [[ $target != harness ]] && return 0 ;;
      */*.hpp) [[ $target_path == "$token" ]] && return 0 ;;
      *) [[ $target == "$token" ]] && return 0 ;;
    esac
  done
  return 1
}

violations=0
files=0
includes=0
last_file=""
unknown_reported=""

report() {
  printf '%s:%s: #include %s: %s\n' "$1" "$2" "$3" "$4"
  violations=$((violations + 1))
}

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]+)[>"]'
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  text=${rest#*:}
  [[ $text =~ $include_re ]] || continue
  delimiter=${BASH_REMATCH[1]}
  spec=${BASH_REMATCH[2]}
  if [[ $file != "$last_file" ]]; then
    files=$((files + 1))
    last_file=$file
  fi
  includes=$((includes + 1))
  module_of "$file"
  module=$REPLY
  [[ -n $module ]] || continue
  if [[ $delimiter == '"' ]]; then
    shown="\"$spec\""
  else
    shown="<$spec>"
  fi

  if [[ -z ${ALLOWED[$module]+set} ]]; then
    if [[ $file != "$unknown_reported" ]]; then
      report "$file" "$line" "$shown" "src/$module/ is not in the dependency rule; add it to ALLOWED"
      unknown_reported=$file
    fi
    continue
  fi

  if [[ -n ${ONLY_IN[$spec]:-} ]]; then
    ok=0
    for door in ${ONLY_IN[$spec]}; do
      [[ $module == "$door" ]] && ok=1
    done
    if ((ok == 0)); then
      report "$file" "$line" "$shown" "only src/${ONLY_IN[$spec]// / and src/}/ may include <$spec>"
    fi
    continue
  fi

  place_include "$spec" "$file"
  if [[ $delimiter == '<' && -z $TARGET ]]; then
    continue # the standard library or a third-party header
  fi
  if [[ -z $TARGET ]]; then
    report "$file" "$line" "$shown" \
      "not a header of src/ or include/retort/; write it as \"<module>/<file>.hpp\""
    continue
  fi
  if [[ $TARGET == harness ]]; then
    if [[ $file != *_test.cpp ]]; then
      report "$file" "$line" "$shown" "only tests (*_test.cpp) may include the test harness"
    fi
    continue
  fi
  if ! allowed "$module" "$TARGET" "$TARGET_PATH"; then
    may=${ALLOWED[$module]}
    hint=""
    if [[ $module == driver && $TARGET == driver/* ]]; then
      hint="; code that picks a driver by URL scheme belongs in src/driver/registry.cpp"
    fi
    report "$file" "$line" "$shown" \
      "$module may include only: ${may:+${may// /, }, }its own headers, retort/error.hpp, retort/version.hpp; the header is in $TARGET$hint"
  fi
done < <(grep -rnE --include='*.hpp' --include='*.cpp' --include='*.h' --include='*.cc' \
  '^[[:space:]]*#[[:space:]]*include' src include/retort python | sort -t: -k1,1 -k2,2n)

if ((violations > 0)); then
  printf 'check-layers: %d include(s) break the dependency rule (ARCHITECTURE.md)\n' \
    "$violations" >&2
  exit 1
fi
printf 'check-layers: ok (%d includes in %d files)\n' "$includes" "$files"
