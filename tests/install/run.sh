#!/bin/sh
# tests/install/run.sh BUILD — `make installcheck` (run by `make test`): installs taskvisor the way
# a packager and an administrator would, only into temporary directories (never /etc, /usr, /var):
#
#   1. DESTDIR=… PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu (Debian's layout) and 2. DESTDIR=… with
#      the default PREFIX: the installed files, modes and links are exactly tests/install/files-usr.txt
#      and files-local.txt; the unit passes `systemd-analyze verify`; every man page renders without a
#      warning (mandoc -T lint, man --warnings); a changed configuration survives a second install
#      (the new one goes beside it as .dist) and uninstall; uninstall leaves no file behind.
#   3. PREFIX=$T/p with a multiarch LIBDIR and LOCALSTATEDIR/RUNSTATEDIR under $T (no DESTDIR: the
#      programs run where they were installed): the example worker from DOCDIR/examples is built
#      with pkg-config against the installed libtaskvisor.so and libtaskvisor.a; the installed
#      taskvisord, started without -c, reads the installed config and loads its modules from the
#      compiled-in LIBDIR/taskvisor; the installed taskvisorctl, without flags, finds its socket;
#      both workers run a task; bash completion offers the daemon's programs and task labels.
#
# Prints "ok   CHECK" per check and "installcheck: N passed"; exits 1 at the first failure.
set -u
BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
T=$(mktemp -d /tmp/tv-install.XXXXXX)
DPID=""
pass=0

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill "$DPID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$DPID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL installcheck: $*" >&2
	exit 1
}
ok() {
	echo "ok   $*"
	pass=$((pass + 1))
}

# make install|uninstall into DESTDIR $1 with the variables that follow; output in $T/make.out
run_make() {
	target=$1 dest=$2
	shift 2
	(cd "$SRC" && $MAKE -s --no-print-directory BUILD="$BUILD" DESTDIR="$dest" "$@" "$target") \
		>"$T/make.out" 2>&1 || { cat "$T/make.out" >&2; fail "make $target DESTDIR=$dest $*"; }
}

# Every file (mode), link (target) and empty directory under $1, sorted.
listing() {
	(cd "$1" && find . -mindepth 1 \( -type f -printf '%m %P\n' -o -type l -printf 'link %P -> %l\n' \
		-o -type d -empty -printf 'dir %P/\n' \) | LC_ALL=C sort)
}

# The expected list; without man page sources (man/*.scd) in the tree, no man page is expected.
expected() {
	if ls "$SRC"/man/*.scd >/dev/null 2>&1; then
		cat "$SRC/tests/install/$1"
	else
		grep -v '/share/man/' "$SRC/tests/install/$1"
	fi
}

# systemd-analyze verify, which exits 0 on a bad line: any output fails.
verify_unit() {
	command -v systemd-analyze >/dev/null 2>&1 || { echo "skip systemd-analyze verify: not installed"; return; }
	if ! out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$@" 2>&1) || [ -n "$out" ]; then
		fail "systemd-analyze verify $*: $out"
	fi
	ok "systemd-analyze verify $*"
}

check_man() {
	d=$1
	n=0
	for m in "$d"/man*/*; do
		[ -f "$m" ] || continue
		n=$((n + 1))
		out=$(mandoc -T lint -W warning "$m" 2>&1)
		[ -z "$out" ] || fail "mandoc -T lint $m: $out"
		out=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
		[ -z "$out" ] || fail "man --warnings -l $m: $out"
	done
	ok "$n man pages render without warnings (mandoc -T lint, man --warnings)"
}

# 1, 2: the packager's layouts
for layout in usr local; do
	D="$T/dest-$layout"
	if [ $layout = usr ]; then
		set -- PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu
		# the Makefile's default for PREFIX=/usr: what pkg-config systemd says (Debian 12: /lib/systemd/system)
		unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
		[ -n "$unitdir" ] || unitdir=/lib/systemd/system
		conf=/etc/taskvisor/taskvisord.conf sbin=/usr/sbin man=/usr/share/man
	else
		set --
		unitdir=/usr/local/lib/systemd/system
		conf=/usr/local/etc/taskvisor/taskvisord.conf sbin=/usr/local/sbin man=/usr/local/share/man
	fi
	run_make install "$D" "$@"
	expected "files-$layout.txt" | sed "s|^644 lib/systemd/system/|644 ${unitdir#/}/|" >"$T/want"
	listing "$D" >"$T/got"
	diff -u "$T/want" "$T/got" >"$T/diff" || { cat "$T/diff" >&2; fail "$layout: installed files differ from tests/install/files-$layout.txt (- expected, + installed)"; }
	ok "$layout: installed files, modes and links are files-$layout.txt ($(wc -l <"$T/got") entries)"

	unit="$D$unitdir/taskvisord.service"
	grep -qx "ExecStart=$sbin/taskvisord -n -c $conf" "$unit" || fail "$layout: ExecStart in $unit: $(grep ExecStart "$unit")"
	# verify the unit as installed, its paths moved into DESTDIR (ExecStart must exist)
	sed "s|=$sbin/|=$D$sbin/|" "$unit" >"$T/taskvisord.service"
	verify_unit --man=no "$T/taskvisord.service"
	check_man "$D$man"
	"$D$sbin/taskvisord" -h | grep -qF "(default $conf)" || fail "$layout: taskvisord -h: default not $conf"
	"$D${sbin%sbin}bin/taskvisorctl" -h | grep -qF "(default $conf)" || fail "$layout: taskvisorctl -h: default not $conf"

	# a changed configuration is never overwritten, nor removed
	echo "; changed by the administrator" >>"$D$conf"
	run_make install "$D" "$@"
	grep -q "changed by the administrator" "$D$conf" || fail "$layout: a second install overwrote $conf"
	[ -f "$D$conf.dist" ] || fail "$layout: no $conf.dist beside the changed configuration"
	grep -q "kept; the new default is" "$T/make.out" || fail "$layout: install did not say it kept $conf"
	ok "$layout: a changed $conf survives install (new default as .dist)"
	run_make uninstall "$D" "$@"
	grep -q "was changed, kept" "$T/make.out" || fail "$layout: uninstall did not say it kept $conf"
	left=$(cd "$D" && find . \( -type f -o -type l \) -printf '%P\n')
	[ "$left" = "${conf#/}" ] || fail "$layout: uninstall left [$left], want only the changed ${conf#/}"
	rm -f "$D$conf"
	run_make uninstall "$D" "$@"
	left=$(cd "$D" && find . \( -type f -o -type l -o -name '*taskvisor*' \) -printf '%P\n')
	[ -z "$left" ] || fail "$layout: uninstall left $left"
	ok "$layout: uninstall removes every file and taskvisor's own directories"
done

# 3: installed and run in place
P="$T/p"
LIB="$P/lib/x86_64-linux-gnu"
set -- PREFIX="$P" LIBDIR="$LIB" LOCALSTATEDIR="$P/var" RUNSTATEDIR="$P/run"
run_make install "" "$@"
[ ! -e "$P/lib/taskvisor" ] || fail "$P/lib/taskvisor exists: the modules must be only in $LIB/taskvisor"
mkdir -p "$P/run"

command -v pkg-config >/dev/null 2>&1 || fail "pkg-config is needed (make deps)"
command -v cc >/dev/null 2>&1 || fail "a C compiler is needed"
export PKG_CONFIG_PATH="$LIB/pkgconfig"
pkg-config --exists taskvisor || fail "pkg-config does not find taskvisor in $PKG_CONFIG_PATH"
[ "$(pkg-config --variable=libdir taskvisor)" = "$LIB" ] || fail "taskvisor.pc libdir: $(pkg-config --variable=libdir taskvisor)"
EX="$P/share/doc/taskvisor/examples/hello-worker.c"
CFL="-std=c11 -Wall -Wextra -Werror"
readelf -d "$LIB/libtaskvisor.so" | grep -q libasan && CFL="$CFL -fsanitize=address,undefined"
# shellcheck disable=SC2046
cc $CFL -o "$T/hello-so" "$EX" $(pkg-config --cflags --libs taskvisor) -Wl,-rpath,"$LIB" ||
	fail "hello-worker.c does not build with pkg-config --cflags --libs taskvisor"
readelf -d "$T/hello-so" | grep -q 'NEEDED.*\[libtaskvisor.so.0\]' || fail "hello-so does not need libtaskvisor.so.0"
# shellcheck disable=SC2046
cc $CFL -o "$T/hello-a" "$EX" $(pkg-config --cflags taskvisor) \
	$(pkg-config --static --libs taskvisor | sed 's/-ltaskvisor\b/-l:libtaskvisor.a/') ||
	fail "hello-worker.c does not build against libtaskvisor.a (pkg-config --static)"
readelf -d "$T/hello-a" | grep -q 'libtaskvisor' && fail "hello-a links libtaskvisor.so, not the archive"
ok "the example worker builds with pkg-config against libtaskvisor.so and libtaskvisor.a"

cat >"$P/etc/taskvisor/conf.d/hello.conf" <<EOF
[program:hello-so]
command = $T/hello-so hello
startsecs = 0

[program:hello-a]
command = $T/hello-a hello-static
startsecs = 0

[task:hello.greet]
queue = hello
steps = greet
step.greet = handler:greet

[task:hello.static]
queue = hello-static
steps = greet
step.greet = handler:greet
EOF
SOCK="$P/run/taskvisor.sock"
"$P/sbin/taskvisord" -n >"$T/daemon.out" 2>&1 &
DPID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
[ -S "$SOCK" ] || { cat "$T/daemon.out" >&2; fail "the installed taskvisord (no -c) did not open $SOCK"; }
ok "the installed taskvisord, without -c, reads $P/etc/taskvisor/taskvisord.conf"
CTL="$P/bin/taskvisorctl"
for _ in $(seq 50); do
	st=$("$CTL" status 2>&1)
	case $st in *hello-a*RUNNING*) case $st in *hello-so*RUNNING*) break ;; esac ;; esac
	sleep 0.1
done
case $st in *hello-so*RUNNING*) ;; *) fail "taskvisorctl (no flags) status: $st" ;; esac
ok "the installed taskvisorctl, without flags, finds the daemon's socket"
for label in hello.greet hello.static; do
	out=$("$CTL" task submit $label --input '{"who":"installer"}' --wait 2>&1) ||
		{ tail -n 20 "$P/var/log/taskvisor/taskvisord.log" >&2; fail "task $label: $out"; }
	id=$("$CTL" task list --ids --search "label = $label" 2>&1 | head -n 1)
	out=$("$CTL" task show "$id" 2>&1)
	case $out in *'hello installer'*) ;; *) fail "task $label ($id): no output from the worker: $out" ;; esac
done
ok "the queue backend loads from LIBDIR/taskvisor and both workers run a task"
[ -s "$P/var/log/taskvisor/taskvisord.log" ] || fail "no daemon log in $P/var/log/taskvisor/taskvisord.log"
if command -v supervisorctl >/dev/null 2>&1; then
	out=$(supervisorctl -s "unix://$SOCK" status 2>&1)
	case $out in *hello-so*RUNNING*) ;; *) fail "supervisorctl (the HTTP module from LIBDIR/taskvisor): $out" ;; esac
	grep -q "http: module loaded ($LIB/taskvisor/http.so)" "$P/var/log/taskvisor/taskvisord.log" ||
		fail "http.so not loaded from $LIB/taskvisor: $(grep 'http' "$P/var/log/taskvisor/taskvisord.log")"
	ok "the HTTP module loads from LIBDIR/taskvisor (supervisorctl status)"
fi

# bash completion, as bash-completion calls it
comp() {
	PATH="$P/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _taskvisorctl; echo "${COMPREPLY[*]}"' \
		sh "$P/share/bash-completion/completions/taskvisorctl" "$@"
}
assert_comp() {
	want=$1
	shift
	got=$(comp "$@")
	[ "$got" = "$want" ] || fail "completion of [$*]: got [$got], want [$want]"
}
assert_comp "status start stop" taskvisorctl st
assert_comp "hello-a hello-so all" taskvisorctl status ""
assert_comp "hello-so" taskvisorctl tail -f hello-s
assert_comp "hello.greet hello.static" taskvisorctl task submit ""
assert_comp "--input --start-at --start-before --wait --json" taskvisorctl task submit hello.greet --
assert_comp "csv html json" taskvisorctl task export --format ""
assert_comp "--config" taskvisorctl task cleanup --co
assert_comp "" taskvisorctl -s /nonexistent/sock status h
for c in $("$CTL" help | awk '/^  [a-z]/ {print $1}'); do
	case " $(comp taskvisorctl "") " in *" $c "*) ;; *) fail "completion does not offer the command $c" ;; esac
done
ok "bash completion: commands, options, programs and task labels from the daemon"
# zsh completion, with compadd replaced by a function printing what it was given
zcomp() {
	PATH="$P/bin:$PATH" zsh -f -c '
		compadd() {
			local -a w; local arr=0
			while (($#)); do
				case $1 in -a) arr=1 ;; --) shift; w+=("$@"); break ;; -*) ;;
				*) if ((arr)); then w+=(${(P)1}); else w+=("$1"); fi ;; esac
				shift
			done
			print -rn -- "${(j: :)w} "
		}
		_files() { print -n "FILES "; }
		f=$1; shift
		words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}
		source "$f"' sh "$P/share/zsh/site-functions/_taskvisorctl" "$@" | sed 's/ *$//; s/  */ /g'
}
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$P/share/zsh/site-functions/_taskvisorctl" || fail "zsh -n _taskvisorctl"
	got=$(zcomp taskvisorctl status "")
	[ "$got" = "hello-a hello-so all" ] || fail "zsh completion of [status ]: got [$got]"
	got=$(zcomp taskvisorctl task submit "")
	[ "$got" = "hello.greet hello.static" ] || fail "zsh completion of [task submit ]: got [$got]"
	ok "zsh completion: programs and task labels from the daemon"
else
	echo "skip zsh completion: no zsh"
fi

# the unit exactly as installed (its ExecStart exists here); its man pages where they are installed
if ls "$P"/share/man/man8/taskvisord.8 >/dev/null 2>&1; then
	MANPATH="$P/share/man" verify_unit --man=yes "$P/lib/systemd/system/taskvisord.service"
else
	verify_unit --man=no "$P/lib/systemd/system/taskvisord.service"
fi

kill "$DPID"
for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DPID" 2>/dev/null && fail "taskvisord did not stop on SIGTERM"
DPID=""
rm "$P/etc/taskvisor/conf.d/hello.conf" # the administrator's file: uninstall would keep it
run_make uninstall "" "$@"
left=$(cd "$P" && find . \( -type f -o -type l \) ! -path './var/*' ! -path './run/*' -printf '%P\n')
[ -z "$left" ] || fail "uninstall left: $left"
ok "uninstall removes what install put (the daemon's database and logs under var/ stay)"
echo "installcheck: $pass passed"
