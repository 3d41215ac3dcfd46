#!/usr/bin/env bash
# Runs the gRPC benchmarks of docs/benchmarks.md and prints one line per measurement:
#   1. GetMetrics and IsActive at concurrency 1, 16 and 64 from grpc_load_generator against
#      rabbitmq-scaler and bench/fixed_answer_server, the latter plain and with callback
#      streaming methods as the scaler has. The scaler's cache is warm: its trigger reads a
#      counting fake management API that the generator serves, so no broker is needed.
#   2. KEDA-style polling of 100 ScaledObjects on one queue, with --cache_ttl=1s and 0, against
#      the counting fake management API and, when RMQ_AMQP_PORT and RMQ_HTTP_PORT are set,
#      against that RabbitMQ over http and amqp.
#   3. Peak RSS of the scaler polled by 1000 ScaledObjects on 200 queues.
#   4. Start-up time from fork to Health/Check SERVING.
#
#   bench/run_grpc_benchmarks.sh [BUILD_DIR] [SECONDS] [REPEATS]
#
# BUILD_DIR defaults to <repo>/build, SECONDS (per throughput measurement) to 10 and REPEATS
# (rounds of throughput measurements) to 3.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$repo_root/build}
seconds=${2:-10}
repeats=${3:-3}
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

# Throughput: the three servers run side by side, idle while another is measured, and every
# method and concurrency is measured on each in turn, `repeats` rounds over, so that drifting
# machine load spreads over all three alike. The summary lines give the median of the rounds.
start_server "$logs/fixed.log" "$bin/fixed_answer_server" --listen=127.0.0.1:0
fixed_port=$server_port

# The same server with the two streaming methods on the callback API, the method mix the scaler
# serves, which shows what that mix costs the unary methods in gRPC itself.
start_server "$logs/fixed-mixed.log" "$bin/fixed_answer_server" --listen=127.0.0.1:0 \
  --callback_stream_methods
mixed_port=$server_port

# The scaler's trigger reads the generator's counting management API; a keda-mode generator
# keeps that API up (and the cache warm) while the throughput runs go on.
start_server "$logs/scaler.log" "$bin/rabbitmq-scaler" --listen=127.0.0.1:0
scaler_port=$server_port
fake_log=$logs/fake.log
"$generator" --mode=keda --target="127.0.0.1:$scaler_port" --scaled_objects=1 \
  --polling_interval=1s --hpa_interval=1s --duration=$((repeats * 18 * (seconds + 4) + 60))s \
  --metadata="host={management};queueName=orders;mode=QueueLength;value=20" >"$fake_log" 2>&1 &
started_pids+=("$!")
sleep 2
fake_port=$(grep -oE 'management_port=[0-9]+' "$fake_log" | cut -d= -f2)
fixed_metadata="host=amqp://guest:guest@127.0.0.1:1/;queueName=orders;mode=QueueLength;value=20"
scaler_metadata="host=http://guest:guest@127.0.0.1:$fake_port/;queueName=orders;mode=QueueLength;value=20"

throughput_log=$logs/throughput.txt
for round in $(seq "$repeats"); do
  for method in GetMetrics IsActive; do
    for concurrency in 1 16 64; do
      for server in fixed fixed-mixed scaler; do
        case "$server" in
          fixed) port=$fixed_port metadata=$fixed_metadata ;;
          fixed-mixed) port=$mixed_port metadata=$fixed_metadata ;;
          scaler) port=$scaler_port metadata=$scaler_metadata ;;
        esac
        echo "round=$round server=$server $("$generator" --target="127.0.0.1:$port" \
          --method="$method" --concurrency="$concurrency" --client_threads=2 \
          --duration="${seconds}s" --warmup=2s --metadata="$metadata")"
      done
    done
  done
done | tee "$throughput_log"

# Median of the rounds per server, method and concurrency.
python3 - "$throughput_log" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    if not line.startswith("round="):
        continue  # a run's first_error line
    fields = dict(item.split("=", 1) for item in line.split())
    if fields["errors"] != "0":
        print("warning: a run had errors:", line.strip(), file=sys.stderr)
    key = (fields["server"], fields["method"], int(fields["concurrency"]))
    runs.setdefault(key, []).append(fields)
for (server, method, concurrency), rounds in sorted(runs.items()):
    median = {name: statistics.median(float(r[name]) for r in rounds)
              for name in ("throughput_per_s", "p50_us", "p99_us", "p999_us")}
    print(f"median server={server} method={method} concurrency={concurrency} "
          f"rounds={len(rounds)} " + " ".join(f"{k}={v:.0f}" for k, v in median.items()))
PY
for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
started_pids=()

# KEDA-style polling: 100 ScaledObjects on one queue, pollingInterval 1 s, HPA every 1 s.
for ttl in 1s 0s; do
  start_server "$logs/scaler-keda-$ttl.log" "$bin/rabbitmq-scaler" --listen=127.0.0.1:0 \
    --cache_ttl="$ttl"
  echo "cache_ttl=$ttl $("$generator" --mode=keda --target="127.0.0.1:$server_port" \
    --scaled_objects=100 --queues=1 --polling_interval=1s --hpa_interval=1s --duration=20s \
    --metadata="host={management};queueName={queue};mode=QueueLength;value=20" | tail -n1)"
  stop_server
done

# The same polling against the real broker, when one is running (RMQ_AMQP_PORT and RMQ_HTTP_PORT
# set, e.g. by `eval "$(scripts/rabbitmq.sh env)"`). http triggers reach the management API
# through the generator's counting proxy; amqp reads are counted by the scaler itself
# (rabbitmq_scaler_broker_queries_total on its metrics endpoint).
if [ -n "${RMQ_AMQP_PORT:-}" ] && [ -n "${RMQ_HTTP_PORT:-}" ]; then
  curl -sf -u guest:guest -X PUT -H 'content-type: application/json' \
    -d '{"durable":false,"auto_delete":false}' \
    "http://127.0.0.1:$RMQ_HTTP_PORT/api/queues/%2F/bench-q-0"
  polling=(--mode=keda --scaled_objects=100 --queues=1 --polling_interval=1s --hpa_interval=1s
    --duration=20s)
  for ttl in 1s 0s; do
    start_server "$logs/scaler-broker-http-$ttl.log" "$bin/rabbitmq-scaler" \
      --listen=127.0.0.1:0 --cache_ttl="$ttl"
    echo "broker=http cache_ttl=$ttl $("$generator" "${polling[@]}" \
      --target="127.0.0.1:$server_port" --upstream="http://127.0.0.1:$RMQ_HTTP_PORT" \
      --metadata="host={management};queueName=bench-{queue};mode=QueueLength;value=20" |
      tail -n1)"
    stop_server

    start_server "$logs/scaler-broker-amqp-$ttl.log" "$bin/rabbitmq-scaler" \
      --listen=127.0.0.1:0 --cache_ttl="$ttl" --metrics_listen=127.0.0.1:0
    metrics_port=$(grep -oE 'metrics server started" address=[0-9.]+:[0-9]+' \
      "$logs/scaler-broker-amqp-$ttl.log" | grep -oE '[0-9]+$')
    line=$("$generator" "${polling[@]}" --target="127.0.0.1:$server_port" --management_port=-1 \
      --metadata="host=amqp://guest:guest@127.0.0.1:$RMQ_AMQP_PORT/%2F;queueName=bench-{queue};mode=QueueLength;value=20" |
      tail -n1)
    queries=$(curl -sf "http://127.0.0.1:$metrics_port/metrics" |
      awk '/^rabbitmq_scaler_broker_queries_total/ { sum += $NF } END { print sum + 0 }')
    elapsed=$(grep -oE 'seconds=[0-9.]+' <<<"$line" | cut -d= -f2)
    echo "broker=amqp cache_ttl=$ttl $line scaler_broker_queries=$queries" \
      "scaler_broker_queries_per_s=$(awk -v q="$queries" -v s="$elapsed" 'BEGIN { printf "%.2f", q / s }')"
    stop_server
  done
fi

# Memory: 1000 ScaledObjects on 200 queues.
start_server "$logs/scaler-rss.log" "$bin/rabbitmq-scaler" --listen=127.0.0.1:0
echo "rss $("$generator" --mode=keda --target="127.0.0.1:$server_port" --scaled_objects=1000 \
  --queues=200 --polling_interval=5s --hpa_interval=5s --duration=20s --scaler_pid="$server_pid" \
  --metadata="host={management};queueName={queue};mode=QueueLength;value=20" | tail -n1)"
stop_server

echo "startup $("$generator" --mode=startup --scaler_binary="$bin/rabbitmq-scaler" --trials=20)"
