#!/usr/bin/env bash
# Builds the project with ThreadSanitizer into build-tsan and runs the CTest suites (every label
# unless ctest arguments say otherwise), with the local RabbitMQ started as scripts/test.sh
# does. See scripts/sanitizer-suite.sh for the settings.
#
# NOTE: with Debian's Abseil, which is not built with TSan, the run reports false data races on
# every field guarded by an absl::Mutex (scripts/sanitizers/tsan.supp says more). Its reports are
# worth reading only with an Abseil built with -fsanitize=thread.
exec bash "$(dirname "$0")/sanitizer-suite.sh" tsan "$@"
