#!/bin/sh
# tests/install/deb.sh — the Debian packages as a sysadmin meets them (make test-deb).
#
# THIS TEST INSTALLS AND PURGES PACKAGES ON THE MACHINE IT RUNS ON: it builds taskvisor,
# libtaskvisor0 and libtaskvisor-dev with `make deb` (dpkg-buildpackage + lintian), installs them
# with dpkg -i into the real /usr, /etc, /var, starts the installed daemon from the installed
# paths (`/usr/sbin/taskvisord -n`, as there is no systemd as PID 1 on CI; where systemd runs, the
# daemon the postinst started is used), checks that `taskvisorctl` with no flag finds it, that a
# program dropped into /etc/taskvisor/conf.d runs after `taskvisorctl update` with its log in
# /var/log/taskvisor, that a worker built against libtaskvisor-dev with pkg-config serves a task,
# then stops the daemon by pid, purges the packages (/etc/taskvisor, /var/log/taskvisor and
# /var/lib/taskvisor must be gone), installs them again and purges again. A user tv-deb-test is
# made in the group taskvisor (admin, and debug-bundle) and deleted. On any exit it stops
# what it started (by pid), purges what it installed, and deletes the group taskvisor when it
# did not exist before (the purge keeps it, as Debian keeps system groups).
# It runs as root only, and refuses (exit 77) where taskvisor is installed already, where
# /etc/taskvisor, /var/log/taskvisor or /var/lib/taskvisor exist, or where the Debian build
# tools are missing. Exit 0 pass, 1 fail, 77 skip.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
NAME=test_deb
PKGS="taskvisor libtaskvisor0 libtaskvisor-dev"
TAG="tv-deb-$$-$(date +%s%N)"
export TV_TEST_TAG="$TAG"
T=""
DPID=""
INSTALLED=0
USERMADE=0
GROUPMADE=0 # the group taskvisor did not exist before: the postinst makes it, the purge keeps it, we remove it

skip() { echo "SKIP $NAME: $*"; exit 77; }
fail() {
	echo "FAIL $NAME: $*" >&2
	[ -n "$T" ] && [ -f "$T/daemon.out" ] && { echo "--- daemon output ---" >&2; tail -n 30 "$T/daemon.out" >&2; }
	exit 1
}
say() { echo "$NAME: $*"; }

[ "$(id -u)" -eq 0 ] || skip "not root (it installs packages)"
for t in dpkg-buildpackage dh lintian fakeroot pkg-config cc; do
	command -v "$t" >/dev/null 2>&1 || skip "no $t (make deb needs dpkg-dev, debhelper, fakeroot, lintian)"
done
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed' &&
		skip "$p is installed already; this test installs and purges it, so it leaves that machine alone"
done
for d in /etc/taskvisor /var/log/taskvisor /var/lib/taskvisor; do
	[ -e "$d" ] && skip "$d exists; this test creates and purges it"
done

# Processes carrying this test's tag (the daemon and its programs), for the cleanup by pid.
tagged_pids() {
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}; p=${p%/environ}
		[ "$p" = "$$" ] && continue
		{ tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qx "TV_TEST_TAG=$TAG" && echo "$p"
	done
}

cleanup() {
	rc=$?
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(tagged_pids)" ] && break; sleep 0.5; done
	for p in $(tagged_pids); do kill -9 "$p" 2>/dev/null; done
	rm -f /etc/taskvisor/conf.d/deb-test.conf
	[ "$INSTALLED" -eq 1 ] && dpkg --purge $PKGS >/dev/null 2>&1
	[ "$USERMADE" -eq 1 ] && deluser --quiet --system tv-deb-test >/dev/null 2>&1
	[ "$GROUPMADE" -eq 1 ] && delgroup --quiet --system taskvisor >/dev/null 2>&1
	# they did not exist before (checked above): whatever is left there is this test's
	rm -rf /etc/taskvisor /var/log/taskvisor /var/lib/taskvisor
	[ -n "$T" ] && rm -rf "$T"
	exit $rc
}
trap 'exit 1' INT TERM HUP

getent group taskvisor >/dev/null || GROUPMADE=1
trap cleanup EXIT
T=$(mktemp -d /tmp/tv-deb.XXXXXX)
chmod 755 "$T"

# --- build and lint -----------------------------------------------------------------------------
start=$(date +%s)
make -s -C "$SRC" deb DEB_OUT="$T/deb" >"$T/build.out" 2>&1 || { tail -n 40 "$T/build.out" >&2; fail "make deb failed"; }
say "make deb (dpkg-buildpackage + lintian): $(( $(date +%s) - start )) s"
for p in $PKGS; do
	ls "$T/deb/${p}_"*.deb >/dev/null 2>&1 || fail "no ${p}_*.deb in $T/deb"
done
ls "$T/deb/"*.changes >/dev/null 2>&1 || fail "no .changes"

# What each package holds.
contents() { dpkg-deb -c "$T/deb/${1}_"*.deb | awk '{print $6}' | sed 's,^\.,,'; }
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has() {
	echo "$2" | grep -qx "$3" || fail "$1 does not hold $3"
}
c=$(contents taskvisor)
for f in /usr/sbin/taskvisord /usr/bin/taskvisorctl /usr/bin/exec-worker /etc/taskvisor/taskvisord.conf \
	/etc/taskvisor/conf.d/ /etc/logrotate.d/taskvisor /lib/systemd/system/taskvisord.service; do
	has taskvisor "$c" "$f"
done
echo "$c" | grep -q '^/usr/share/man/man8/taskvisord\.8' || fail "taskvisor does not hold taskvisord(8)"
echo "$c" | grep -q '^/usr/share/man/man5/taskvisord\.conf\.5' || fail "taskvisor does not hold taskvisord.conf(5)"
echo "$c" | grep -q '^/usr/share/man/man1/taskvisorctl\.1' || fail "taskvisor does not hold taskvisorctl(1)"
has libtaskvisor0 "$(contents libtaskvisor0)" "/usr/lib/$ma/libtaskvisor.so.0"
c=$(contents libtaskvisor-dev)
for f in /usr/include/taskvisor.h "/usr/lib/$ma/libtaskvisor.a" "/usr/lib/$ma/libtaskvisor.so" \
	"/usr/lib/$ma/pkgconfig/taskvisor.pc"; do
	has libtaskvisor-dev "$c" "$f"
done
echo "$c" | grep -q '^/usr/share/man/man3/libtaskvisor\.3' || fail "libtaskvisor-dev does not hold libtaskvisor(3)"

# --- install ------------------------------------------------------------------------------------
install_pkgs() {
	INSTALLED=1
	dpkg -i "$T/deb/taskvisor_"*.deb "$T/deb/libtaskvisor0_"*.deb "$T/deb/libtaskvisor-dev_"*.deb >"$T/dpkg.out" 2>&1 || { cat "$T/dpkg.out" >&2; fail "dpkg -i failed"; }
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" | grep -qx 'install ok installed' || fail "$p not installed"
	done
	getent group taskvisor >/dev/null || fail "postinst did not create the group taskvisor"
	for d in /var/log/taskvisor /var/lib/taskvisor; do
		assert_stat "$d" "root:taskvisor 750"
	done
}
assert_stat() {
	got=$(stat -c '%U:%G %a' "$1" 2>/dev/null)
	[ "$got" = "$2" ] || fail "$1: got [$got], want [$2]"
}

# Start the installed daemon (unless systemd did), wait until `taskvisorctl` with no flag answers.
start_daemon() {
	if [ -d /run/systemd/system ]; then
		DPID=""
	else
		setsid /usr/sbin/taskvisord -n >"$T/daemon.out" 2>&1 &
		DPID=$!
	fi
	for i in $(seq 1 100); do
		out=$(taskvisorctl status 2>&1); rc=$?
		[ $rc -eq 0 ] && return 0
		[ -n "$DPID" ] && ! kill -0 "$DPID" 2>/dev/null && fail "taskvisord exited: $(cat "$T/daemon.out")"
		sleep 0.1
	done
	fail "taskvisorctl status (no flag) does not reach the daemon: rc=$rc $out"
}
stop_daemon() {
	if [ -z "$DPID" ]; then
		systemctl stop taskvisord.service || fail "systemctl stop"
		return
	fi
	kill "$DPID" || fail "kill $DPID"
	for i in $(seq 1 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$DPID" 2>/dev/null && fail "taskvisord $DPID still running 10 s after SIGTERM"
	wait "$DPID" 2>/dev/null
	DPID=""
}

install_pkgs
say "installed: $(dpkg-query -W -f='${Package} ${Version}, ' $PKGS)"
grep -q '^chown *= *root:taskvisor' /etc/taskvisor/taskvisord.conf || fail "the packaged config does not give the socket to the group taskvisor"
start_daemon
sock=/run/taskvisor.sock
[ -S "$sock" ] || fail "no socket at $sock"
assert_stat "$sock" "root:taskvisor 770"

# A worker built against the installed library with pkg-config.
mkdir -p "$T/w"
cat >"$T/w/worker.c" <<'EOC'
#include <signal.h>
#include <stdio.h>
#include <taskvisor.h>

static struct tv_worker *w;

static int shout(struct tv_step *s, void *arg)
{
	const char *who = json_string_value(json_object_get(tv_step_input(s), "who"));
	char out[256];
	(void)arg;
	snprintf(out, sizeof(out), "{\"said\":\"HELLO %s\"}", who != NULL ? who : "?");
	return tv_step_output(s, out) == 0 ? TV_STEP_OK : TV_STEP_FAILED;
}

static void stop(int sig)
{
	(void)sig;
	tv_worker_stop(w);
}

int main(void)
{
	char err[TV_ERR_LEN];
	printf("deb-test worker up\n");
	fflush(stdout);
	w = tv_worker_new(NULL, "debtest", 1, err, sizeof(err));
	if (w == NULL || tv_worker_handle(w, "shout", shout, NULL) != 0) {
		fprintf(stderr, "worker: %s\n", w == NULL ? err : tv_worker_error(w));
		return 1;
	}
	signal(SIGTERM, stop);
	return tv_worker_run(w) == 0 ? 0 : 1;
}
EOC
# shellcheck disable=SC2046 # pkg-config's words are meant to split
cc -std=c11 -Wall -Wextra -Werror -o "$T/w/worker" "$T/w/worker.c" $(pkg-config --cflags --libs taskvisor) ||
	fail "a worker does not build with pkg-config --cflags --libs taskvisor"
readelf -d "$T/w/worker" | grep -q 'NEEDED.*\[libtaskvisor.so.0\]' || fail "the worker does not need libtaskvisor.so.0"

cat >/etc/taskvisor/conf.d/deb-test.conf <<EOF2
[program:debtest]
command = $T/w/worker
startsecs = 0

[task:debtest.shout]
queue = debtest
steps = one
step.one = handler:shout
EOF2
out=$(taskvisorctl update 2>&1) || fail "taskvisorctl update: $out"
for i in $(seq 1 100); do
	st=$(taskvisorctl status debtest 2>&1)
	case "$st" in *RUNNING*) break ;; esac
	sleep 0.1
done
case "$st" in *RUNNING*) ;; *) fail "the program from conf.d is not RUNNING: $st" ;; esac
out=$(taskvisorctl task submit debtest.shout --input '{"who":"debian"}' --wait 2>&1) || fail "task submit: $out"
out=$(taskvisorctl task list --json 2>&1)
case "$out" in *stopped*) ;; *) fail "the task did not finish: $out" ;; esac
[ -s /var/log/taskvisor/taskvisord.log ] || fail "no daemon log in /var/log/taskvisor"
for i in $(seq 1 50); do grep -qs 'deb-test worker up' /var/log/taskvisor/debtest*.log && break; sleep 0.1; done
grep -qs 'deb-test worker up' /var/log/taskvisor/debtest*.log ||
	fail "the program's output is not in /var/log/taskvisor: $(ls -l /var/log/taskvisor)"
[ -f /var/lib/taskvisor/taskvisor.db ] || fail "no database in /var/lib/taskvisor"
say "daemon from /usr/sbin, ctl without flags, conf.d program, pkg-config worker, logs: ok"

# The group: a member may use taskvisorctl (and is admin), others cannot open the socket. The
# daemon takes a peer's groups from its account (getgrouplist), so a user of this test's own,
# tv-deb-test, is made, added to the group, and deleted at the end.
TUSER=tv-deb-test
if command -v setpriv >/dev/null 2>&1 && command -v adduser >/dev/null 2>&1 && ! id "$TUSER" >/dev/null 2>&1; then
	USERMADE=1
	adduser --system --quiet --no-create-home "$TUSER" && adduser --quiet "$TUSER" taskvisor ||
		fail "cannot make the test user $TUSER"
	asuser() { setpriv --reuid="$TUSER" --regid="$(id -g "$TUSER")" --init-groups "$@"; }
	out=$(asuser taskvisorctl restart debtest 2>&1) || fail "a member of the group taskvisor cannot restart a program: $out"
	out=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups taskvisorctl status 2>&1) &&
		fail "a user outside the group taskvisor reached the daemon: $out"
	# debug-bundle from the installed paths, as a member: the database is readable to the group
	mkdir -m 777 "$T/bundle"
	out=$(cd "$T/bundle" && asuser taskvisorctl debug-bundle --file "$T/bundle/b.tar.gz" 2>&1) || fail "debug-bundle as a member of the group: $out"
	tar -xzOf "$T"/bundle/b.tar.gz --wildcards '*/store.txt' | grep -q 'integrity (quick_check): ok' ||
		fail "debug-bundle: the database check as a member of the group: $out"
	say "group taskvisor: a member is admin, others are refused; debug-bundle as a member: ok"
fi

# --- purge --------------------------------------------------------------------------------------
stop_daemon
rm -f /etc/taskvisor/conf.d/deb-test.conf
dpkg --purge $PKGS >"$T/purge.out" 2>&1 || { cat "$T/purge.out" >&2; fail "dpkg --purge failed"; }
INSTALLED=0
for d in /etc/taskvisor /var/log/taskvisor /var/lib/taskvisor /usr/sbin/taskvisord /run/taskvisor.sock \
	"/usr/lib/$ma/libtaskvisor.so.0" /usr/include/taskvisor.h; do
	[ -e "$d" ] && fail "$d is still there after dpkg --purge"
done
getent group taskvisor >/dev/null || fail "the group taskvisor was removed (it is kept, README)"
say "purge: /etc/taskvisor, /var/log/taskvisor, /var/lib/taskvisor gone; group kept"

# --- reinstall ----------------------------------------------------------------------------------
install_pkgs
start_daemon
stop_daemon
dpkg --purge $PKGS >"$T/purge.out" 2>&1 || { cat "$T/purge.out" >&2; fail "second dpkg --purge failed"; }
INSTALLED=0
[ -e /etc/taskvisor ] && fail "/etc/taskvisor still there after the second purge"
say "reinstall, start, purge again: ok"
echo "PASS $NAME"
