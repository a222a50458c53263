# run_case.cmake - one dual-path test case, run by ctest as `cmake -P`:
#   1. fdlc build: the definitions into a shared library and its manifest;
#   2. fdlc batch --lib: the training set, through that library;
#   3. dual_path: the same inputs through the serving API, compared with the
#      batch output value by value and byte by byte (and its fingerprint
#      checked against the manifest's).
#
# Variables (-D): FDLC, DUAL_PATH (executables), WORK_DIR, DEFINITIONS,
# SOURCES (NAME=PATH), EMBEDDINGS (NAME=PATH, may be empty), SPINE, SET (may
# be empty: every feature the spine's keys allow). Lists are joined with "|"
# because ctest would split ";" into separate arguments.

foreach(required FDLC DUAL_PATH WORK_DIR DEFINITIONS SOURCES SPINE)
  if(NOT DEFINED ${required} OR "${${required}}" STREQUAL "")
    message(FATAL_ERROR "run_case.cmake: -D${required}=... is required")
  endif()
endforeach()

string(REPLACE "|" ";" definitions "${DEFINITIONS}")
string(REPLACE "|" ";" sources "${SOURCES}")
string(REPLACE "|" ";" embeddings "${EMBEDDINGS}")

set(input_options)
foreach(source IN LISTS sources)
  list(APPEND input_options --source ${source})
endforeach()
foreach(embedding IN LISTS embeddings)
  list(APPEND input_options --embedding ${embedding})
endforeach()
list(APPEND input_options --spine ${SPINE})
if(NOT "${SET}" STREQUAL "")
  list(APPEND input_options --set ${SET})
endif()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(library_dir ${WORK_DIR}/lib)
set(batch_output ${WORK_DIR}/batch.csv)

function(run step)
  message(STATUS "${step}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${step} failed (exit status ${result})")
  endif()
endfunction()

run("fdlc build" ${FDLC} build ${definitions} -o ${library_dir} --name dual_path_case)
run("fdlc batch" ${FDLC} batch ${definitions} ${input_options} --out ${batch_output}
    --lib ${library_dir}/libdual_path_case.so)
run("dual_path" ${DUAL_PATH} ${input_options} --batch ${batch_output}
    --manifest ${library_dir}/dual_path_case.json)
