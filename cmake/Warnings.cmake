# krs_set_warnings(TARGET) turns on the warnings every project target is built with.
function(krs_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
