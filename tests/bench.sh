#!/bin/sh
# bench.sh - speed targets as ratios measured in one run (make bench).
set -u
BIN=$(cd "${1:-bin}" && pwd)
BUILD=$(cd "${2:-build}" && pwd)
rc=0
for b in "$BUILD"/tests/bench/bench_*; do
	case "$b" in *.o|*.d) continue ;; esac
	[ -x "$b" ] || continue
	"$b" || rc=1
done
# Whole daemons against the simulator.
for s in "$(dirname "$0")"/bench/*.sh; do
	LRFLOW_BIN=$BIN sh "$s" || rc=1
done
exit $rc
