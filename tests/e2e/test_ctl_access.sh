#!/bin/sh
# Access: with readonly_groups configured, a member may look (status) but not act
# (start: "permission denied"); root is always admin. The socket gets socket_chmod.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root to act as another user"; exit 77; }
command -v setpriv >/dev/null || { echo "needs setpriv"; exit 77; }
ro_group=$(id -gn nobody 2>/dev/null) || { echo "no user nobody"; exit 77; }
tv_init
chmod 755 "$T"
cat >>"$T/taskvisord.conf" <<CONF
[unix_socket]
file = $T/tv.sock
chmod = 0766
readonly_groups = $ro_group
admin_groups = root
CONF
sed -i '0,/^\[unix_socket\]$/{//d}' "$T/taskvisord.conf"
sed -i '0,/^file = .*tv.sock$/{//d}' "$T/taskvisord.conf"
tv_program p <<EOF2
[program:p]
command = sleep 1000
startsecs = 0
autostart = false
EOF2
tv_start
assert_eq "$(stat -c %a "$T/tv.sock")" 766 "socket mode from chmod="
asnobody() { setpriv --reuid=nobody --regid="$ro_group" --clear-groups "$TVCTL" -s "$T/tv.sock" "$@"; }
out=$(asnobody status p); rc=$?
assert_eq "$rc" 3 "read-only user may run status"
assert_contains "$out" "STOPPED" "status text for read-only user"
out=$(asnobody start p); rc=$?
assert_eq "$out" "ERROR: permission denied" "read-only user may not start"
assert_eq "$rc" 1 "permission denied exit"
assert_eq "$(ctl status p | awk '{print $2}')" STOPPED "nothing started by the refused request"
out=$(ctl start p); rc=$?
assert_eq "$out" "p: started" "root may start"
# supervisorctl parity commands: maintail only looks; clear, add, remove change something
out=$(asnobody maintail -200); rc=$?
assert_eq "$rc" 0 "read-only user may run maintail"
for cmd in "clear p" "remove p" "add p"; do
	# shellcheck disable=SC2086 # the words of cmd
	out=$(asnobody $cmd); rc=$?
	assert_eq "$out" "ERROR: permission denied" "read-only user may not $cmd"
	assert_eq "$rc" 1 "$cmd: permission denied exit"
done
# fg may follow the output, but a line typed (the program's stdin) is for admins only
out=$(echo x | timeout 10 setpriv --reuid=nobody --regid="$ro_group" --clear-groups "$TVCTL" -s "$T/tv.sock" fg p 2>&1)
assert_contains "$out" "ERROR: permission denied" "read-only user may not write to a program's stdin"
assert_contains "$out" "Exiting foreground" "fg ends after the refusal"
