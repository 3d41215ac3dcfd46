#!/usr/bin/env bash
# Runs the whole test suite: installs missing packages, builds, starts the local RabbitMQ,
# runs every CTest suite, and stops the broker again. Extra arguments go to ctest, e.g.
# `scripts/test.sh -L unit` or `scripts/test.sh -R metadata`.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${KRS_BUILD_DIR:-$repo_root/build}
cd "$repo_root"

bash scripts/install-deps.sh
bash scripts/build.sh

# The local RabbitMQ with TLS listeners for the broker TLS tests (see scripts/test-broker.sh).
bash scripts/test-broker.sh start "$build_dir/certs"
trap 'bash scripts/test-broker.sh stop' EXIT
eval "$(bash scripts/test-broker.sh env "$build_dir/certs")"

ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"

# Sanitizers and fuzzing (KRS_SKIP_SANITIZERS=1 skips both, e.g. for a quick local run).
# To stay well inside CI's time on 2 cores, only the scaler's and common/'s suites (the
# executables of tests/scaler/*_test.cc and tests/common/*_test.cc, unit and broker) run under
# ASan + UBSan: they hold the concurrent server, cache and parsing code. The lab, workload and
# fault suites run without sanitizers above; scripts/test-asan.sh runs everything. Each fuzz
# target gets 20 s.
if [ "${KRS_SKIP_SANITIZERS:-0}" != 1 ]; then
  KRS_BROKER_RUNNING=1 KRS_SANITIZER_TEST_DIRS="tests/scaler tests/common" \
    bash scripts/test-asan.sh
  bash scripts/fuzz.sh 20
fi
