#!/bin/sh
# bench.sh - speed and memory targets as ratios measured in one run (make
# bench).  Each bench prints its own lines as it goes and adds its figures
# to one table (bench_row in tests/integration/lib.sh, bench_row() in
# tests/t.h), printed at the end in Markdown so it can be pasted into
# BENCHMARKS.md.
set -u
BIN=$(cd "${1:-bin}" && pwd)
BUILD=$(cd "${2:-build}" && pwd)
rc=0
LRFLOW_BENCH_TABLE=$(mktemp "${TMPDIR:-/tmp}/lrflow-bench.XXXXXX")
export LRFLOW_BENCH_TABLE
trap 'rm -f "$LRFLOW_BENCH_TABLE"' EXIT
start=$(date +%s)
for b in "$BUILD"/tests/bench/bench_*; do
	case "$b" in *.o|*.d) continue ;; esac
	[ -x "$b" ] || continue
	t=$(date +%s)
	"$b" || rc=1
	echo "  ($(basename "$b"): $(($(date +%s) - t)) s)"
done
# Whole daemons against the simulator.
for s in "$(dirname "$0")"/bench/*.sh; do
	t=$(date +%s)
	LRFLOW_BIN=$BIN sh "$s" || rc=1
	echo "  ($(basename "$s"): $(($(date +%s) - t)) s)"
done
redis=$(redis-server --version 2>/dev/null | sed -n 's/.*v=\([^ ]*\).*/\1/p')
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, Linux $(uname -r), Redis ${redis:-?}, $(($(date +%s) - start)) s"
echo
echo "| # | figure | target | measured | raw |"
echo "|---|---|---|---|---|"
sort -t'|' -k1,1 -s "$LRFLOW_BENCH_TABLE" |
	awk -F'|' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }'
exit $rc
