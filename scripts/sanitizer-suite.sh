#!/usr/bin/env bash
# Builds the project with a sanitizer and runs CTest suites against the local RabbitMQ, the way
# scripts/test.sh does. Called by scripts/test-asan.sh and scripts/test-tsan.sh:
#
#   scripts/sanitizer-suite.sh asan|tsan [ctest arguments...]
#
# asan: AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer into build-asan.
# tsan: ThreadSanitizer into build-tsan.
# Both use the default compiler (GCC 12 on Debian 12). Debian's gRPC, Abseil and protobuf are
# not instrumented, which is fine for ASan and UBSan. For TSan, the project's own locks are
# krs::Mutex (common/mutex.h), whose locking TSan tracks, and the uninstrumented libraries are
# handled as scripts/sanitizers/tsan.supp describes. CI runs no TSan step.
#
# Settings (environment):
#   KRS_SANITIZER_BUILD_DIR  build folder (default <repo>/build-asan or <repo>/build-tsan)
#   KRS_SANITIZER_TARGETS    space-separated targets to build (default: all)
#   KRS_SANITIZER_TEST_DIRS  space-separated test folders, e.g. "tests/scaler tests/common":
#                            build rabbitmq-scaler and the test executable of every *_test.cc
#                            there that has a target, and run only those tests
#   KRS_SANITIZER_JOBS       parallel compile jobs (default: nproc)
#   KRS_BROKER_RUNNING=1     a broker is already running (scripts/test.sh): do not start one
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"

mode=${1:?usage: $0 asan|tsan [ctest arguments...]}
shift

case "$mode" in
  asan)
    flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    ;;
  tsan)
    flags="-fsanitize=thread -fno-omit-frame-pointer"
    ;;
  *)
    echo "$0: unknown mode \"$mode\"; expected asan or tsan" >&2
    exit 2
    ;;
esac
build_dir=${KRS_SANITIZER_BUILD_DIR:-$repo_root/build-$mode}
jobs=${KRS_SANITIZER_JOBS:-$(nproc)}

# Every error stops the test that hit it and fails it: no recovery, leaks included.
supp_dir="$repo_root/scripts/sanitizers"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$supp_dir/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp_dir/ubsan.supp"

bash scripts/install-deps.sh
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
  -DKRS_BUILD_BENCHMARKS=OFF >/dev/null
ctest_filter=()
if [ -n "${KRS_SANITIZER_TEST_DIRS:-}" ]; then
  known_targets=$(cmake --build "$build_dir" --target help | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')
  tests=()
  for dir in $KRS_SANITIZER_TEST_DIRS; do
    for source in "$dir"/*_test.cc; do
      name=$(basename "$source" .cc)
      if grep -qx "$name" <<<"$known_targets"; then tests+=("$name"); fi
    done
  done
  KRS_SANITIZER_TARGETS="rabbitmq-scaler ${tests[*]}"
  ctest_filter=(-R "^($(IFS='|'; echo "${tests[*]}"))\$")
fi
if [ -n "${KRS_SANITIZER_TARGETS:-}" ]; then
  # shellcheck disable=SC2086
  cmake --build "$build_dir" -j "$jobs" --target ${KRS_SANITIZER_TARGETS}
else
  cmake --build "$build_dir" -j "$jobs"
fi

if [ "$mode" = tsan ]; then
  # The checked-in suppressions plus one called_from_lib line per uninstrumented library that
  # synchronizes with absl::Mutex (scripts/sanitizers/tsan.supp explains why). Each line names one
  # shared object by its soname, because TSan stops when a pattern matches two.
  tsan_supp="$build_dir/tsan.supp"
  {
    cat "$supp_dir/tsan.supp"
    find "$build_dir/bin" "$build_dir/tests" -maxdepth 1 -type f -perm -u+x -print0 |
      xargs -0 ldd 2>/dev/null |
      awk '$1 ~ /^lib(absl_|grpc|gpr|upb|re2|cares|address_sorting|ssl|crypto|cpp-httplib)/ { print "called_from_lib:" $1 }' |
      sort -u
  } >"$tsan_supp"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$tsan_supp"
fi

if [ "${KRS_BROKER_RUNNING:-0}" != 1 ]; then
  bash scripts/test-broker.sh start "$build_dir/certs"
  trap 'bash scripts/test-broker.sh stop' EXIT
fi
eval "$(bash scripts/test-broker.sh env "${RMQ_TLS_DIR:-$build_dir/certs}")"

ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "${ctest_filter[@]}" "$@"
