# krs_set_warnings(TARGET) turns on the warnings every project target is built with. Under
# clang (scripts/fuzz.sh) that includes the thread-safety analysis of the ABSL_GUARDED_BY and
# ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations on krs::Mutex users.
function(krs_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
endfunction()
