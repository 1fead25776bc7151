# Settings every retort target links privately: language level, sanitizers.
add_library(retort_settings INTERFACE)
target_compile_features(retort_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
# The version header is generated into the build tree's include/retort/ (RetortVersion.cmake).
target_include_directories(retort_settings INTERFACE
  "${PROJECT_SOURCE_DIR}/include" "${PROJECT_BINARY_DIR}/include" "${PROJECT_SOURCE_DIR}/src")

if(RETORT_SANITIZE)
  target_compile_options(retort_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(retort_settings INTERFACE -fsanitize=address,undefined)
endif()

if(RETORT_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "RETORT_BUILD_FUZZERS needs clang: CXX=clang++ cmake ...")
  endif()
  # Coverage for libFuzzer and the sanitizers in every object the fuzzers link. With
  # RETORT_SANITIZE too, one build serves the sanitized tests and the fuzzers (CI does so): the
  # coverage hooks are the sanitizer runtime's no-ops in every executable but the fuzzers.
  target_compile_options(retort_settings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(retort_settings INTERFACE -fsanitize=address,undefined)
endif()

# The linker: mold, else lld, when the compiler can use it (scripts/install-deps.sh installs
# mold). Every test executable links libretort, and GNU ld takes several times as long for each.
set(RETORT_LINKER "auto" CACHE STRING
  "Linker: auto (mold, else lld, else the compiler's default), mold, lld or default")
set_property(CACHE RETORT_LINKER PROPERTY STRINGS auto mold lld default)
if(RETORT_LINKER STREQUAL "auto")
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=mold" RETORT_HAVE_MOLD)
  check_linker_flag(CXX "-fuse-ld=lld" RETORT_HAVE_LLD)
  if(RETORT_HAVE_MOLD)
    add_link_options(-fuse-ld=mold)
  elseif(RETORT_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
elseif(NOT RETORT_LINKER STREQUAL "default")
  add_link_options(-fuse-ld=${RETORT_LINKER})
endif()
