# causeway_module(NAME DEPS lib... [PRIVATE_DEPS lib...])
# A module is the folder src/NAME: every .cc in it (and in its subfolders) builds the library
# causeway_NAME. Adding a file to a module needs no CMake edit.
function(causeway_module name)
  cmake_parse_arguments(M "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(NOT srcs)  # a module being laid out: keep the tree configurable
    set(srcs ${CMAKE_BINARY_DIR}/empty_module.cc)
    file(WRITE ${srcs} "")
  endif()
  add_library(causeway_${name} STATIC ${srcs})
  target_include_directories(causeway_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(causeway_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
endfunction()

# causeway_unit_tests(MODULE LIBS lib...)
# Every tests/MODULE/*_test.cc builds into one binary, MODULE_test, labelled `unit`.
function(causeway_unit_tests module)
  cmake_parse_arguments(U "" "TIMEOUT" "LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(NOT srcs)
    return()
  endif()
  if(NOT U_TIMEOUT)
    set(U_TIMEOUT 120)
  endif()
  causeway_test(${module}_test SOURCES ${srcs} LIBS ${U_LIBS} LABELS unit TIMEOUT ${U_TIMEOUT})
  target_compile_definitions(${module}_test PRIVATE
    CAUSEWAY_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
endfunction()
