#!/bin/sh
# Debian's real supervisorctl against taskvisord's Unix socket, side by side with a real
# supervisord 4.2.5 on the same programs: one supervisord.conf text (only the directory differs),
# the same commands, the same output (pids, uptimes, dates, paths and the version masked) and the
# same exit codes. status, start, stop, restart, signal, pid, tail, tail -f, maintail, avail,
# reread, update, clear, version, shutdown.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"

svd_require
command -v python3 >/dev/null 2>&1 || { echo "python3 not installed"; exit 77; }

tv_init

# One supervisord.conf, as people write it, for each daemon (D = its directory).
write_conf() {
	D=$1
	mkdir -p "$D/log"
	svd_conf_head "$D" >"$D/supervisord.conf"
	cat >>"$D/supervisord.conf" <<EOF

[program:sleeper]
command=/bin/sh -c 'echo hello from sleeper; echo oops >&2; exec sleep 1000'
stdout_logfile=$D/log/sleeper.log
stderr_logfile=$D/log/sleeper-err.log

[program:idle]
command=/bin/sleep 1000
autostart=false
stdout_logfile=$D/log/idle.log
stderr_logfile=$D/log/idle-err.log

[program:crash]
command=/bin/false
autostart=false
startretries=0
stdout_logfile=$D/log/crash.log
stderr_logfile=$D/log/crash-err.log

[program:worker]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)02d
numprocs=2
autostart=false
stdout_logfile=$D/log/%(program_name)s_%(process_num)02d.log
stderr_logfile=$D/log/%(program_name)s_%(process_num)02d-err.log
EOF
}
S="$T/sup"
V="$T/tvd"
write_conf "$S"
write_conf "$V"

svd_start "$S/supervisord.conf"
"$TVD" -n -c "$V/supervisord.conf" >"$T/daemon.out" 2>&1 &
DAEMON_PID=$!
svd_wait "$S/sock"
wait_for 10 test -S "$V/sock" || fail "taskvisord did not start: $(cat "$T/daemon.out")"

sctl() { supervisorctl -c "$S/supervisord.conf" "$@"; }
vctl() { supervisorctl -c "$V/supervisord.conf" "$@"; }
running() { "$1" status sleeper 2>/dev/null | grep -q RUNNING; }
wait_for 10 running sctl || fail "sleeper not RUNNING under supervisord"
wait_for 10 running vctl || fail "supervisorctl cannot see sleeper RUNNING under taskvisord: $(vctl status 2>&1)"

# What may differ: pids, uptimes, dates, the two directories, the version.
norm() {
	sed -E -e "s#$S#DIR#g" -e "s#$V#DIR#g" -e 's/pid [0-9]+/pid N/g' -e 's/uptime [0-9:]+/uptime U/g' \
	    -e 's/^[0-9]+$/N/' -e 's/[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2} [AP]M/DATE/g' -e "$NORM_EXTRA"
}
NORM_EXTRA='s/^$//'
diffs=""
SORT=cat
same() {
	want=$(sctl "$@" 2>&1; echo "exit $?")
	got=$(vctl "$@" 2>&1; echo "exit $?")
	want=$(printf '%s\n' "$want" | norm | $SORT)
	got=$(printf '%s\n' "$got" | norm | $SORT)
	if [ "$want" != "$got" ]; then
		diffs="$diffs
--- supervisorctl $*
supervisord:
$want
taskvisord:
$got"
	fi
}

same status
same start idle
same start idle
same status idle
same stop idle
same stop idle
same start nosuch
same stop nosuch
same status nosuch
same restart sleeper
same signal HUP idle
same signal BOGUS sleeper
same signal USR1 sleeper
same pid sleeper
same pid nosuch
# supervisord lists the results of a group or "all" as each process gets there (any order)
SORT=sort
same start worker:*
SORT=cat
same status worker:*
same stop worker:worker_01
same status
SORT=sort
same stop worker:*
same start all
same stop all
SORT=cat
same start sleeper
same start crash
same status crash
same pid all
SORT=sort
same restart all
same signal HUP worker:*
SORT=cat
same tail sleeper
same tail -5 sleeper
same tail sleeper stderr
same tail nosuch
same clear sleeper
same tail sleeper
SORT=sort
same clear all
SORT=cat
same remove sleeper
same stop idle
same remove idle
same add idle
same add nosuch
same avail
same reread
same update

# A new program and a changed one: reread, then update.
for D in "$S" "$V"; do
	cat >>"$D/supervisord.conf" <<EOF

[program:extra]
command=/bin/sleep 1000
stdout_logfile=$D/log/extra.log
stderr_logfile=$D/log/extra-err.log
EOF
	sed -i 's#^command=/bin/sleep 1000$#command=/bin/sleep 1001#' "$D/supervisord.conf"
done
same reread
same update
extra_running() { "$1" status extra 2>/dev/null | grep -q RUNNING; }
wait_for 10 extra_running sctl || fail "extra not RUNNING under supervisord"
wait_for 10 extra_running vctl || fail "extra not RUNNING under taskvisord: $(vctl status 2>&1)"
# supervisord makes new process objects for a changed group ("Not started"); taskvisord keeps the
# processes and their last stop time (README "XML-RPC").
NORM_EXTRA='s/Not started/DATE/'
same status
NORM_EXTRA='s/^$//'
same avail

# The version is taskvisord's own; supervisorctl prints it the same way.
v=$(vctl version 2>&1)
echo "$v" | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' || fail "version: [$v]"

# maintail: the main logs differ in their words, not in how they are served.
m=$(vctl maintail 2>&1) || fail "maintail: exit $?: $m"
assert_contains "$m" "extra: added to the configuration" "maintail shows the end of the main log"
m=$(vctl maintail -200 2>&1) || fail "maintail -200: exit $?"
[ "$(printf %s "$m" | wc -c)" -le 200 ] || fail "maintail -200 gave more than 200 bytes"

# tail -f and maintail -f: streamed until supervisorctl is stopped.
timeout 2 supervisorctl -c "$V/supervisord.conf" tail -f sleeper >"$T/tailf.out" 2>&1 &
tp=$!
sleep 0.5
vctl signal HUP sleeper >/dev/null
vctl restart sleeper >/dev/null
wait "$tp"
grep -c "hello from sleeper" "$T/tailf.out" | grep -qx '[2-9]' ||
	fail "tail -f did not stream the restart's output: $(cat "$T/tailf.out")"
timeout 2 supervisorctl -c "$V/supervisord.conf" maintail -f >"$T/maintailf.out" 2>&1 &
tp=$!
sleep 0.5
vctl stop idle >/dev/null 2>&1
vctl start idle >/dev/null
wait "$tp"
grep -q "idle" "$T/maintailf.out" || fail "maintail -f did not stream: $(cat "$T/maintailf.out")"
# the streams ended with their clients: the daemon still answers and holds no stream
same status sleeper

same shutdown
wait_for 10 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || fail "taskvisord did not exit after shutdown"
wait_for 10 sh -c "! kill -0 $SUP_PID 2>/dev/null" || true

[ -z "$diffs" ] || fail "supervisorctl output differs:$diffs"
echo "ok"
