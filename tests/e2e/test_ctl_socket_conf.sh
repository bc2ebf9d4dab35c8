#!/bin/sh
# taskvisorctl finds the socket through the daemon's own config code (conf_socket): the
# [unix_socket] section in an included file, its path through %(here)s and %(ENV_X)s, as the
# daemon reads it; a program section the daemon would refuse does not lock ctl out; -s wins;
# an unreadable -c file is an error. (Before: ctl scanned only the main file with raw inih.)
. "$(dirname "$0")/lib.sh"
tv_init
# The socket moves to an included file, named relative to it and through the environment.
sed -i '/^\[unix_socket\]/,/^file =/d' "$T/taskvisord.conf"
cat >"$T/conf.d/socket.conf" <<EOF2
[unix_socket]
file = %(here)s/../%(ENV_TV_SOCK_NAME)s.sock
EOF2
TV_SOCK_NAME=tv
export TV_SOCK_NAME
tv_program app <<EOF2
[program:app]
command = sleep 1000
EOF2
tv_start
wait_state app RUNNING
out=$(ctl status app); rc=$?
assert_eq "$rc" 0 "status through the included socket (out: $out)"
# A program the daemon would refuse: ctl still reaches the daemon, which says what is wrong.
tv_program bad <<EOF2
[program:bad]
command = sleep 1000
startretries = many
EOF2
out=$(ctl reread 2>&1); rc=$?
assert_contains "$out" "$T/conf.d/bad.conf:3:" "reread names the bad line"
out=$(ctl status app); rc=$?
assert_eq "$rc" 0 "status with a bad program in the config"
# -s wins over the config; an unreadable -c is refused with why.
out=$("$TVCTL" -c "$T/taskvisord.conf" -s "$T/nothere.sock" status 2>&1); rc=$?
assert_eq "$out" "unix://$T/nothere.sock no such file" "-s wins"
assert_eq "$rc" 4 "-s wins: exit"
out=$("$TVCTL" -c "$T/missing.conf" status 2>&1); rc=$?
assert_eq "$out" "taskvisorctl: $T/missing.conf: No such file or directory" "missing -c file"
assert_eq "$rc" 2 "missing -c file: exit"
echo "ok $TEST_NAME"
