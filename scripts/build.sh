#!/usr/bin/env bash
# Configures and builds the project into build/ (binaries in build/bin/, tests in build/tests/).
# Extra arguments go to `cmake --build`, e.g. `scripts/build.sh --target rabbitmq-scaler`.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${KRS_BUILD_DIR:-$repo_root/build}

cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "$@"
