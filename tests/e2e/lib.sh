# tests/e2e/lib.sh — the one helper every end-to-end test sources.
#
# Starts the real taskvisord on a private temp dir and socket, drives it with the
# real taskvisorctl, waits for states, and cleans up every process it started by
# pid: the daemon, and every process that inherited this test's TV_TEST_TAG
# (found through /proc/PID/environ), never by name. Touches nothing outside $T.
#
#   tv_init                 make $T, write $T/taskvisord.conf (main file; programs go in $T/conf.d/)
#   tv_program NAME <<EOF   write $T/conf.d/NAME.conf with the text on stdin
#   tv_start [ARGS]         start "taskvisord -n -c $T/taskvisord.conf", wait for its socket
#   ctl ARGS...             run taskvisorctl -c $T/taskvisord.conf ARGS (output and exit code as is)
#   wait_state NAME STATE [SECS]   wait until `ctl status NAME` shows STATE
#   wait_for SECS CMD...    retry CMD until it succeeds
#   assert_eq GOT WANT MSG / assert_contains HAYSTACK NEEDLE MSG / fail MSG
#
# BUILD must be the absolute build dir (tests/e2e/run.sh sets it).

set -u
: "${BUILD:?BUILD must be set}"
. "$(dirname "$0")/tvconf.sh"
TVD="$BUILD/bin/taskvisord"
# the protocol version of this tree (lib/proto.h), for tests that write frames themselves
TV_PROTO=$(sed -n 's/^#define PROTO_VERSION \([0-9][0-9]*\)$/\1/p' "$(dirname "$0")/../../lib/proto.h")
export TV_PROTO
TVCTL="$BUILD/bin/taskvisorctl"
TEST_NAME=$(basename "$0" .sh)
TV_TEST_TAG="tv-e2e-$$-$(date +%s%N)"
export TV_TEST_TAG
T=""
DAEMON_PID=""

fail() {
	echo "FAIL $TEST_NAME: $*" >&2
	if [ -n "$T" ] && [ -f "$T/daemon.out" ]; then
		echo "--- daemon output (last 30 lines) ---" >&2
		tail -n 30 "$T/daemon.out" >&2
	fi
	exit 1
}

assert_eq() { [ "$1" = "$2" ] || fail "$3: got [$1], want [$2]"; }
assert_contains() {
	case "$1" in *"$2"*) ;; *) fail "$3: [$2] not in [$1]" ;; esac
}
assert_not_contains() {
	case "$1" in *"$2"*) fail "$3: [$2] unexpectedly in [$1]" ;; *) ;; esac
}

# Pids of live processes carrying this test's tag in their environment.
tagged_pids() {
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}; p=${p%/environ}
		[ "$p" = "$$" ] && continue
		if { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qx "TV_TEST_TAG=$TV_TEST_TAG"; then
			# skip zombies and ourselves' subshells that are already gone
			st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
			[ "$st" = "Z" ] || [ -z "$st" ] || echo "$p"
		fi
	done
}

tv_cleanup() {
	bug=""
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		i=0
		while kill -0 "$DAEMON_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
	for p in $(tagged_pids); do
		[ "$p" = "$$" ] || kill -KILL "$p" 2>/dev/null
	done
	# a sanitizer report (ASan, LSan at the daemon's exit, UBSan) in anything the daemon or its
	# programs wrote fails the test, whatever the test checked
	if [ -n "$T" ] && [ -d "$T" ]; then
		san=$(grep -rlE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$T" 2>/dev/null | head -n 3)
		if [ -n "$san" ]; then
			echo "FAIL $TEST_NAME: sanitizer report in $(echo $san | tr '\n' ' '):" >&2
			for f in $san; do grep -E -A 25 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$f" | head -n 60 >&2; done
			bug=1
		fi
	fi
	# a state change refused by supervisord/engine_state.c is a bug, whatever the test checked
	if [ -n "$T" ] && grep -q ' bug: ' "$T/taskvisord.log" 2>/dev/null; then
		echo "FAIL $TEST_NAME: the daemon logged a refused state change:" >&2
		grep ' bug: ' "$T/taskvisord.log" | head -n 5 >&2
		bug=1
	fi
	[ -n "$T" ] && [ -d "$T" ] && [ -z "${TV_KEEP:-}" ] && rm -rf "$T"
	[ -z "$bug" ] || exit 1
}
trap tv_cleanup EXIT
trap 'exit 1' INT TERM

tv_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/tv-e2e.XXXXXX")
	mkdir -p "$T/conf.d" "$T/log"
	{
		tv_conf_main "$T" debug normal
		printf '\n[include]\nfiles = conf.d/*.conf\n'
	} >"$T/taskvisord.conf"
}

tv_program() { cat >"$T/conf.d/$1.conf"; }

tv_start() {
	"$TVD" -n -c "$T/taskvisord.conf" "$@" >"$T/daemon.out" 2>&1 &
	DAEMON_PID=$!
	why=$(tv_wait_socket "$DAEMON_PID" "$T/tv.sock" 100) || fail "$why: $(cat "$T/daemon.out")"
}

ctl() { "$TVCTL" -c "$T/taskvisord.conf" "$@"; }

wait_for() {
	secs=$1; shift
	end=$(( $(date +%s) + secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

_state_is() { ctl status "$1" 2>/dev/null | awk '{print $2}' | grep -qx "$2"; }
wait_state() {
	wait_for "${3:-10}" _state_is "$1" "$2" || fail "$1 did not reach $2; status: $(ctl status "$1" 2>&1)"
}
