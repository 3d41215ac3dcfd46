#!/usr/bin/env bash
# Runs the gRPC benchmarks of docs/benchmarks.md and prints one line per measurement:
#   1. rabbitmq-scaler and bench/fixed_answer_server under grpc_load_generator, GetMetrics and
#      IsActive at concurrency 1, 16 and 64, with a warm cache (the trigger reads a counting
#      fake management API served by the generator, so no broker is needed).
#   2. KEDA-style polling of 100 ScaledObjects on one queue, with --cache_ttl=1s and 0.
#   3. Peak RSS of the scaler polled by 1000 ScaledObjects on 200 queues.
#   4. Start-up time from fork to Health/Check SERVING.
#
#   bench/run_grpc_benchmarks.sh [BUILD_DIR] [SECONDS]
#
# BUILD_DIR defaults to <repo>/build, SECONDS (per throughput measurement) to 10.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$repo_root/build}
seconds=${2:-10}
bin=$build_dir/bin
generator=$bin/grpc_load_generator

started_pids=()
cleanup() {
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Starts a server in the background on a free port; sets server_pid and server_port.
start_server() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  server_pid=$!
  started_pids+=("$server_pid")
  for _ in $(seq 100); do
    server_port=$(grep -oE '(port=|listening on )[0-9]+' "$log" | grep -oE '[0-9]+$' | head -n1 || true)
    [ -n "$server_port" ] && return 0
    sleep 0.1
  done
  echo "server did not start: $*" >&2
  cat "$log" >&2
  exit 1
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
}

logs=$(mktemp -d)
echo "# machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\" ram=$(free -g | awk '/Mem:/ {print $2}')GiB date=$(date -u +%F)"

run_throughput() {
  local name=$1
  local port=$2
  for method in GetMetrics IsActive; do
    for concurrency in 1 16 64; do
      echo "server=$name $("$generator" --target="127.0.0.1:$port" --method="$method" \
        --concurrency="$concurrency" --client_threads=2 --duration="${seconds}s" --warmup=2s \
        --metadata="$metadata")"
    done
  done
}

start_server "$logs/fixed.log" "$bin/fixed_answer_server" --listen=127.0.0.1:0
metadata="host=amqp://guest:guest@127.0.0.1:1/;queueName=orders;mode=QueueLength;value=20"
run_throughput fixed "$server_port"
stop_server

# The scaler's trigger reads the generator's counting management API; a keda-mode generator
# keeps that API up (and the cache warm) while the throughput runs go on.
start_server "$logs/scaler.log" "$bin/rabbitmq-scaler" --listen=127.0.0.1:0
scaler_port=$server_port
scaler_pid=$server_pid
fake_log=$logs/fake.log
"$generator" --mode=keda --target="127.0.0.1:$scaler_port" --scaled_objects=1 \
  --polling_interval=1s --hpa_interval=1s --duration=$((seconds * 6 + 30))s \
  --metadata="host={management};queueName=orders;mode=QueueLength;value=20" >"$fake_log" 2>&1 &
fake_pid=$!
started_pids+=("$fake_pid")
sleep 2
fake_port=$(grep -oE 'management_port=[0-9]+' "$fake_log" | cut -d= -f2)
metadata="host=http://guest:guest@127.0.0.1:$fake_port/;queueName=orders;mode=QueueLength;value=20"
run_throughput scaler "$scaler_port"
kill "$fake_pid" 2>/dev/null || true
stop_server

# KEDA-style polling: 100 ScaledObjects on one queue, pollingInterval 1 s, HPA every 1 s.
for ttl in 1s 0s; do
  start_server "$logs/scaler-keda-$ttl.log" "$bin/rabbitmq-scaler" --listen=127.0.0.1:0 \
    --cache_ttl="$ttl"
  echo "cache_ttl=$ttl $("$generator" --mode=keda --target="127.0.0.1:$server_port" \
    --scaled_objects=100 --queues=1 --polling_interval=1s --hpa_interval=1s --duration=20s \
    --metadata="host={management};queueName={queue};mode=QueueLength;value=20" | tail -n1)"
  stop_server
done

# Memory: 1000 ScaledObjects on 200 queues.
start_server "$logs/scaler-rss.log" "$bin/rabbitmq-scaler" --listen=127.0.0.1:0
echo "rss $("$generator" --mode=keda --target="127.0.0.1:$server_port" --scaled_objects=1000 \
  --queues=200 --polling_interval=5s --hpa_interval=5s --duration=20s --scaler_pid="$server_pid" \
  --metadata="host={management};queueName={queue};mode=QueueLength;value=20" | tail -n1)"
stop_server

echo "startup $("$generator" --mode=startup --scaler_binary="$bin/rabbitmq-scaler" --trials=20)"
