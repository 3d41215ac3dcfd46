#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang-14 and -fsanitize=fuzzer,address,undefined
# into build-fuzz, then runs each one for SECONDS (default 30) on a copy of its committed seed
# corpus fuzz/corpus/<target>/. A crash, a sanitizer report or a broken property fails the
# script and leaves the input in build-fuzz/artifacts/<target>/: add it to the corpus, fix the
# bug and write a regression test.
#
#   scripts/fuzz.sh [SECONDS]
#
# Settings (environment): KRS_FUZZ_BUILD_DIR (default <repo>/build-fuzz), KRS_FUZZ_JOBS
# (parallel compile jobs, default nproc).
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
build_dir=${KRS_FUZZ_BUILD_DIR:-$repo_root/build-fuzz}
jobs=${KRS_FUZZ_JOBS:-$(nproc)}
targets=(trigger_metadata url management_json)

bash "$repo_root/scripts/install-deps.sh"

# fuzzer-no-link instruments the project's libraries for coverage; only the fuzz executables
# link libFuzzer's main (fuzz/CMakeLists.txt adds -fsanitize=fuzzer to them).
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DKRS_BUILD_TESTS=OFF -DKRS_BUILD_BENCHMARKS=OFF -DKRS_BUILD_FUZZERS=ON >/dev/null
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]/%/_fuzzer}"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
for target in "${targets[@]}"; do
  # libFuzzer adds new inputs to the first corpus folder: run on a scratch copy so the committed
  # seeds change only by hand.
  work_corpus="$build_dir/corpus/$target"
  artifacts="$build_dir/artifacts/$target"
  mkdir -p "$work_corpus" "$artifacts"
  cp -n "$repo_root/fuzz/corpus/$target"/* "$work_corpus"/ 2>/dev/null || true

  echo "fuzz: $target for ${seconds}s"
  "$build_dir/bin/${target}_fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work_corpus" 2>"$build_dir/$target.log" || {
    tail -n 60 "$build_dir/$target.log" >&2
    echo "fuzz: $target FAILED; the input is in $artifacts/" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units|cov:" "$build_dir/$target.log" | tail -n 2
done
