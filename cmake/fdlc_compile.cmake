# fdlc_compile.cmake - the build step of fdlc_add_features (cmake -P):
#
#   cmake -DFDLC=path/to/fdlc -DARGUMENTS=arguments.cmake -P fdlc_compile.cmake
#
# Runs fdlc compile, then checks the C files it wrote are those the
# configuration added to the target (the manifest's "c_files"); if not, marks
# the configuration stale (STAMP) and fails, asking for another build.
include(${ARGUMENTS})
execute_process(COMMAND ${FDLC} compile ${FILES} -o ${OUT} --name ${NAME} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "fdlc compile failed (exit status ${status})")
endif()
file(READ ${OUT}/${NAME}.json manifest)
string(JSON n LENGTH "${manifest}" c_files)
set(written "")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON c GET "${manifest}" c_files ${i})
  list(APPEND written ${c})
endforeach()
if(NOT written STREQUAL EXPECTED)
  file(TOUCH ${STAMP})
  message(FATAL_ERROR "fdlc_add_features: fdlc wrote the C files '${written}', not the"
                      " '${EXPECTED}' the build was configured with; build again (CMake"
                      " reconfigures and picks up the new list)")
endif()
# fdlc may leave a file that did not change alone: the outputs are new now,
# so the step does not run again until a definition changes.
file(TOUCH_NOCREATE ${OUTPUTS})
