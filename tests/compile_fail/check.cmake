# Compiles SOURCE (which must fail) and checks that the first error is the
# library's own sentence, named on the file's first line ("// expect: ..."),
# and that the compiler's report stays a few lines long.
#   cmake -DCXX=... -DAPI=... -DSOURCE=... -P check.cmake
file(STRINGS ${SOURCE} first LIMIT_COUNT 1)
string(REGEX REPLACE "^// expect: " "" expected "${first}")
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -I${API} ${SOURCE}
                RESULT_VARIABLE rc ERROR_VARIABLE out OUTPUT_VARIABLE out2)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it is a mistake the library must refuse")
endif()
string(REGEX MATCHALL "[^\n]*error:[^\n]*" errors "${out}")
list(LENGTH errors count)
if(count EQUAL 0)
  message(FATAL_ERROR "no error line in the compiler's output:\n${out}")
endif()
list(GET errors 0 first_error)
string(FIND "${first_error}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the first error is not the library's sentence\n"
                      "expected: ${expected}\nfirst error: ${first_error}\n\n${out}")
endif()
if(count GREATER 2)
  message(FATAL_ERROR "${count} errors; only the library's sentence should remain:\n${out}")
endif()
message(STATUS "first error: ${first_error} (${count} error line(s))")
