#!/bin/sh
# requests.sh - figure 3, requests per job (make bench).
#
# One full collection of one device through Live Response v6 against
# lr-cbsim: the API requests the simulator counted (its /_sim/stats
# "requests": every v6 API request, not /_sim, not the storage host),
# against the fewest the same evidence needs, written out below from the
# commands the worker submitted (the simulator's commands_by_name).
# Target 1.3 or less.  Measured twice: with commands that take 400 ms on
# the device, where one poll 0.5 s after the submit finds each done, and
# with 1500 ms ones, where a fixed 0.5 s poll spends three or four.
. "$(dirname "$0")/../integration/lib.sh"

TARGET=1.3
LAT=50 # ms of latency on every answer

# round CMD_MS PREFIX DEVICE: one collection; the simulator's stats go to
# $tmp/PREFIX.json.  Not run in a subshell: cleanup must know its pids.
round() {
	cat >"$tmp/scenario.json" <<EOS
{"latency_ms": $LAT, "command_ms": $1, "devices": [
 {"id": $3, "checkin_after": 0, "users": ["u1"]}]}
EOS
	start_cbsim "$tmp/scenario.json"
	write_v6_creds ABCD1234
	poll_once --prefix "$2" --synthetic "$3" || return 1
	start_worker "w$2" --prefix "$2" --concurrency 1 --session-limit 1
	eval "wp=\$w${2}_PID"
	k=0
	while [ "$(rcli HGET "$2:stats" jobs_done)" != 1 ] && [ $k -lt 900 ]; do
		sleep 0.1
		k=$((k + 1))
	done
	stop "$wp"
	curl -s "$CB_URL/_sim/stats" >"$tmp/$2.json"
	stop "$CBSIM_PID"
	[ "$(rcli HGET "$2:stats" jobs_done)" = 1 ]
}

start_redis
echo "requests benchmark: one v6 collection of one device, lr-cbsim with $LAT ms latency"
fail=0
for ms in 400 1500; do
	round $ms q$ms $((7200 + ms / 100)) ||
	    { echo "  requests ($ms ms commands): the job did not finish (logs: $tmp)"; fail=1; continue; }
	seen=$(jq .requests "$tmp/q$ms.json")
	cmds=$(jq .commands "$tmp/q$ms.json")
	gets=$(jq '.commands_by_name["get file"] // 0' "$tmp/q$ms.json")
	# The fewest requests for the same evidence:
	#   1  device get (is Live Response enabled, which OS)
	#   1  session create
	#   1  session get, ACTIVE at once (checkin_after 0)
	#   2  per command: its submit, and one get that finds it done
	#   2  per file fetched: GET .../content (the storage host's GET is
	#      not an API request, not counted on either side), DELETE the file
	#   1  session close
	min=$((1 + 1 + 1 + 2 * cmds + 2 * gets + 1))
	echo "$ms $seen $min $cmds $gets" | awk -v t=$TARGET '{
		printf "  requests/job (%4d ms commands)  ratio %.2f (target <= %.1f)  %d requests seen, %d minimal (%d commands, %d files)\n",
		    $1, $2 / $3, t, $2, $3, $4, $5 }'
	bench_row 3 "requests per job, $ms ms commands" "<= $TARGET" \
	    "$(echo "$seen $min" | awk '{ printf "%.2f", $1 / $2 }')" \
	    "$seen requests seen, $min minimal ($cmds commands, $gets files)"
done
[ $fail -eq 0 ] || T_KEEP=1
exit $fail
