# FdlcAddFeatures.cmake - fdlc_add_features(): compile fdl definitions into a
# target at build time.
#
#   fdlc_add_features(TARGET target FILES def.yaml|def.fdl...
#                     [NAME name] [SET set] [RUNTIME runtime-target]
#                     [OUTPUT_DIR dir])
#
# Runs `fdlc compile FILES -o OUTPUT_DIR --name NAME` at build time (again
# whenever a definition file or fdlc changes), adds the generated C files to
# TARGET, OUTPUT_DIR to its include path (#include "NAME.h") and links
# RUNTIME (default fdlc::fdlrt; fdlc::fdlrt_static for the static one).
# NAME defaults to fdlfeatures, OUTPUT_DIR to
# ${CMAKE_CURRENT_BINARY_DIR}/fdlc/TARGET. SET names a feature set the
# definitions must have (checked when configuring); TARGET gets
# NAME_FEATURE_SET="set" defined, for fdl_program_set(NAME_program(), ...).
#
# A large program is written as several C files (NAME.c, NAME_1.c, ...), so
# the list is discovered: configuring runs fdlc once into a probe directory
# and reads the C files from the manifest NAME.json ("c_files"); a change of
# a definition file re-runs the configuration (CMAKE_CONFIGURE_DEPENDS), so
# the list follows the definitions. Should the build still see other files
# (a new fdlc), it stops, marks the configuration stale and asks for one more
# build, which reconfigures.
set(_FDLC_COMPILE_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/fdlc_compile.cmake)

function(fdlc_add_features)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;NAME;SET;RUNTIME;OUTPUT_DIR" "FILES")
  if(NOT arg_TARGET OR NOT TARGET ${arg_TARGET})
    message(FATAL_ERROR "fdlc_add_features: TARGET must name an existing target")
  endif()
  if(NOT arg_FILES)
    message(FATAL_ERROR "fdlc_add_features: FILES needs at least one definition file")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "fdlc_add_features: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME)
    set(arg_NAME fdlfeatures)
  endif()
  if(NOT arg_RUNTIME)
    set(arg_RUNTIME fdlc::fdlrt)
  endif()
  if(NOT arg_OUTPUT_DIR)
    set(arg_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/fdlc/${arg_TARGET})
  endif()
  if(NOT TARGET fdlc::fdlc)
    message(FATAL_ERROR "fdlc_add_features: no fdlc::fdlc target (find_package(fdlc) first)")
  endif()
  set(files "")
  foreach(file IN LISTS arg_FILES)
    get_filename_component(file ${file} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND files ${file})
  endforeach()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${files})

  _fdlc_probe_outputs("${files}" ${arg_NAME} "${arg_SET}" c_files)
  set(outputs ${arg_OUTPUT_DIR}/${arg_NAME}.h ${arg_OUTPUT_DIR}/${arg_NAME}.json)
  list(LENGTH c_files nunits)
  if(nunits GREATER 1)
    list(APPEND outputs ${arg_OUTPUT_DIR}/${arg_NAME}_units.h)
  endif()
  set(sources "")
  foreach(c IN LISTS c_files)
    list(APPEND sources ${arg_OUTPUT_DIR}/${c})
  endforeach()

  # The build step's arguments, in a file: lists pass through a command
  # line badly. The stamp is touched when the outputs differ (see above).
  set(work ${CMAKE_CURRENT_BINARY_DIR}/fdlc/.${arg_TARGET}-${arg_NAME})
  set(stamp ${work}/stale.stamp)
  if(NOT EXISTS ${stamp})
    file(MAKE_DIRECTORY ${work})
    file(TOUCH ${stamp})
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${stamp})
  file(CONFIGURE OUTPUT ${work}/arguments.cmake @ONLY CONTENT
"set(FILES [==[${files}]==])
set(OUT [==[${arg_OUTPUT_DIR}]==])
set(NAME [==[${arg_NAME}]==])
set(EXPECTED [==[${c_files}]==])
set(OUTPUTS [==[${outputs};${sources}]==])
set(STAMP [==[${stamp}]==])
")
  add_custom_command(
    OUTPUT ${outputs} ${sources}
    COMMAND ${CMAKE_COMMAND} -DFDLC=$<TARGET_FILE:fdlc::fdlc> -DARGUMENTS=${work}/arguments.cmake
            -P ${_FDLC_COMPILE_SCRIPT}
    DEPENDS ${files} $<TARGET_FILE:fdlc::fdlc> ${work}/arguments.cmake ${_FDLC_COMPILE_SCRIPT}
    COMMENT "fdlc compile: ${arg_NAME} for ${arg_TARGET}"
    VERBATIM)
  target_sources(${arg_TARGET} PRIVATE ${sources} ${arg_OUTPUT_DIR}/${arg_NAME}.h)
  target_include_directories(${arg_TARGET} PRIVATE ${arg_OUTPUT_DIR})
  target_link_libraries(${arg_TARGET} PRIVATE ${arg_RUNTIME})
  if(arg_SET)
    target_compile_definitions(${arg_TARGET} PRIVATE ${arg_NAME}_FEATURE_SET="${arg_SET}")
  endif()
endfunction()

# Runs fdlc compile into a probe directory now and sets out_var to the C
# files its manifest lists; checks SET. An fdlc not built yet (fdlc's own
# tree) cannot run: one file, NAME.c, is assumed and the build checks it.
function(_fdlc_probe_outputs files name set out_var)
  get_target_property(imported fdlc::fdlc IMPORTED)
  if(NOT imported)
    set(${out_var} ${name}.c PARENT_SCOPE)
    return()
  endif()
  get_target_property(fdlc fdlc::fdlc LOCATION)
  string(SHA256 key "${files};${name}")
  string(SUBSTRING ${key} 0 16 key)
  set(probe ${CMAKE_CURRENT_BINARY_DIR}/fdlc/.probe-${key})
  execute_process(COMMAND ${fdlc} compile ${files} -o ${probe} --name ${name}
                  RESULT_VARIABLE status ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "fdlc_add_features: fdlc compile failed (${status}):\n${errors}")
  endif()
  file(READ ${probe}/${name}.json manifest)
  file(REMOVE_RECURSE ${probe})
  string(JSON n LENGTH "${manifest}" c_files)
  set(c_files "")
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON c GET "${manifest}" c_files ${i})
    list(APPEND c_files ${c})
  endforeach()
  if(set)
    string(JSON nsets LENGTH "${manifest}" feature_sets)
    set(names "")
    if(nsets GREATER 0)
      math(EXPR last "${nsets} - 1")
      foreach(i RANGE ${last})
        string(JSON s GET "${manifest}" feature_sets ${i} name)
        list(APPEND names ${s})
      endforeach()
    endif()
    if(NOT set IN_LIST names)
      list(JOIN names ", " names)
      message(FATAL_ERROR "fdlc_add_features: SET ${set}: the definitions have no feature set"
                          " of that name (they have: ${names})")
    endif()
  endif()
  set(${out_var} ${c_files} PARENT_SCOPE)
endfunction()
