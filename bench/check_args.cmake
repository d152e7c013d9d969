# ctest bench_args: parallel-bench rejects bad arguments with exit status 2 and
# a message naming the problem, and `--help` exits 0. Nothing is benchmarked.
if(NOT BENCH)
  message(FATAL_ERROR "usage: cmake -DBENCH=/path/to/parallel-bench -P check_args.cmake")
endif()

function(expect_failure expected_text)
  execute_process(COMMAND ${BENCH} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 10)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "parallel-bench ${ARGN}: exit status '${rc}', expected 2\n${out}${err}")
  endif()
  string(FIND "${err}" "${expected_text}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "parallel-bench ${ARGN}: stderr lacks '${expected_text}':\n${err}")
  endif()
endfunction()

expect_failure("unknown option '--no-such-option'" --no-such-option)
expect_failure("--repeat needs a whole number from 1 to 1000" --repeat zero)
expect_failure("--repeat needs a whole number from 1 to 1000" --repeat 0)
expect_failure("--repeat needs a value" --repeat)
expect_failure("unknown figure 'nope'" --only nope)
expect_failure("unexpected argument 'extra'" extra)
expect_failure("--go-peer needs a value" --go-peer)
expect_failure("--go-peer: cannot read '/nonexistent/handler-go'" --go-peer /nonexistent/handler-go)
expect_failure("is not an executable file" --go-peer ${CMAKE_CURRENT_LIST_DIR})
expect_failure("unknown figure 'request_fanout/nope'" --only request_fanout/nope)

execute_process(COMMAND ${BENCH} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out TIMEOUT 10)
if(NOT rc EQUAL 0 OR NOT out MATCHES "--quick")
  message(FATAL_ERROR "parallel-bench --help: exit status '${rc}', output:\n${out}")
endif()
