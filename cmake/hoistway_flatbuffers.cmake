# Debian ships flatc but no flatc target nor BuildFlatBuffers.cmake: run it ourselves.
find_program(FLATC_EXECUTABLE flatc REQUIRED)

# hoistway_flatbuffers_generate(<target> OUTPUT_DIR <dir> SCHEMAS <fbs>...)
# Generates <name>_generated.h for each schema into OUTPUT_DIR (in the build tree) and makes an
# INTERFACE library <target> that carries the include path and the FlatBuffers runtime.
function(hoistway_flatbuffers_generate target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SCHEMAS" ${ARGN})
  set(_headers "")
  foreach(_schema IN LISTS ARG_SCHEMAS)
    get_filename_component(_abs "${_schema}" ABSOLUTE)
    get_filename_component(_name "${_schema}" NAME_WE)
    set(_out "${ARG_OUTPUT_DIR}/hoistway/wire/${_name}_generated.h")
    add_custom_command(
      OUTPUT "${_out}"
      COMMAND "${FLATC_EXECUTABLE}" --cpp --scoped-enums --gen-object-api --cpp-std c++17
              -o "${ARG_OUTPUT_DIR}/hoistway/wire" -I "${CMAKE_CURRENT_SOURCE_DIR}" "${_abs}"
      DEPENDS "${_abs}" ${ARG_SCHEMAS}
      COMMENT "flatc ${_name}.fbs"
      VERBATIM)
    list(APPEND _headers "${_out}")
  endforeach()
  add_custom_target(${target}_gen DEPENDS ${_headers})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} SYSTEM INTERFACE "${ARG_OUTPUT_DIR}")
  target_link_libraries(${target} INTERFACE flatbuffers::flatbuffers)
endfunction()
