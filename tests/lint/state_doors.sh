#!/bin/sh
# tests/lint/state_doors.sh — every state change goes through its door
# (STYLE.md 14): a task's, a step's and a recurring logic's through
# supervisord/engine_state.c, a process's through proc_transition (proc.c).
#
# Lists every assignment to a `.state` or `->state` field in the C sources
# (supervisord/, lib/, ctl/, services/, any depth) outside the functions
# allowed below, as FILE:LINE: FUNCTION: TEXT, and fails (exit 1) when there is
# one. Grep-based: a struct copy (`*row = other`) is not seen.
#
#   sh tests/lint/state_doors.sh [ROOT]     (run by make lint and make test-unit)
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

# FILE-NAME:FUNCTION where an assignment is no change of state, or is the door itself.
allowed='
engine_state.c:engine_state_task         the door for tasks
engine_state.c:engine_state_step         the door for steps
engine_state.c:engine_state_recurring    the door for recurring logics
proc.c:proc_transition                   the door for processes
proc.c:proc_new                          a new process is STOPPED: made, not changed
handlers_http.c:handlers_http_fill       a process state copied into the XML-RPC view: read, not changed
handlers_http.c:handlers_http_info_fill  the same, into the getAllProcessInfo fields
listener.c:listener_transition           the door for the states of an event listener
listener.c:listener_new                  a new listener is ACKNOWLEDGED: made, not changed
'

cd "$root" || exit 2
files=$(find supervisord lib ctl services -name '*.[ch]' 2>/dev/null | sort)
[ -n "$files" ] || { echo "state_doors: no sources under $root" >&2; exit 2; }

# Each hit with the function it is in: the last line before it that starts a definition
# at column 0 (an identifier, a parenthesis, no closing semicolon), until the brace at
# column 0 that ends it.
hits=$(for f in $files; do
	awk -v file="$f" '
		/^[A-Za-z_].*[A-Za-z_0-9][[:space:]]*\(/ && !/;[[:space:]]*$/ {
			fn = $0
			sub(/\(.*/, "", fn)
			sub(/.*[^A-Za-z_0-9]/, "", fn)
		}
		/^}/ { fn = "" }
		/(\.|->)state[[:space:]]*=[^=]/ {
			text = $0
			gsub(/^[[:space:]]+/, "", text)
			printf "%s:%d: %s: %s\n", file, NR, fn == "" ? "(top level)" : fn, text
		}' "$f"
done)

bad=0
out=""
nl='
'
IFS="$nl"
for h in $hits; do
	f=${h%%:*}
	rest=${h#*:}
	rest=${rest#*:}
	fn=${rest#" "}
	fn=${fn%%:*}
	if printf '%s\n' "$allowed" | grep -q "^$(basename "$f"):$fn[[:space:]]"; then
		continue
	fi
	bad=$((bad + 1))
	out="$out$h$nl"
done
unset IFS

if [ "$bad" -gt 0 ]; then
	printf '%s' "$out"
	echo "state_doors: $bad state assignment(s) outside the transition functions;" \
		"use engine_state_task/_step/_recurring (supervisord/engine_state.c) or proc_transition" >&2
	exit 1
fi
echo "state_doors: every state change goes through its door"
