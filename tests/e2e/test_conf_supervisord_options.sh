#!/bin/sh
# supervisord options taskvisord used to ignore with a warning, now honoured at run time:
# [supervisord] environment= (every program gets it; %(ENV_X)s sees it), a program's own
# environment= in its command's %(ENV_X)s, silent=, logfile_maxbytes/logfile_backups (the
# daemon's own log rotates), user= (privileges dropped, as root), and an empty or missing command
# refused at start with supervisorctl's words and exit code, side by side with supervisord 4.2.5.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"
svd_require
tv_init

# One supervisord file for both daemons; D is the directory of the run.
write_conf() {
	D=$1
	mkdir -p "$D/log"
	cat >"$D/sv.conf" <<EOF
[unix_http_server]
file=$D/sv.sock

[supervisord]
logfile=$D/daemon.log
logfile_maxbytes=2KB
logfile_backups=2
pidfile=$D/sv.pid
childlogdir=$D/log
nodaemon=true
silent=true
loglevel=debug
environment=TV_GLOBAL="from the daemon",TV_BOTH="daemon"

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$D/sv.sock

[program:env]
command=/bin/sh -c "echo \$TV_GLOBAL/\$TV_BOTH/%(ENV_TV_OWN)s; exec sleep 30"
environment=TV_OWN="own",TV_BOTH="program"
stdout_logfile=$D/env.out
startsecs=0

[program:empty]
command=
autostart=false

[program:missing]
command=/nonexistent/tv-command
autostart=false

[program:directory]
command=/tmp
autostart=false
EOF
}

write_conf "$T/sv"
svd_start "$T/sv/sv.conf"
write_conf "$T/tv"
"$TVD" -c "$T/tv/sv.conf" >"$T/daemon.out" 2>&1 &
DAEMON_PID=$!
why=$(tv_wait_socket "$DAEMON_PID" "$T/tv/sv.sock" 100) || fail "taskvisord: $why: $(cat "$T/daemon.out")"
_sv_up() { [ -S "$T/sv/sv.sock" ]; }
wait_for 15 _sv_up || fail "supervisord did not start: $(cat "$SUP_OUT")"

# environment: [supervisord]'s under the program's own; %(ENV_TV_OWN)s in the command
_env_out() { grep -q . "$T/tv/env.out"; }
wait_for 10 _env_out || fail "env printed nothing"
assert_eq "$(cat "$T/tv/env.out")" "from the daemon/program/own" "the program's environment"
_sv_env_out() { grep -q . "$T/sv/env.out"; }
wait_for 10 _sv_env_out || fail "env printed nothing under supervisord"
assert_eq "$(cat "$T/tv/env.out")" "$(cat "$T/sv/env.out")" "the same environment as supervisord's"

# starting an empty, a missing, a non-executable command: supervisorctl's words and exit codes
for p in empty missing directory; do
	want=$(supervisorctl -c "$T/sv/sv.conf" start "$p" 2>&1; echo "rc=$?")
	got=$("$TVCTL" -c "$T/tv/sv.conf" start "$p" 2>&1; echo "rc=$?")
	assert_eq "$got" "$want" "start $p"
	want=$(supervisorctl -c "$T/sv/sv.conf" status "$p" 2>&1 | awk '{print $1, $2}')
	got=$("$TVCTL" -c "$T/tv/sv.conf" status "$p" 2>&1 | awk '{print $1, $2}')
	assert_eq "$got" "$want" "status $p after the refused start"
done
# the XML-RPC fault: NOT_EXECUTABLE with supervisord's reason
fault() {
	python3 - "$1" <<'EOF'
import sys, xmlrpc.client, http.client, socket
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
class Tr(xmlrpc.client.Transport):
    def make_connection(self, host): return C("localhost")
s = xmlrpc.client.ServerProxy("http://localhost", transport=Tr())
for name in ("empty", "missing"):
    try:
        s.supervisor.startProcess(name)
    except xmlrpc.client.Fault as f:
        print(f.faultCode, f.faultString)
EOF
}
assert_eq "$(fault "$T/tv/sv.sock")" "$(fault "$T/sv/sv.sock")" "startProcess faults"

# silent=true: the daemon's log is not echoed (nodaemon=true)
[ -s "$T/daemon.out" ] && fail "silent=true, yet the daemon wrote: $(head -n 3 "$T/daemon.out")"
# logfile_maxbytes=2KB, logfile_backups=2: the daemon's own log rotates
for i in 1 2 3 4 5 6 7 8; do "$TVCTL" -c "$T/tv/sv.conf" restart env >/dev/null 2>&1; done
# (the daemon may be rotating as we look: daemon.log.1 is renamed to .2 just before .log becomes .1)
wait_for 5 test -s "$T/tv/daemon.log.1" || fail "the daemon's log did not rotate: $(ls -l "$T/tv")"
[ -e "$T/tv/daemon.log.3" ] && fail "more than logfile_backups=2 old logs"
wait_for 5 sh -c "[ \$(wc -c <'$T/tv/daemon.log.1') -lt 4096 ]" || fail "daemon.log.1 is larger than about 2KB"

# user=: as root, the daemon becomes that user before it opens anything
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	U="$T/user"
	mkdir -p "$U/log"
	chmod 755 "$T"
	chown nobody "$U" "$U/log"
	cat >"$U/sv.conf" <<EOF
[unix_http_server]
file=$U/sv.sock
[supervisord]
user=nobody
logfile=$U/daemon.log
childlogdir=$U/log
[program:sleeper]
command=sleep 30
EOF
	"$TVD" -n -c "$U/sv.conf" >"$T/user.out" 2>&1 &
	UPID=$!
	why=$(tv_wait_socket "$UPID" "$U/sv.sock" 100) || fail "user=nobody: $why: $(cat "$T/user.out")"
	uid=$(awk '/^Uid:/ {print $2}' "/proc/$UPID/status")
	kill -TERM "$UPID"; wait "$UPID"
	assert_eq "$uid" "$(id -u nobody)" "the daemon's uid with user=nobody"
	assert_eq "$(stat -c %U "$U/daemon.log")" nobody "the log is created as nobody"
else
	echo "(not root: user= drop not checked here)"
fi
exit 0
