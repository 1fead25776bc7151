# Settings every retort target links privately: language level, sanitizers.
add_library(retort_settings INTERFACE)
target_compile_features(retort_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
# The version header is generated from project(VERSION) into the build tree's include/retort/.
configure_file("${PROJECT_SOURCE_DIR}/include/retort/version.hpp.in"
  "${PROJECT_BINARY_DIR}/include/retort/version.hpp" @ONLY)
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
  # Coverage for libFuzzer and the sanitizers in every object the fuzzers link.
  target_compile_options(retort_settings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(retort_settings INTERFACE -fsanitize=address,undefined)
endif()
