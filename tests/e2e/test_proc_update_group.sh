#!/bin/sh
# `update GROUP` touches that group only, as under supervisord 4.2.5 (run side by side, the same
# supervisorctl commands): another group changed in the file keeps running on its old settings
# (a `restart` of it still runs the old command) and `reread` still lists it as changed; a group
# deleted from the file keeps running until an update names it (or names none); `add GROUP` is
# the same. Then a plain `update` applies the rest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"
svd_require

tv_init
S="$T/sup"
V="$T/tvd"
write_conf() {
	mkdir -p "$1/log"
	svd_conf_head "$1" >"$1/supervisord.conf"
	for p in a b c; do
		printf '\n[program:%s]\ncommand=/bin/sleep %s\nstartsecs=0\n' "$p" "$2" >>"$1/supervisord.conf"
	done
}
write_conf "$S" 1001
write_conf "$V" 1001
svd_start "$S/supervisord.conf"
"$TVD" -n -c "$V/supervisord.conf" >"$T/daemon.out" 2>&1 &
DAEMON_PID=$!
svd_wait "$S/sock"
wait_for 10 test -S "$V/sock" || fail "taskvisord did not start: $(cat "$T/daemon.out")"
sctl() { supervisorctl -c "$S/supervisord.conf" "$@"; }
vctl() { supervisorctl -c "$V/supervisord.conf" "$@"; }
up3() { [ "$("$1" status | grep -c RUNNING)" = 3 ]; }
wait_for 10 up3 sctl || fail "supervisord: $(sctl status)"
wait_for 10 up3 vctl || fail "taskvisord: $(vctl status)"

same() {
	want=$(sctl "$@" 2>&1; echo "exit $?")
	got=$(vctl "$@" 2>&1; echo "exit $?")
	norm() { sed -E -e 's/pid [0-9]+/pid N/' -e 's/uptime [0-9:]+/uptime U/'; }
	want=$(printf '%s\n' "$want" | norm)
	got=$(printf '%s\n' "$got" | norm)
	[ "$want" = "$got" ] || fail "supervisorctl $*: supervisord said [$want], taskvisord [$got]"
}
# the command line a process runs, by its pid
cmd_of() { tr '\0' ' ' <"/proc/$("$1" pid "$2")/cmdline"; }

# a and b change, c is deleted; only a is updated
for D in "$S" "$V"; do
	sed -i -e 's#^command=/bin/sleep 1001$#command=/bin/sleep 1002#' "$D/supervisord.conf"
	python3 - "$D/supervisord.conf" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("\n[program:c]\ncommand=/bin/sleep 1002\nstartsecs=0\n", "\n")
open(p, "w").write(s)
PY
	grep -q 'program:c' "$D/supervisord.conf" && fail "c still in $D/supervisord.conf"
done
same update a
same status
for ctl in sctl vctl; do
	assert_eq "$(cmd_of $ctl a)" "/bin/sleep 1002 " "$ctl: a runs its new command"
	assert_eq "$(cmd_of $ctl b)" "/bin/sleep 1001 " "$ctl: b, not named, runs its old command"
done
same reread
same restart b
for ctl in sctl vctl; do
	assert_eq "$(cmd_of $ctl b)" "/bin/sleep 1001 " "$ctl: b restarted on its old settings"
done
same status c
# add: a group not named is not touched either
printf '\n[program:d]\ncommand=/bin/sleep 1003\nstartsecs=0\n' | tee -a "$S/supervisord.conf" >>"$V/supervisord.conf"
same reread
same add d
same status
assert_eq "$(cmd_of vctl b)" "/bin/sleep 1001 " "add d left b as it was"
# update with no name applies the rest: b restarts on its new command, c goes
same update
same status
for ctl in sctl vctl; do
	assert_eq "$(cmd_of $ctl b)" "/bin/sleep 1002 " "$ctl: b runs its new command after update"
done
same reread
