# Warnings as errors, for retort's own code only (third-party headers are SYSTEM).
add_library(retort_warnings INTERFACE)
target_compile_options(retort_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  -Werror)
# -Wnull-dereference is left out: at -O2, GCC 12 reports it inside libstdc++ code inlined from
# CLI11's headers (a false positive we cannot silence per header).
# GCC 12 reports a false -Wrestrict on std::string concatenation at -O2 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(retort_warnings INTERFACE -Wno-restrict)
endif()
