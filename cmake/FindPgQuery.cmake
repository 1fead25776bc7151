# Finds libpg_query (Debian: libpg-query-dev), which ships no CMake config.
# Defines PgQuery::PgQuery.
#
# Its typed parse tree, <pg_query/pg_query.pb-c.h>, includes <protobuf-c/protobuf-c.h>, which
# libpg-query-dev does not ship: Debian's libprotobuf-c-dev does. Only that header is needed.
# libpg_query (.so and .a alike) carries its own copy of protobuf-c's functions, so
# libprotobuf-c is deliberately not linked: two definitions of each would clash.
find_path(PgQuery_INCLUDE_DIR NAMES pg_query.h)
find_library(PgQuery_LIBRARY NAMES pg_query)
find_path(PgQuery_PROTOBUF_C_INCLUDE_DIR NAMES protobuf-c/protobuf-c.h)
if(PgQuery_INCLUDE_DIR AND EXISTS "${PgQuery_INCLUDE_DIR}/pg_query.h")
  file(STRINGS "${PgQuery_INCLUDE_DIR}/pg_query.h" _pgq_ver REGEX "^#define PG_VERSION_NUM [0-9]+")
  string(REGEX REPLACE "^#define PG_VERSION_NUM ([0-9]+)" "\\1" PgQuery_PG_VERSION_NUM "${_pgq_ver}")
endif()
if(NOT PgQuery_PROTOBUF_C_INCLUDE_DIR)
  message(STATUS "PgQuery: <protobuf-c/protobuf-c.h> not found; install libprotobuf-c-dev "
    "(scripts/install-deps.sh)")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PgQuery
  REQUIRED_VARS PgQuery_LIBRARY PgQuery_INCLUDE_DIR PgQuery_PROTOBUF_C_INCLUDE_DIR)
if(PgQuery_FOUND AND NOT TARGET PgQuery::PgQuery)
  add_library(PgQuery::PgQuery UNKNOWN IMPORTED)
  set_target_properties(PgQuery::PgQuery PROPERTIES
    IMPORTED_LOCATION "${PgQuery_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PgQuery_INCLUDE_DIR};${PgQuery_PROTOBUF_C_INCLUDE_DIR}")
endif()
mark_as_advanced(PgQuery_INCLUDE_DIR PgQuery_LIBRARY PgQuery_PROTOBUF_C_INCLUDE_DIR)
