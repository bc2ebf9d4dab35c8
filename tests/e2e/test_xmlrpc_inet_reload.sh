#!/bin/sh
# [inet_http_server] follows the configuration: added by a reload (the module loads then), moved
# to another port by a reload asked over that very port (supervisorctl reload), closed when the
# section goes; the Unix socket serves XML-RPC throughout.
. "$(dirname "$0")/lib.sh"
command -v supervisorctl >/dev/null 2>&1 || { echo "supervisorctl not installed (apt-get install supervisor)"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "python3 not installed"; exit 77; }

tv_init
printf '[program:p]\ncommand = sleep 1000\nstartsecs = 0\n' | tv_program p
tv_start
wait_state p RUNNING
set -- $("$PY" -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')
P1=$1
P2=$2
inet() { supervisorctl -s "http://127.0.0.1:$1" -u u -p pw $2; }
served() { supervisorctl -s "http://127.0.0.1:$1" -u u -p pw status p 2>/dev/null | grep -q RUNNING; }
grep -q "http: module loaded" "$T/taskvisord.log" && fail "module loaded before anyone spoke HTTP"

printf '\n[inet_http_server]\nport = 127.0.0.1:%s\nusername = u\npassword = pw\n' "$P1" >>"$T/taskvisord.conf"
out=$(ctl reload 2>&1) || fail "reload: $out"
wait_for 10 served "$P1" || fail "port $P1 not served after the reload: $(inet "$P1" status 2>&1)"
grep -q "http: module loaded" "$T/taskvisord.log" || fail "module not loaded for [inet_http_server]"

sed -i "s/^port = 127.0.0.1:$P1\$/port = 127.0.0.1:$P2/" "$T/taskvisord.conf"
out=$(inet "$P1" reload 2>&1)
assert_contains "$out" "Restarted supervisord" "reload over the port that moves"
wait_for 10 served "$P2" || fail "port $P2 not served after the move: $(inet "$P2" status 2>&1)"
out=$(inet "$P1" status 2>&1)
assert_contains "$out" "refused" "the old port is closed"

sed -i '/^\[inet_http_server\]$/,$d' "$T/taskvisord.conf"
out=$(ctl reload 2>&1) || fail "reload: $out"
wait_for 10 sh -c "! supervisorctl -s http://127.0.0.1:$P2 -u u -p pw status >/dev/null 2>&1" ||
	fail "port $P2 still served without [inet_http_server]"
wait_for 10 sh -c "supervisorctl -s unix://$T/tv.sock status p | grep -q RUNNING" || fail "Unix socket XML-RPC after the reloads"
kill -0 "$DAEMON_PID" || fail "daemon died"
echo ok
