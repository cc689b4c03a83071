# Helpers that give every component the same shape: a library with an alias, explicit source lists,
# target_* commands only, warnings as errors for the venue's own code.

function(venue_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wimplicit-fallthrough)
  if(VENUE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(venue_set_sanitizers target)
  if(VENUE_FUZZ)
    # Coverage for libFuzzer in everything the fuzz targets link; only they get the fuzzer's main.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  if(VENUE_SANITIZE)
    # vptr is off: QuickFIX's MessageCracker downcasts through an uninstrumented library.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize=vptr
                                             -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize=vptr)
  endif()
endfunction()

# venue_library(NAME <name> ALIAS <ns::name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Public headers live in <component>/include/venue/<component>/.
function(venue_library)
  cmake_parse_arguments(ARG "" "NAME;ALIAS" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(${ARG_ALIAS} ALIAS ${ARG_NAME})
  target_include_directories(${ARG_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  venue_set_warnings(${ARG_NAME})
  venue_set_sanitizers(${ARG_NAME})
endfunction()

# venue_executable(NAME <name> SOURCES ... DEPS ...): lands in build/bin/<name>.
function(venue_executable)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  venue_set_warnings(${ARG_NAME})
  venue_set_sanitizers(${ARG_NAME})
endfunction()

# venue_test(NAME <name> LABELS unit|integration|e2e [outage] SOURCES ... DEPS ... [ENVIRONMENT ...] [TIMEOUT s]
#            [COST s])
# A Boost.Test executable registered with ctest under its label.
function(venue_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT;COST" "SOURCES;DEPS;LABELS;ENVIRONMENT" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} Boost::unit_test_framework)
  target_compile_definitions(${ARG_NAME} PRIVATE BOOST_TEST_DYN_LINK)
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  venue_set_warnings(${ARG_NAME})
  venue_set_sanitizers(${ARG_NAME})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --log_level=test_suite --report_level=short)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "VENUE_SOURCE_DIR=${PROJECT_SOURCE_DIR};${ARG_ENVIRONMENT}")
  # COST: about how many seconds the test takes; ctest -j starts the costly ones first and ci/test
  # spreads the outage tests over its lanes by it.
  if(ARG_COST)
    set_tests_properties(${ARG_NAME} PROPERTIES COST ${ARG_COST})
  endif()
endfunction()

# venue_embed_migrations(TARGET <target> SCHEMA <schema> FUNCTION <qualified::function>)
# Compiles the schema's migrations (spec/sql/<schema>/NNNN_*.sql, see common/include/venue/common/
# pg_migrations.h) into <target> as
#   const std::vector<venue::pg::Migration>& <qualified::function>();
# The binary then knows exactly which versions it understands. Adding or editing a file re-runs CMake.
function(venue_embed_migrations)
  cmake_parse_arguments(ARG "" "TARGET;SCHEMA;FUNCTION" "" ${ARGN})
  set(dir ${PROJECT_SOURCE_DIR}/spec/sql/${ARG_SCHEMA})
  file(GLOB files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT files)
  string(REGEX REPLACE "::[^:]*$" "" ns "${ARG_FUNCTION}")
  string(REGEX REPLACE "^.*::" "" fn "${ARG_FUNCTION}")
  set(body "")
  foreach(f IN LISTS files)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
    get_filename_component(name ${f} NAME_WE)
    string(SUBSTRING "${name}" 0 4 digits)
    if(NOT digits MATCHES "^[0-9][0-9][0-9][0-9]$")
      message(FATAL_ERROR "${f}: a migration's name starts with its four-digit version (0001_...)")
    endif()
    math(EXPR version "1${digits} - 10000")
    file(READ ${f} sql)
    string(FIND "${sql}" ")venue_sql\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "${f} contains the text )venue_sql\" and cannot be embedded")
    endif()
    string(APPEND body "      {${version}, \"${name}\", R\"venue_sql(${sql})venue_sql\"},\n")
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_SCHEMA}_migrations.cpp)
  set(text "// Generated by venue_embed_migrations() from spec/sql/${ARG_SCHEMA}/: do not edit.\n#include <vector>\n\n#include \"venue/common/pg_migrations.h\"\n\nnamespace ${ns} {\n\nconst std::vector<venue::pg::Migration>& ${fn}() {\n  static const std::vector<venue::pg::Migration> migrations{\n${body}  };\n  return migrations;\n}\n\n}  // namespace ${ns}\n")
  if(EXISTS ${out})
    file(READ ${out} old)
  endif()
  if(NOT "${old}" STREQUAL "${text}")
    file(WRITE ${out} "${text}")
  endif()
  target_sources(${ARG_TARGET} PRIVATE ${out})
endfunction()

# venue_fuzz_target(NAME <name> SOURCES ... DEPS ... [TIMEOUT s])
# A libFuzzer harness (LLVMFuzzerTestOneInput in SOURCES) with its seeds in fuzz/corpus/<name>/ beside
# it. The fuzz preset (VENUE_FUZZ) builds <name>_fuzz in build-fuzz/bin, which ci/fuzz runs for a bounded
# time. Every other build links the same harness with tests/support/fuzz_replay_main.cpp as <name>_replay
# and runs the committed corpus once as the unit test <name>_corpus_replay, so the harness never rots
# between fuzz runs and every seed stays a regression test.
function(venue_fuzz_target)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(VENUE_FUZZ)
    set(exe ${ARG_NAME}_fuzz)
    add_executable(${exe} ${ARG_SOURCES})
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
  else()
    set(exe ${ARG_NAME}_replay)
    add_executable(${exe} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/support/fuzz_replay_main.cpp)
    set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    if(NOT ARG_TIMEOUT)
      set(ARG_TIMEOUT 120)
    endif()
    add_test(NAME ${ARG_NAME}_corpus_replay COMMAND ${exe} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${ARG_NAME})
    set_tests_properties(${ARG_NAME}_corpus_replay PROPERTIES LABELS unit TIMEOUT ${ARG_TIMEOUT}
                         ENVIRONMENT "VENUE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
  target_link_libraries(${exe} PRIVATE ${ARG_DEPS})
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  venue_set_warnings(${exe})
  venue_set_sanitizers(${exe})
endfunction()
