#!/bin/sh
# run.sh - runs every unit and integration test and prints one summary
# line, "N passed, N failed".  Usage: run.sh [--unit-only] BINDIR BUILDDIR
# Integration scripts spend most of their time waiting (for a lease to run
# out, a device to check in), and each has its own Redis, simulator and
# temp dir, so T_JOBS of them (default 3) run at once; their reports are
# printed in order.
set -u
unit_only=0
[ "${1:-}" = "--unit-only" ] && { unit_only=1; shift; }
BIN=$(cd "${1:-bin}" && pwd)
BUILD=$(cd "${2:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
export LRFLOW_BIN="$BIN" LRFLOW_TOP="$top"
passed=0 failed=0
out=$(mktemp "${TMPDIR:-/tmp}/lrflow-run.XXXXXX")
trap 'rm -f "$out"' EXIT

# report NAME OUT RC SECONDS: counts one program's ok / not ok lines.
report() {
	name=$1 out=$2 rc=$3 secs=$4
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# died or failed without saying which check
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	passed=$((passed + p)) failed=$((failed + f))
	printf '%-40s %3d passed, %d failed (%ds)\n' "$name" "$p" "$f" "$secs"
	grep '^# SKIP' "$out" | sed 's/^/    /'
	if [ "$f" -ne 0 ] || [ -n "${T_VERBOSE:-}" ]; then
		grep -A3 '^not ok' "$out" | sed 's/^/    /'
		echo "    ..."
		sed 's/^/    /' "$out" | tail -n 40
	fi
}

# run NAME CMD...: runs one test program now.
run() {
	name=$1; shift
	start=$(date +%s)
	"$@" >"$out" 2>&1
	report "$name" "$out" $? $(( $(date +%s) - start ))
}

for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	run "unit/$(basename "$t")" timeout 120 "$t"
done
if [ "$unit_only" -eq 0 ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/lrflow-runs.XXXXXX")
	trap 'rm -f "$out"; rm -rf "$dir"' EXIT
	ls "$top"/tests/integration/t_*.sh | xargs -P "${T_JOBS:-3}" -I{} sh -c '
		n=$(basename "$1" .sh); start=$(date +%s)
		timeout 300 sh "$1" >"$2/$n.out" 2>&1
		echo "$? $(( $(date +%s) - start ))" >"$2/$n.rc"' sh {} "$dir"
	for t in "$top"/tests/integration/t_*.sh; do
		n=$(basename "$t" .sh)
		[ -f "$dir/$n.rc" ] || echo "1 0" >"$dir/$n.rc"
		read -r rc secs <"$dir/$n.rc"
		report "integration/$n" "$dir/$n.out" "$rc" "$secs"
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
