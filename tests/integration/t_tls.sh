# t_tls.sh - Redis over TLS the supported way on Debian 12 (whose hiredis
# has no TLS): redis-server listens with TLS only (--port 0 --tls-port N,
# a CA and a server certificate made here with openssl), and stunnel on the
# client side accepts plain connections on 127.0.0.1 and carries them over
# TLS, verifying the server against the CA.  A worker, the poller and the
# viewer, each with its ACL user and password, run through it and a job
# completes; plain TCP to the TLS port gets nothing; a stunnel that trusts
# another CA refuses the server.
. "$(dirname "$0")/lib.sh"

STUNNEL=$(command -v stunnel4 || command -v stunnel || true)
if [ -z "$STUNNEL" ] || ! command -v openssl >/dev/null 2>&1; then
	echo "# SKIP: stunnel4 or openssl is not installed, so the TLS test DID NOT RUN"
	echo "# SKIP: install them with: make deps (apt-get install stunnel4 openssl)"
	echo "SKIP: t_tls: stunnel4 missing; the TLS test did not run" >&2
	echo "ok 1 - # SKIP TLS test not run: stunnel4 missing"
	finish
fi

# free_port: a TCP port nobody listens on (from /proc/net/tcp*).
free_port() {
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		hex=$(printf '%04X' "$p")
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		    awk '{print $2}' | grep -q ":$hex\$" || { echo "$p"; return; }
	done
}

# --- a CA and a server certificate (what the Redis host holds) ---------
cd "$tmp" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lrflow test CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout redis.key -out redis.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
openssl x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days 2 -extfile san.ext -out redis.crt 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
    -keyout other.key -out other.crt 2>/dev/null
chmod 600 ./*.key
cd - >/dev/null || exit 1
ok "certificates made" openssl verify -CAfile "$tmp/ca.crt" "$tmp/redis.crt"

ADMIN_PW=admin-Tls-$$
POLLER_PW=poller-Tls-$$
WORKER_PW=worker-Tls-$$
VIEWER_PW=viewer-Tls-$$
sed -e "s/^user lrflow-admin on /user lrflow-admin on >$ADMIN_PW /" \
    -e "s/^user lrflow-poller on /user lrflow-poller on >$POLLER_PW /" \
    -e "s/^user lrflow-worker on /user lrflow-worker on >$WORKER_PW /" \
    -e "s/^user lrflow-viewer on /user lrflow-viewer on >$VIEWER_PW /" \
    "$TOP/deploy/redis-users.acl" >"$tmp/users.acl"
printf '%s\n' "$POLLER_PW" >"$tmp/poller.pw"
printf '%s\n' "$WORKER_PW" >"$tmp/worker.pw"
printf '%s\n' "$VIEWER_PW" >"$tmp/viewer.pw"
chmod 600 "$tmp"/*.pw
rcli() {
	REDISCLI_AUTH=$ADMIN_PW redis-cli -s "$tmp/redis.sock" --user lrflow-admin "$@"
}

# --- Redis: TLS only on TCP (the unix socket is the operator's, local) --
TLS_PORT=$(free_port)
start_redis --aclfile "$tmp/users.acl" --tls-port "$TLS_PORT" \
    --tls-cert-file "$tmp/redis.crt" --tls-key-file "$tmp/redis.key" \
    --tls-ca-cert-file "$tmp/ca.crt" --tls-auth-clients no
is "Redis has no plain TCP port" "$(rcli CONFIG GET port | tail -n 1)" 0
is "only its TLS port" "$(rcli CONFIG GET tls-port | tail -n 1)" "$TLS_PORT"
start_cbsim

# --- stunnel on the client host: 127.0.0.1:LOCAL -> TLS, CA verified ---
# start_stunnel NAME CAFILE: deploy/stunnel-redis.conf.example filled in
# (running as us, not as stunnel4), in the foreground; sets NAME_PORT.
start_stunnel() {
	port=$(free_port)
	sed -e "s|@ACCEPT@|127.0.0.1:$port|" -e "s|@CONNECT@|127.0.0.1:$TLS_PORT|" \
	    -e "s|@CAFILE@|$2|" -e "s|@CHECKHOST@|localhost|" \
	    -e "s|^setuid = .*||" -e "s|^setgid = .*||" \
	    "$TOP/deploy/stunnel-redis.conf.example" >"$tmp/$1.conf"
	"$STUNNEL" "$tmp/$1.conf" >"$tmp/$1.log" 2>&1 &
	pids="$pids $!"
	eval "${1}_PORT=$port"
	wait_for 5 grep -q "Configuration successful" "$tmp/$1.log"
}
ok "stunnel starts" start_stunnel tunnel "$tmp/ca.crt"
R="redis://%s@127.0.0.1:$tunnel_PORT/0"

# --- plain TCP to the TLS port gets nothing -----------------------------
plain=$(REDISCLI_AUTH=$WORKER_PW timeout 5 redis-cli -h 127.0.0.1 -p "$TLS_PORT" --user lrflow-worker PING 2>&1)
ok "plain TCP to the TLS port: no PONG" sh -c "! printf '%s' '$plain' | grep -q PONG"
echo "# plain TCP says: $(printf '%s' "$plain" | tr '\n' ' ')"
is "through stunnel: PONG" "$(REDISCLI_AUTH=$WORKER_PW redis-cli -h 127.0.0.1 -p "$tunnel_PORT" --user lrflow-worker PING 2>&1)" PONG

# --- the daemons through the tunnel, with their users -------------------
start_worker w1 --redis "$(printf "$R" lrflow-worker)" --redis-password-file "$tmp/worker.pw"
"$BIN/lr-poller" --redis "$(printf "$R" lrflow-poller)" --redis-password-file "$tmp/poller.pw" \
    --credentials "$tmp/credentials.psc" --synthetic 21212 --poll 300 \
    >"$tmp/poller.out" 2>"$tmp/poller.log" &
pids="$pids $!"
start_viewer --redis "$(printf "$R" lrflow-viewer)" --redis-password-file "$tmp/viewer.pw"
ok "a job completes through TLS" wait_for 30 status_is 21212 done
ok "the viewer shows it" sh -c "curl -sf '$VIEWER_URL/api/devices/21212' | jq -e '.status == \"done\"'"
ok "and is healthy" sh -c "curl -sf '$VIEWER_URL/healthz' | grep -qx ok"
# CLIENT LIST: each daemon's connections arrive on the TLS port.
is "every daemon is connected, on the TLS port" \
    "$(rcli CLIENT LIST | grep 'user=lrflow-[pwv]' | sed -n "s/.*laddr=127.0.0.1:$TLS_PORT .*user=\(lrflow-[a-z]*\).*/\1/p" | sort -u | tr '\n' ' ')" \
    "lrflow-poller lrflow-viewer lrflow-worker "

# --- a worker straight at the TLS port never gets in --------------------
start_worker direct --redis "redis://lrflow-worker@127.0.0.1:$TLS_PORT/0" \
    --redis-password-file "$tmp/worker.pw"
ok "a worker without the tunnel waits for Redis" wait_for 10 grep -q "waiting for Redis" "$tmp/direct.log"
ok "and registers nothing" sh -c "[ -z \"\$(REDISCLI_AUTH=$ADMIN_PW redis-cli -s $tmp/redis.sock --user lrflow-admin ZSCORE lr:workers direct)\" ]"

# --- stunnel verifies the server: trusting another CA, it refuses -------
ok "a stunnel trusting another CA starts" start_stunnel wrongca "$tmp/other.crt"
bad=$(REDISCLI_AUTH=$WORKER_PW timeout 5 redis-cli -h 127.0.0.1 -p "$wrongca_PORT" --user lrflow-worker PING 2>&1)
ok "but gets no PONG" sh -c "! printf '%s' '$bad' | grep -q PONG"
ok "because the certificate does not verify" wait_for 5 grep -qi "certificate verify failed" "$tmp/wrongca.log"
ok "which Redis sees as an unknown CA" grep -q "alert unknown ca" "$tmp/redis.log"

leaks=""
for pw in $ADMIN_PW $POLLER_PW $WORKER_PW $VIEWER_PW; do
	grep -lF -- "$pw" "$tmp"/*.log "$tmp"/*.out 2>/dev/null && leaks="$leaks $pw"
done
is "no password in any log" "$leaks" ""
finish
