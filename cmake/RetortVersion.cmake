# include/retort/version.hpp (the version from project(VERSION)) and build_info.hpp (the git
# commit, the build type and the versions of the libraries found by Dependencies.cmake), generated
# into the build tree: what `retort --version` prints. The commit is read when CMake configures; outside a git
# checkout (a release tarball) it is "unknown".
set(RETORT_GIT_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE _retort_commit
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _retort_git_rc)
  if(_retort_git_rc EQUAL 0 AND _retort_commit)
    set(RETORT_GIT_COMMIT "${_retort_commit}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no
      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE _retort_dirty ERROR_QUIET)
    if(_retort_dirty)
      string(APPEND RETORT_GIT_COMMIT "-dirty")
    endif()
  endif()
endif()
set(RETORT_BUILD_TYPE "${CMAKE_BUILD_TYPE}")
if(NOT RETORT_BUILD_TYPE)
  set(RETORT_BUILD_TYPE "none")
endif()
# libpg_query's version is that of the PostgreSQL parser it carries (pg_query.h's PG_VERSION).
set(RETORT_PG_QUERY_VERSION "unknown")
if(PgQuery_INCLUDE_DIR AND EXISTS "${PgQuery_INCLUDE_DIR}/pg_query.h")
  file(STRINGS "${PgQuery_INCLUDE_DIR}/pg_query.h" _pgq_version REGEX "^#define PG_VERSION \"")
  string(REGEX REPLACE "^#define PG_VERSION \"([^\"]+)\".*" "\\1" RETORT_PG_QUERY_VERSION
    "${_pgq_version}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/include/retort/version.hpp.in"
  "${PROJECT_BINARY_DIR}/include/retort/version.hpp" @ONLY)
configure_file("${PROJECT_SOURCE_DIR}/include/retort/build_info.hpp.in"
  "${PROJECT_BINARY_DIR}/include/retort/build_info.hpp" @ONLY)
