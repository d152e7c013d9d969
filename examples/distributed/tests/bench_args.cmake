# ctest distributed_bench_args: distributed-bench rejects bad arguments with
# exit status 2 and a message naming the problem, before it starts a node or
# connects; `--help` exits 0.
if(NOT BENCH)
  message(FATAL_ERROR "usage: cmake -DBENCH=/path/to/distributed-bench -P bench_args.cmake")
endif()

function(expect_failure expected_text)
  execute_process(COMMAND ${BENCH} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 10)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "distributed-bench ${ARGN}: exit status '${rc}', expected 2\n${out}${err}")
  endif()
  string(FIND "${err}" "${expected_text}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "distributed-bench ${ARGN}: stderr lacks '${expected_text}':\n${err}")
  endif()
endfunction()

expect_failure("unknown option --no-such-option" --no-such-option 1)
expect_failure("--tasks needs a value" --tasks)
expect_failure("--tasks takes positive whole numbers, not \"many\"" --tasks many)
expect_failure("--tasks takes positive whole numbers, not \"0\"" --tasks 0)
expect_failure("--tasks takes positive whole numbers, not \"-5\"" --tasks -5)
expect_failure("--windows takes positive whole numbers, not \"x\"" --windows 1,x)
expect_failure("cannot read TLS file" --tls-cert /nonexistent/c.pem --tls-key /nonexistent/k.pem
               --tls-ca /nonexistent/ca.pem --nodes 127.0.0.1:1)

execute_process(COMMAND ${BENCH} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out TIMEOUT 10)
if(NOT rc EQUAL 0 OR NOT out MATCHES "--windows")
  message(FATAL_ERROR "distributed-bench --help: exit status '${rc}', output:\n${out}")
endif()
