#!/bin/sh
# run.sh - runs every unit and integration test and prints one summary
# line, "N passed, N failed".  Usage: run.sh [--unit-only] BINDIR BUILDDIR
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

# run NAME CMD...: runs one test program, counts its ok / not ok lines.
run() {
	name=$1; shift
	start=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# died or failed without saying which check
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	passed=$((passed + p)) failed=$((failed + f))
	printf '%-40s %3d passed, %d failed (%ds)\n' "$name" "$p" "$f" \
	    $(( $(date +%s) - start ))
	if [ "$f" -ne 0 ] || [ -n "${T_VERBOSE:-}" ]; then
		grep -A3 '^not ok' "$out" | sed 's/^/    /'
		echo "    ..."
		sed 's/^/    /' "$out" | tail -n 40
	fi
}

for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	run "unit/$(basename "$t")" timeout 120 "$t"
done
if [ "$unit_only" -eq 0 ]; then
	for t in "$top"/tests/integration/t_*.sh; do
		[ -f "$t" ] || continue
		run "integration/$(basename "$t" .sh)" timeout 300 sh "$t"
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
