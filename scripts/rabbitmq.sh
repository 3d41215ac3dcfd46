#!/usr/bin/env bash
# Starts and stops a throw-away RabbitMQ node for tests and local runs.
#
#   scripts/rabbitmq.sh start | stop | restart | status | env
#
# The node listens on 127.0.0.1 only and keeps its data, logs and Erlang cookie under
# $RMQ_DIR (default build/rabbitmq/$RMQ_NODE), so several nodes can run side by side with
# different names and ports. `start` waits until the node has booted (rabbitmqctl
# await_startup) and the management API responds; `stop` waits until the node is gone. Both are
# safe to run twice. With RMQ_TLS_DIR set, `start` restarts a running node whose rabbitmq.conf
# differs from the one it would write. `env` prints the export lines that tests and tools read
# (RMQ_AMQP_URL, RMQ_HTTP_URL, ...).
#
# Settings (environment):
#   RMQ_NODE       node name prefix            (default krs)
#   RMQ_AMQP_PORT  AMQP port                   (default 29672)
#   RMQ_HTTP_PORT  management API port         (default 29673)
#   RMQ_DIST_PORT  Erlang distribution port    (default 29674)
#   RMQ_DIR        data, log and home folder   (default <repo>/build/rabbitmq/$RMQ_NODE)
#   RMQ_CONSUMER_TIMEOUT_MS  delivery acknowledgement timeout (default 10800000 = 3 h)
#
# TLS (optional; without RMQ_TLS_DIR nothing changes):
#   RMQ_TLS_DIR     folder with ca.pem, server.pem and server.key, as written by
#                   scripts/make-test-certs.sh
#   RMQ_AMQPS_PORT  AMQP over TLS port, on 127.0.0.1 (needs RMQ_TLS_DIR)
#   RMQ_HTTPS_PORT  management API over TLS port, on 127.0.0.1 (needs RMQ_TLS_DIR)
#   RMQ_TLS_REQUIRE_CLIENT_CERT  true: both TLS listeners reject clients without a certificate
#                   signed by ca.pem (default false: a certificate is verified when sent)
#
# The default ports lie below Linux's default ephemeral range (32768 to 60999), where any
# process's outgoing connection can hold a port, and away from RabbitMQ's standard ports.
# Ports 35672-35682 are avoided: RabbitMQ's CLI tools use them for their own connections.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
node_prefix=${RMQ_NODE:-krs}
base_dir=${RMQ_DIR:-$repo_root/build/rabbitmq/$node_prefix}

# `start` saves the plain ports of a running node, so that later calls without RMQ_*_PORT
# (env, status, the lab) use the ports the node listens on. `stop` removes the file.
ports_file="$base_dir/ports"
declare -A saved=()
pid_file="$base_dir/rabbitmq.pid"
if [ -f "$ports_file" ] && kill -0 "$(cat "$pid_file" 2>/dev/null)" 2>/dev/null; then
  while IFS='=' read -r name value; do
    [[ "$name" =~ ^[A-Z_]+$ && "$value" =~ ^[0-9]*$ ]] && saved[$name]=$value
  done <"$ports_file"
fi
amqp_port=${RMQ_AMQP_PORT:-${saved[RMQ_AMQP_PORT]:-29672}}
http_port=${RMQ_HTTP_PORT:-${saved[RMQ_HTTP_PORT]:-29673}}
dist_port=${RMQ_DIST_PORT:-${saved[RMQ_DIST_PORT]:-29674}}
consumer_timeout_ms=${RMQ_CONSUMER_TIMEOUT_MS:-10800000}
tls_dir=${RMQ_TLS_DIR:-}
# rabbitmq.conf needs absolute paths.
if [ -n "$tls_dir" ] && [ -d "$tls_dir" ]; then
  tls_dir=$(cd "$tls_dir" && pwd)
fi
amqps_port=${RMQ_AMQPS_PORT:-}
https_port=${RMQ_HTTPS_PORT:-}
tls_require_client_cert=${RMQ_TLS_REQUIRE_CLIENT_CERT:-false}
node_name="$node_prefix@localhost"
rabbit_bin=/usr/lib/rabbitmq/bin

# The /usr/sbin wrappers switch to the rabbitmq user, whose Erlang cookie differs from ours:
# call the scripts in /usr/lib/rabbitmq/bin with our own HOME instead.
export HOME="$base_dir/home"
export RABBITMQ_NODENAME="$node_name"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$amqp_port"
export RABBITMQ_DIST_PORT="$dist_port"
export RABBITMQ_MNESIA_BASE="$base_dir/mnesia"
export RABBITMQ_LOG_BASE="$base_dir/log"
export RABBITMQ_CONFIG_FILE="$base_dir/rabbitmq"
export RABBITMQ_ENABLED_PLUGINS_FILE="$base_dir/enabled_plugins"
export RABBITMQ_PID_FILE="$pid_file"
# Erlang writes a crash dump on a failed boot, by default into the current folder.
export ERL_CRASH_DUMP="$base_dir/erl_crash.dump"
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

ctl() {
  timeout 30 "$rabbit_bin/rabbitmqctl" -n "$node_name" "$@"
}

print_env() {
  cat <<ENV
export RMQ_AMQP_URL=amqp://guest:guest@127.0.0.1:$amqp_port/%2F
export RMQ_HTTP_URL=http://guest:guest@127.0.0.1:$http_port
export RMQ_AMQP_PORT=$amqp_port
export RMQ_HTTP_PORT=$http_port
export RMQ_NODE=$node_prefix
export RMQ_DIR=$base_dir
ENV
  if [ -n "$tls_dir" ]; then
    echo "export RMQ_TLS_DIR=$tls_dir"
    echo "export RMQ_TLS_REQUIRE_CLIENT_CERT=$tls_require_client_cert"
  fi
  # The TLS ports are printed as URLs only: a test that starts a broker of its own with this
  # environment must not try to open them again.
  if [ -n "$tls_dir" ] && [ -n "$amqps_port" ]; then
    echo "export RMQ_AMQPS_URL=amqps://guest:guest@127.0.0.1:$amqps_port/%2F"
  fi
  if [ -n "$tls_dir" ] && [ -n "$https_port" ]; then
    echo "export RMQ_HTTPS_URL=https://guest:guest@127.0.0.1:$https_port"
  fi
}

# Appends the TLS listeners to rabbitmq.conf when RMQ_TLS_DIR and a TLS port are set.
write_tls_config() {
  local conf=$1
  if [ -z "$tls_dir" ]; then
    if [ -n "$amqps_port$https_port" ]; then
      echo "rabbitmq: RMQ_AMQPS_PORT and RMQ_HTTPS_PORT need RMQ_TLS_DIR; no TLS listener started" >&2
    fi
    return 0
  fi
  local file
  for file in ca.pem server.pem server.key; do
    if [ ! -s "$tls_dir/$file" ]; then
      echo "rabbitmq: $tls_dir/$file is missing; create it with scripts/make-test-certs.sh $tls_dir" >&2
      return 1
    fi
  done
  case "$tls_require_client_cert" in
    true | false) ;;
    *)
      echo "rabbitmq: RMQ_TLS_REQUIRE_CLIENT_CERT must be true or false, not \"$tls_require_client_cert\"" >&2
      return 1
      ;;
  esac
  if [ -n "$amqps_port" ]; then
    cat >>"$conf" <<CONF
listeners.ssl.default = 127.0.0.1:$amqps_port
ssl_options.cacertfile = $tls_dir/ca.pem
ssl_options.certfile = $tls_dir/server.pem
ssl_options.keyfile = $tls_dir/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = $tls_require_client_cert
CONF
  fi
  if [ -n "$https_port" ]; then
    cat >>"$conf" <<CONF
management.ssl.ip = 127.0.0.1
management.ssl.port = $https_port
management.ssl.cacertfile = $tls_dir/ca.pem
management.ssl.certfile = $tls_dir/server.pem
management.ssl.keyfile = $tls_dir/server.key
management.ssl.verify = verify_peer
management.ssl.fail_if_no_peer_cert = $tls_require_client_cert
CONF
  fi
}

# Writes the node's configuration to FILE (default $base_dir/rabbitmq.conf).
write_config() {
  local file=${1:-$base_dir/rabbitmq.conf}
  mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
  echo "[rabbitmq_management]." >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  # The AMQP listener comes from RABBITMQ_NODE_IP_ADDRESS and RABBITMQ_NODE_PORT; naming it in
  # rabbitmq.conf too would open it twice and fail with eaddrinuse.
  # Statistics every 500 ms with one-minute retention bring the management API's lag to
  # about 1 s (5 s with the defaults).
  cat >"$file" <<CONF
management.tcp.ip = 127.0.0.1
management.tcp.port = $http_port
loopback_users.guest = true
consumer_timeout = $consumer_timeout_ms
collect_statistics_interval = 500
management.sample_retention_policies.global.minute = 1
management.sample_retention_policies.basic.minute = 1
management.sample_retention_policies.detailed.10 = 1
log.file.level = warning
log.console = false
CONF
  write_tls_config "$file"
}

# Succeeds when the running node can serve this call: it was started with the configuration
# this call would write, or this call requests no TLS listeners (extra ones do no harm).
config_matches() {
  [ -z "$tls_dir" ] && return 0
  local next="$base_dir/rabbitmq.conf.next"
  write_config "$next"
  cmp -s "$next" "$base_dir/rabbitmq.conf"
  local same=$?
  rm -f "$next"
  return $same
}

is_running() {
  [ -f "$RABBITMQ_PID_FILE" ] && kill -0 "$(cat "$RABBITMQ_PID_FILE")" 2>/dev/null
}

management_ready() {
  curl -sf -o /dev/null -u guest:guest "http://127.0.0.1:$http_port/api/overview"
}

# Names the setting of each port that the failed boot reports as already in use (all of them
# when the log names none). A client socket of any process can hold a port in Linux's default
# ephemeral range, 32768 to 60999.
explain_port_conflict() {
  local log="$base_dir/server.out"
  grep -qE 'eaddrinuse|dist_port_already_used' "$log" 2>/dev/null || return 0
  local settings=("RMQ_AMQP_PORT=$amqp_port" "RMQ_HTTP_PORT=$http_port" "RMQ_DIST_PORT=$dist_port")
  [ -n "$tls_dir" ] && [ -n "$amqps_port" ] && settings+=("RMQ_AMQPS_PORT=$amqps_port")
  [ -n "$tls_dir" ] && [ -n "$https_port" ] && settings+=("RMQ_HTTPS_PORT=$https_port")
  local held=() setting
  for setting in "${settings[@]}"; do
    grep -qw "${setting#*=}" "$log" && held+=("$setting")
  done
  [ ${#held[@]} -eq 0 ] && held=("${settings[@]}")
  local example="${held[0]%=*}=$((${held[0]#*=} + 10))"
  echo "rabbitmq: a port of $node_name is already in use (${held[*]}). Stop what listens there," \
    "or start on a free port, for example: $example bash scripts/rabbitmq.sh start." \
    "A port held by a closed connection is free again within about a minute." >&2
}

start() {
  if is_running && management_ready; then
    if config_matches; then
      echo "rabbitmq: $node_name already running (amqp 127.0.0.1:$amqp_port, http 127.0.0.1:$http_port)"
      return 0
    fi
    echo "rabbitmq: $node_name is running with other TLS settings; restarting it" >&2
    stop
  fi
  write_config
  # The foreground script exits 0 even when boot fails, so readiness is checked separately.
  nohup "$rabbit_bin/rabbitmq-server" >"$base_dir/server.out" 2>&1 &
  echo $! >"$RABBITMQ_PID_FILE.launcher"

  local deadline=$((SECONDS + 90))
  until ctl await_startup >/dev/null 2>&1 && management_ready; do
    local failure=""
    if ! kill -0 "$(cat "$RABBITMQ_PID_FILE.launcher")" 2>/dev/null; then
      failure="exited during boot"
    elif [ $SECONDS -ge $deadline ]; then
      failure="did not start within 90 s"
    fi
    if [ -n "$failure" ]; then
      echo "rabbitmq: $node_name $failure; last lines of $base_dir/server.out:" >&2
      tail -n 20 "$base_dir/server.out" >&2 || true
      explain_port_conflict
      # A node that is still booting after the deadline is stopped, so no process is left.
      stop >/dev/null 2>&1
      return 1
    fi
    sleep 0.5
  done
  printf 'RMQ_AMQP_PORT=%s\nRMQ_HTTP_PORT=%s\nRMQ_DIST_PORT=%s\n' \
    "$amqp_port" "$http_port" "$dist_port" >"$ports_file"
  echo "rabbitmq: $node_name ready (amqp 127.0.0.1:$amqp_port, http 127.0.0.1:$http_port, dir $base_dir)"
}

stop() {
  if [ -f "$RABBITMQ_PID_FILE" ] || [ -f "$RABBITMQ_PID_FILE.launcher" ]; then
    ctl stop >/dev/null 2>&1 || true
  fi
  local pids=""
  for file in "$RABBITMQ_PID_FILE" "$RABBITMQ_PID_FILE.launcher"; do
    [ -f "$file" ] && pids="$pids $(cat "$file")"
  done
  local deadline=$((SECONDS + 30))
  for pid in $pids; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  done
  rm -f "$RABBITMQ_PID_FILE" "$RABBITMQ_PID_FILE.launcher" "$ports_file"
  echo "rabbitmq: $node_name stopped"
}

status() {
  if is_running && management_ready; then
    echo "rabbitmq: $node_name running (amqp 127.0.0.1:$amqp_port, http 127.0.0.1:$http_port)"
  else
    echo "rabbitmq: $node_name not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  env) print_env ;;
  *)
    echo "usage: $0 start|stop|restart|status|env" >&2
    exit 2
    ;;
esac
