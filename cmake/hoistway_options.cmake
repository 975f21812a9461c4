# One interface target carries the language standard, warnings and sanitizer flags; every
# Hoistway target links it.
add_library(hoistway_options INTERFACE)
add_library(hoistway::options ALIAS hoistway_options)
target_compile_features(hoistway_options INTERFACE cxx_std_23)
set(CMAKE_CXX_EXTENSIONS OFF)
target_compile_options(hoistway_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(HOISTWAY_WERROR)
  target_compile_options(hoistway_options INTERFACE -Werror)
endif()

if(HOISTWAY_SANITIZE STREQUAL "address")
  target_compile_options(hoistway_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=undefined)
  target_link_options(hoistway_options INTERFACE -fsanitize=address,undefined)
elseif(HOISTWAY_SANITIZE STREQUAL "thread")
  # -Wno-tsan: g++ 12 warns that TSan does not model std::atomic_thread_fence, which Asio uses;
  # with -Werror that warning would fail every TSan build.
  target_compile_options(hoistway_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  target_link_options(hoistway_options INTERFACE -fsanitize=thread)
elseif(NOT HOISTWAY_SANITIZE STREQUAL "")
  message(FATAL_ERROR "HOISTWAY_SANITIZE must be '', 'address' or 'thread'")
endif()

# Fuzzing: every target gets libFuzzer's coverage (without its main) and ASan+UBSan, so the
# library code the fuzz targets reach is instrumented; the targets themselves link the fuzzer.
if(HOISTWAY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
    message(FATAL_ERROR "HOISTWAY_FUZZ needs clang >= 16, not ${CMAKE_CXX_COMPILER_ID} "
                        "${CMAKE_CXX_COMPILER_VERSION} (fuzz/README.md)")
  endif()
  if(NOT HOISTWAY_SANITIZE STREQUAL "")
    message(FATAL_ERROR "HOISTWAY_FUZZ brings its own sanitizers: leave HOISTWAY_SANITIZE empty")
  endif()
  # libstdc++ 12 hides <expected> unless __cpp_concepts >= 202002L, which clang 16 supports but
  # does not claim.
  target_compile_options(hoistway_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                         -fno-omit-frame-pointer -D__cpp_concepts=202002L -Wno-macro-redefined)
  target_link_options(hoistway_options INTERFACE -fsanitize=address,undefined)
endif()

# Third-party headers are included as system headers so that their warnings are not ours.
function(hoistway_system_includes target)
  foreach(dep IN LISTS ARGN)
    get_target_property(_inc ${dep} INTERFACE_INCLUDE_DIRECTORIES)
    if(_inc)
      target_include_directories(${target} SYSTEM PRIVATE ${_inc})
    endif()
  endforeach()
endfunction()
