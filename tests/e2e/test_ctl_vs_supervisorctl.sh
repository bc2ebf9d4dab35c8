#!/bin/sh
# taskvisorctl against Debian's supervisorctl on a real supervisord, same programs, same commands:
# help texts, "stat", add/remove/clear messages and exit codes, maintail's argument errors must be
# the same bytes. Skips (77) without the supervisor package (make test installs it: DEB_TEST).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"
svd_require
tv_init
cat >"$T/sv.conf" <<EOF2
[unix_http_server]
file = $T/sv.sock
[supervisord]
logfile = $T/sv.log
pidfile = $T/sv.pid
childlogdir = $T/log
nodaemon = true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl = unix://$T/sv.sock
[include]
files = conf.d/*.conf
EOF2
tv_program a <<EOF2
[program:a]
command = sleep 1000
startsecs = 0
EOF2
tv_program b <<EOF2
[program:b]
command = sleep 1000
autostart = false
EOF2
svd_start "$T/sv.conf"
tv_start
wait_state a RUNNING
sv() { supervisorctl -c "$T/sv.conf" "$@"; }
_sv_up() { sv status a | grep -q RUNNING; }
wait_for 15 _sv_up || fail "supervisord did not start a: $(cat "$SUP_OUT")"

# Run the same command line on both; the outputs and exit codes must match.
same() {
	want=$(sv "$@" 2>&1; echo "rc=$?")
	got=$(ctl "$@" 2>&1; echo "rc=$?")
	[ "$got" = "$want" ] || fail "$*: taskvisorctl [$got] supervisorctl [$want]"
}
for c in add remove clear maintail open quit exit fg status start stop restart signal tail pid \
	avail reread update reload shutdown version help bogus; do
	same help "$c"
done
same stat
same stat a
same remove a
same add a
same add nosuch
same clear a
same clear nosuch
same clear
same maintail x
same maintail -5 -6
same stop a
same remove a
same remove a
same add a
same quit
same fg
same fg nosuch
same fg b
same fg a b
exit 0
