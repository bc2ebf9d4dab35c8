#!/bin/sh
# stdout_logfile_maxbytes=1KB, backups=2: NAME.log, .1, .2 exist, no .3, none over 1 KB.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program chatty <<EOF2
[program:chatty]
command = sh -c 'i=0; while [ \$i -lt 200 ]; do echo "line \$i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=\$((i+1)); done; echo done >&2; sleep 1000'
startsecs = 0
stdout_logfile_maxbytes = 1KB
stdout_logfile_backups = 2
EOF2
tv_start
wait_state chatty RUNNING
wait_for 5 grep -q "line 199 " "$T/log/chatty.log" || fail "last line not in chatty.log: $(ls -l "$T/log")"
[ -f "$T/log/chatty.log.1" ] || fail "no chatty.log.1: $(ls "$T/log")"
[ -f "$T/log/chatty.log.2" ] || fail "no chatty.log.2: $(ls "$T/log")"
[ -e "$T/log/chatty.log.3" ] && fail "chatty.log.3 exists"
for f in "$T/log/chatty.log" "$T/log/chatty.log.1" "$T/log/chatty.log.2"; do
	s=$(wc -c <"$f")
	[ "$s" -le 1024 ] || fail "$f has $s bytes"
done
assert_eq "$(cat "$T/log/chatty-stderr.log")" "done" "stderr log"
