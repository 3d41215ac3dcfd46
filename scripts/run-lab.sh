#!/usr/bin/env bash
# The main job: measures, live on a real RabbitMQ, how much long-running work each way of
# autoscaling wastes when it scales in. Installs the Debian packages, builds the lab and the
# workloads, runs the six scenarios of the default comparison at once (each on its own queue)
# and writes results/<scenario>.json, results/<scenario>.svg and results/summary.md.
#
#   bash scripts/run-lab.sh [extra scalein-lab flags]
#
# Settings (environment): KRS_BUILD_DIR (default build/), RMQ_NODE, RMQ_AMQP_PORT,
# RMQ_HTTP_PORT, RMQ_DIST_PORT (see scripts/rabbitmq.sh; the ports of a node it started are
# the defaults). scalein-lab starts the broker when no management API responds on
# RMQ_HTTP_PORT, and stops it again at the end.
#
# Exit status: 0 when the results were written, even if a scenario missed its deadline (that
# is a measured outcome, shown in the table); non-zero when the lab could not run.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${KRS_BUILD_DIR:-$repo_root/build}
scenarios=(
  scaledobject-naive
  scaledobject-total
  scaledobject-drain
  scaledobject-deletion-cost
  scaledjob-default-total
  scaledjob-accurate-ready
)

start=$SECONDS
bash "$repo_root/scripts/install-deps.sh"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)" \
  --target scalein-lab rmq-producer rmq-consumer result-analyzer rabbitmq-scaler
echo "run-lab: built in $((SECONDS - start)) s"

# A broker that scripts/rabbitmq.sh started on other ports saved them: use those unless the
# caller set RMQ_AMQP_PORT or RMQ_HTTP_PORT.
eval "$(bash "$repo_root/scripts/rabbitmq.sh" env | grep -E '^export RMQ_(AMQP|HTTP)_PORT=[0-9]+$')"

# summary.md is written last; its absence afterwards means the lab did not run.
rm -f "$repo_root/results/summary.md"
status=0
"$build_dir/bin/scalein-lab" run "${scenarios[@]}" --concurrency=${#scenarios[@]} \
  --results-dir="$repo_root/results" "$@" || status=$?
echo "run-lab: finished in $((SECONDS - start)) s"

if [ ! -f "$repo_root/results/summary.md" ] || [ "$status" -ge 2 ]; then
  echo "run-lab: scalein-lab failed (exit $status)" >&2
  exit 1
fi
echo
cat "$repo_root/results/summary.md"
