#!/bin/sh
# Build (or reuse, when inputs are unchanged) everything the VM tier needs:
# wheels, the live environment, the test payload and the signed RPM repository.
# usage: tests/vm/build.sh [live|payload|repo|all]
set -e
cd "$(dirname "$0")"
exec /usr/bin/python3 -m harness.build "${1:-all}"
