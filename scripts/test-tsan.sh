#!/usr/bin/env bash
# Builds the project with ThreadSanitizer into build-tsan and runs the CTest suites against the
# local RabbitMQ, as scripts/test.sh does, except the suites labelled `grpc`. Extra arguments go
# to ctest after `-LE grpc`, e.g. `scripts/test-tsan.sh -L unit`. See scripts/sanitizer-suite.sh
# for the settings.
#
# NOTE: the `grpc` suites run an in-process gRPC server or client, or the rabbitmq-scaler
# binary. They cannot be checked with Debian's gRPC and Abseil, which are not built with TSan.
# scripts/sanitizers/tsan.supp lists the false reports they produce and why suppressions do not
# remove them. The scaler's concurrent parts (caches, stats sources, watchers, metrics) are
# checked by their own suites, which drive them from std::threads.
exec bash "$(dirname "$0")/sanitizer-suite.sh" tsan -LE grpc "$@"
