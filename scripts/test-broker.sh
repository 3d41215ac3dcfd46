#!/usr/bin/env bash
# The shared test broker as scripts/test.sh and scripts/sanitizer-suite.sh run it: the local
# RabbitMQ of scripts/rabbitmq.sh plus TLS listeners (AMQPS 29675, HTTPS 29676, client
# certificates required) with a throw-away CA in DIR, for the broker TLS tests.
#
#   scripts/test-broker.sh start DIR | env DIR | stop
#
# RMQ_TLS_DIR, when set, takes the place of DIR. The TLS ports go to this broker only: `env`
# prints them as RMQ_AMQPS_URL and RMQ_HTTPS_URL, not as RMQ_AMQPS_PORT or RMQ_HTTPS_PORT,
# because tests that start brokers of their own must not open the same ports.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"

usage="usage: $0 start DIR | env DIR | stop"
command=${1:?$usage}
tls_dir=${RMQ_TLS_DIR:-${2:-}}
if [ "$command" != stop ] && [ -z "$tls_dir" ]; then
  echo "$0: $command needs the TLS folder DIR; $usage" >&2
  exit 2
fi
tls_settings=(RMQ_TLS_DIR="$tls_dir" RMQ_AMQPS_PORT="${RMQ_AMQPS_PORT:-29675}"
  RMQ_HTTPS_PORT="${RMQ_HTTPS_PORT:-29676}"
  RMQ_TLS_REQUIRE_CLIENT_CERT="${RMQ_TLS_REQUIRE_CLIENT_CERT:-true}")

case "$command" in
  start)
    bash scripts/make-test-certs.sh "$tls_dir"
    env "${tls_settings[@]}" bash scripts/rabbitmq.sh start
    ;;
  stop)
    bash scripts/rabbitmq.sh stop
    ;;
  env)
    env "${tls_settings[@]}" bash scripts/rabbitmq.sh env
    ;;
  *)
    echo "$0: unknown command \"$command\"; expected start, env or stop" >&2
    exit 2
    ;;
esac
