# Third-party libraries, all from Debian 12 packages (scripts/install-deps.sh installs them).
find_package(fmt 9.1 REQUIRED)
find_package(tomlplusplus 3.3 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(PostgreSQL 15 REQUIRED)
find_package(SQLite3 3.40 REQUIRED)
find_package(PgQuery REQUIRED)
find_package(Threads REQUIRED)
# Graphviz's layout library (gvc and cgraph), which ships pkg-config files, no CMake config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(Graphviz REQUIRED IMPORTED_TARGET libgvc libcgraph)
if(RETORT_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED)
endif()
if(RETORT_BUILD_BENCHMARKS)
  find_package(benchmark 1.7 REQUIRED)
endif()

# retort_module(NAME SOURCES... DEPS ...): one object library per src/ folder, linking only
# what the layer rule allows (ARCHITECTURE.md). The objects of every module make up the one
# static library libretort.a (target retort_lib). A test links the modules it needs directly:
# object files are added only to a direct consumer, so list each module needed.
function(retort_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} OBJECT ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC retort_settings ${ARG_DEPS} PRIVATE retort_warnings)
endfunction()

# Precompiled headers for the tests: GoogleTest's header and the standard headers the tests
# use most take most of a test file's compile time. One stand-in executable precompiles them
# and every test reuses its header (REUSE_FROM), so it links what retort_test() links: the
# compile flags must match. A developer using ccache needs CCACHE_SLOPPINESS to include
# pch_defines,time_macros (CONTRIBUTING.md), or it does not cache these compiles.
option(RETORT_PCH "Precompile the headers the test files share" ON)
if(RETORT_BUILD_TESTS AND RETORT_PCH)
  set(pch_main "${PROJECT_BINARY_DIR}/retort_test_pch.cpp")
  file(CONFIGURE OUTPUT "${pch_main}"
    CONTENT "// The stand-in that precompiles the tests' shared headers (cmake/Dependencies.cmake).\n")
  add_executable(retort_test_pch "${pch_main}")
  target_link_libraries(retort_test_pch PRIVATE GTest::gtest_main GTest::gmock retort_settings
    retort_warnings)
  target_precompile_headers(retort_test_pch PRIVATE
    <gtest/gtest.h> <algorithm> <chrono> <filesystem> <fstream> <map> <memory> <sstream>
    <string> <thread> <vector>)
endif()

# retort_test(NAME SOURCES... DEPS ... [LABELS ...] [COST seconds]): a GoogleTest executable
# under CTest. COST, a test's usual seconds, lets a long test start first on a build that has
# no timings yet (a clean checkout, CI), so that it does not run alone at the end.
function(retort_test name)
  cmake_parse_arguments(ARG "" "COST" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT RETORT_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main GTest::gmock retort_settings
    retort_warnings)
  if(TARGET retort_test_pch)
    target_precompile_headers(${name} REUSE_FROM retort_test_pch)
    # Helpers beside the tests (lint_test_support.cpp) are clang-tidy's too, which reads the
    # compile commands of a GCC build and cannot load GCC's precompiled header.
    foreach(source IN LISTS ARG_SOURCES)
      if(NOT source MATCHES "_test\\.cpp$")
        set_source_files_properties(${source} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
      endif()
    endforeach()
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # One label per test target: gtest_discover_tests loses all but the first of a list.
  list(LENGTH ARG_LABELS label_count)
  if(label_count GREATER 1)
    message(FATAL_ERROR "retort_test(${name}): give one label, not ${ARG_LABELS}")
  endif()
  set(cost_property)
  if(ARG_COST)
    set(cost_property COST ${ARG_COST})
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}" ${cost_property} DISCOVERY_TIMEOUT 60)
endfunction()
