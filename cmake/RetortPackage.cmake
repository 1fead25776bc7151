# The Debian package, retort_<version>_<arch>.deb: `cpack --config build/CPackConfig.cmake`
# (scripts/release.sh). Its Depends are computed by dpkg-shlibdeps from what the binary and
# libretort.so link; docs/guide/installing.md lists what lintian says of it and why.
string(TIMESTAMP RETORT_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file("${PROJECT_SOURCE_DIR}/packaging/changelog.Debian.in"
  "${PROJECT_BINARY_DIR}/share/changelog.Debian" @ONLY)
# A native package (no Debian revision) names its Debian changelog changelog.gz.
install(FILES "${PROJECT_BINARY_DIR}/share/changelog.Debian.gz" DESTINATION ${CMAKE_INSTALL_DOCDIR}
  RENAME changelog.gz)
# libretort.so's shlibs entry, and the ldconfig trigger Debian wants in place of the postinst and
# postrm that CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS would write.
file(WRITE "${PROJECT_BINARY_DIR}/share/deb/shlibs"
  "libretort ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR} retort (>= ${PROJECT_VERSION})\n")
file(WRITE "${PROJECT_BINARY_DIR}/share/deb/triggers" "activate-noawait ldconfig\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME retort)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "retort maintainers <retort@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "production-first database schema migrations")
set(CPACK_PACKAGE_DESCRIPTION
  "retort applies, reverts and checks schema migrations written as plain SQL
files on PostgreSQL and SQLite, with Alembic's revision graph. It lints
migrations for locking hazards, checks a database before a run, backs it up
before risky steps, and records every step it runs.

This package holds the retort command, its man pages and shell completions,
and libretort (shared and static, with headers, a CMake package and a
pkg-config file) for programs that migrate their database themselves.")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${PROJECT_BINARY_DIR}/share/deb/shlibs;${PROJECT_BINARY_DIR}/share/deb/triggers")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# pg_dump and pg_restore: the backups before risky steps on PostgreSQL.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql-client")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
