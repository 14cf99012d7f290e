#!/bin/sh
# commands.sh - figure 8, time per device against a plain sequential
# client (make bench).
#
# The same collection (net start, reg.exe and sc.exe into output files
# fetched and deleted, the process list, C:\Users, the user's three
# browser folders, the History file: 15 commands, 4 files) done two ways
# against lr-cbsim v6 with 50 ms latency and 400 ms commands:
#  - the plain client (tests/bench/seqclient.c, built as build/tests/bench/seqclient) does it
#    as the SDKs do: each command posted after the previous one completed,
#    polled at once and then every 0.5 s, 10 threads (10 sessions);
#  - lrflow: one worker process, --concurrency 10 --session-limit 10.
# Ratio = lrflow makespan / plain makespan, target 0.5.  The figure as set
# out is 40 devices; 20 (two waves of 10 sessions) keeps the shape and the
# run to about 40 s.
#
# Measured with a device that runs a session's commands one after another
# (lr-cbsim "command_serial", as a sensor does): there no client can do
# better than the device's own time, 15 x 400 ms a job, so the floor of
# the ratio is that over the plain client's time per job, printed beside
# it.  Then, shorter (10 devices, one wave), with a device that runs them
# all at once (lr-cbsim's default).
. "$(dirname "$0")/../integration/lib.sh"

TARGET=0.5
LAT=50
CMD=400
SESSIONS=10
SEQ=${LRFLOW_BUILD:-$BIN/../build}/tests/bench/seqclient
[ -x "$SEQ" ] || { echo "  commands: $SEQ is not built (make)"; exit 1; }

# fleet SERIAL FIRST LAST: the scenario, each device with one user whose
# Chrome has a Default profile.
fleet() {
	sim_fleet $LAT $CMD "$2" "$3" | sed "s/^{/{\"command_serial\": $1, /"
}

# round NAME SERIAL FIRST LAST: both clients on devices FIRST..LAST; writes
# "plain_ms lrflow_ms commands_per_job peak" to $tmp/NAME.res.
round() {
	fleet "$2" "$3" "$4" >"$tmp/$1.json"
	start_cbsim "$tmp/$1.json"
	write_v6_creds ABCD1234
	devs=$(seq "$3" "$4")
	n=$(($4 - $3 + 1))
	"$SEQ" --url "$CB_URL" --org ABCD1234 --token "$LR_TOKEN" \
	    --threads $SESSIONS $devs >"$tmp/$1.plain" 2>>"$tmp/$1.plain.log" ||
	    { echo "  commands: the plain client failed (logs: $tmp)"; return 1; }
	plain_ms=$(awk '{ print $6 }' "$tmp/$1.plain")
	plain_cmds=$(awk '{ print $8 }' "$tmp/$1.plain")
	queue_in "$1" $devs || return 1
	t0=$(now_ms)
	start_worker "w$1" --prefix "$1" --concurrency $SESSIONS \
	    --session-limit $SESSIONS --checkin-timeout 30
	k=0
	while [ "$(rcli HGET "$1:stats" jobs_done)" != "$n" ] && [ $k -lt 1200 ]; do
		sleep 0.1
		k=$((k + 1))
	done
	t1=$(now_ms)
	eval "wp=\$w${1}_PID"
	stop "$wp"
	curl -s "$CB_URL/_sim/stats" >"$tmp/$1.stats"
	stop "$CBSIM_PID"
	[ "$(rcli HGET "$1:stats" jobs_done)" = "$n" ] ||
	    { echo "  commands: lrflow did $(rcli HGET "$1:stats" jobs_done) of $n jobs (logs: $tmp)"; return 1; }
	# Commands per job, both clients alike (the plain client counted its
	# own); the deepest queue lrflow kept on one session.
	echo "$plain_ms $((t1 - t0)) $((plain_cmds / n)) $(jq .commands_waiting_peak "$tmp/$1.stats") $n" >"$tmp/$1.res"
}

start_redis
echo "commands benchmark: lrflow against a plain sequential client, $SESSIONS sessions, lr-cbsim v6 with $LAT ms latency, $CMD ms commands"
round ser true 7400 7419 || { T_KEEP=1; exit 1; }
round par false 7450 7459 || { T_KEEP=1; exit 1; }
for r in ser par; do
	read -r plain lrflow cmds peak n <"$tmp/$r.res"
	case $r in
	ser) what="device runs commands one at a time" ;;
	par) what="device runs commands at once" ;;
	esac
	waves=$(( (n + SESSIONS - 1) / SESSIONS ))
	# The floor: the device's own time per job over the plain client's.
	floor=$(echo "$cmds $plain $waves" | awk -v c=$CMD '{ printf "%.2f", $1 * c / ($2 / $3) }')
	[ $r = par ] && floor=""
	echo "$plain $lrflow $n $cmds $peak $waves" | awk -v t=$TARGET -v w="$what" -v f="$floor" '{
		printf "  time/device (%s)  ratio %.2f (target <= %.1f)  lrflow %.1f s, plain client %.1f s for %d devices (%d commands each, up to %d queued on a session)%s\n",
		    w, $2 / $1, t, $2 / 1000, $1 / 1000, $3, $4, $5,
		    f != "" ? sprintf("; floor %s (%d x %d ms of device time a job over %.1f s a job for the plain client)", f, $4, '"$CMD"', $1 / $6 / 1000) : "" }'
	raw=$(echo "$plain $lrflow $n $cmds $waves" | awk -v f="$floor" -v c=$CMD '{
		printf "lrflow %.1f s, plain client %.1f s, %d devices, %d commands each", $2 / 1000, $1 / 1000, $3, $4
		if (f != "") printf "; floor %s = %d x %d ms device time over %.1f s a job plain", f, $4, c, $1 / $5 / 1000 }')
	bench_row 8 "time per device against a plain sequential client ($what)" "<= $TARGET" \
	    "$(echo "$plain $lrflow" | awk '{ printf "%.2f", $2 / $1 }')" "$raw"
done
exit 0
