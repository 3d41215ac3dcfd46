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

bash scripts/rabbitmq.sh start
trap 'bash scripts/rabbitmq.sh stop' EXIT
eval "$(bash scripts/rabbitmq.sh env)"

ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
