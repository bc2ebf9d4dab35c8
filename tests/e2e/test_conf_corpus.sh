#!/bin/sh
# Real-world supervisord configuration shapes (tests/e2e/conf_corpus/CASE/supervisord.conf, with
# what it includes), loaded side by side by supervisord 4.2.5 and taskvisord: the same file is
# accepted or refused by both (supervisord's start vs "taskvisord -t"), and when accepted, the
# running daemons list the same process names ("supervisorctl status" vs "taskvisorctl status").
# Each case runs in two private copies (run/ holds sockets, logs, pidfiles): %(ENV_CORPUS)s is
# that directory, %(ENV_CORPUS_USER)s the user running the test. Skips (77) without supervisor.
. "$(dirname "$0")/lib.sh"
command -v supervisord >/dev/null 2>&1 && command -v supervisorctl >/dev/null 2>&1 ||
	{ echo "SKIP $TEST_NAME: supervisor (supervisord, supervisorctl) not installed"; exit 77; }

CORPUS_DIR=$(cd "$(dirname "$0")/conf_corpus" && pwd)
CORPUS_USER=$(id -un)
export CORPUS_USER
tv_init
SV_PID=""
trap 'stop_pid "$SV_PID"; tv_cleanup' EXIT

stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# The first column of a status listing, sorted: "group:name" or "name".
names() { awk 'NF > 0 {print $1}' | sort; }

# Copy the case into $T/$2 and print the main file's path; CORPUS is its run/.
copy_case() {
	rm -rf "${T:?}/$2"
	mkdir -p "$T/$2"
	cp -R "$CORPUS_DIR/$1/." "$T/$2/"
	mkdir -p "$T/$2/run/log"
	echo "$T/$2/supervisord.conf"
}

# Wait for the socket of daemon $1 at $2 (5 s); 1 if the daemon exited first.
wait_sock() {
	i=0
	while [ ! -S "$2" ]; do
		kill -0 "$1" 2>/dev/null || return 1
		[ $i -ge 100 ] && return 1
		sleep 0.05; i=$((i + 1))
	done
	return 0
}

failures=""
ncase=0
for dir in "$CORPUS_DIR"/*/; do
	case=$(basename "$dir")
	ncase=$((ncase + 1))

	# supervisord
	svconf=$(copy_case "$case" "sv-$case")
	CORPUS="$T/sv-$case/run"; export CORPUS
	supervisord -n -c "$svconf" >"$T/sv-$case.out" 2>&1 &
	SV_PID=$!
	# supervisord makes its RPC interface after binding the socket: alive a moment later = started
	if wait_sock "$SV_PID" "$CORPUS/supervisor.sock" && sleep 0.3 && kill -0 "$SV_PID" 2>/dev/null; then
		sv_ok=yes
		sv_names=$(supervisorctl -c "$svconf" status 2>&1 | names)
	else
		sv_ok=no
		sv_names=""
	fi
	stop_pid "$SV_PID"
	SV_PID=""
	[ "$sv_ok" = no ] && [ -z "$(grep -i 'error' "$T/sv-$case.out")" ] &&
		fail "$case: supervisord neither started nor said an error: $(cat "$T/sv-$case.out")"

	# taskvisord: -t, then a real run
	tvconf=$(copy_case "$case" "tv-$case")
	CORPUS="$T/tv-$case/run"; export CORPUS
	"$TVD" -t -c "$tvconf" >"$T/tv-$case.check" 2>&1
	rc=$?
	tv_ok=no
	[ $rc -eq 0 ] && tv_ok=yes
	[ $rc -eq 0 ] || [ $rc -eq 2 ] || fail "$case: taskvisord -t exited $rc: $(cat "$T/tv-$case.check")"
	[ $rc -eq 0 ] && ! grep -q '^configuration OK: ' "$T/tv-$case.check" &&
		fail "$case: taskvisord -t: no \"configuration OK\" line: $(cat "$T/tv-$case.check")"
	[ $rc -eq 2 ] && ! grep -Eq '^[^ ]+:[0-9]+: |^[^ ]+: ' "$T/tv-$case.check" &&
		fail "$case: taskvisord -t refused without a FILE:LINE: $(cat "$T/tv-$case.check")"
	[ -e "$CORPUS/supervisor.sock" ] && fail "$case: taskvisord -t created the socket"
	tv_names=""
	if [ "$tv_ok" = yes ]; then
		"$TVD" -n -c "$tvconf" >"$T/tv-$case.out" 2>&1 &
		DAEMON_PID=$!
		wait_sock "$DAEMON_PID" "$CORPUS/supervisor.sock" ||
			fail "$case: taskvisord accepted by -t did not start: $(cat "$T/tv-$case.out")"
		tv_names=$("$TVCTL" -c "$tvconf" status 2>&1 | names)
		stop_pid "$DAEMON_PID"
		DAEMON_PID=""
	fi

	why=""
	if [ "$sv_ok" != "$tv_ok" ]; then
		why="accepted by supervisord: $sv_ok, by taskvisord -t: $tv_ok ($(head -n 3 "$T/tv-$case.check" | tr '\n' ' ')| $(grep -i error "$T/sv-$case.out" | head -n 1))"
	elif [ "$sv_names" != "$tv_names" ]; then
		why="names differ: supervisord [$(echo $sv_names)] taskvisord [$(echo $tv_names)]"
	fi
	if [ -n "$why" ]; then
		failures="$failures
$case: $why"
	else
		echo "same: $case (accepted: $sv_ok; $(echo "$sv_names" | grep -c .) processes)"
	fi
done
[ "$ncase" -ge 15 ] || fail "only $ncase cases in $CORPUS_DIR"
[ -z "$failures" ] || fail "supervisord and taskvisord differ:$failures"
exit 0
