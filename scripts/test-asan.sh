#!/usr/bin/env bash
# Builds the project with AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer into
# build-asan and runs the CTest suites (every label unless ctest arguments say otherwise, e.g.
# `scripts/test-asan.sh -L unit`), with the local RabbitMQ started as scripts/test.sh does.
# Any report fails the test that produced it. See scripts/sanitizer-suite.sh for the settings.
exec bash "$(dirname "$0")/sanitizer-suite.sh" asan "$@"
