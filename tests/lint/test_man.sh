#!/bin/sh
# tests/lint/test_man.sh — tests/lint/man.sh and man_options.py must fail on planted offenders:
# a copy of the tree passes; then a new [program:x] option, a new [taskvisord] option, a new
# taskvisorctl command, a new daemon flag, a new exec-worker option and a new tv_ function, none
# documented, must each be named; a generated page with a roff warning must be named; a page
# that was not generated must be named.
#
#   sh tests/lint/test_man.sh [BUILD]      (run by make test-unit, after tests/lint/man.sh)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tv-test-man.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "FAIL test_man: $*" >&2; exit 1; }

cd "$root" || exit 2
mkdir -p "$tmp/t/supervisord" "$tmp/b"
cp -r lib ctl services man "$tmp/t/" && cp supervisord/main.c "$tmp/t/supervisord/" || exit 2
cp -r "$build/man" "$tmp/b/" || exit 2
out=$(python3 "$here/man_options.py" "$tmp/t" 2>&1) || fail "a clean copy is refused: $out"
out=$(sh "$here/man.sh" "$tmp/b" "$tmp/t" 2>&1) || fail "a clean copy is refused by man.sh: $out"

# the code accepts more than the pages say
sed -i 's|    {"log_timestamps", PK_BOOL|    {"planted_option", PK_BOOL, 0, 0, 0, NULL},\n&|' "$tmp/t/lib/conf_program.c"
sed -i 's|} else if (strcmp(k, "minfds") == 0) {|} else if (strcmp(k, "planted_main") == 0) {\n\t\trc = 0;\n&|' "$tmp/t/lib/conf.c"
sed -i 's|    {"avail", NULL,|    {"planted-cmd", NULL, "planted-cmd", "x", cmd_avail},\n&|' "$tmp/t/ctl/cmd_misc.c"
sed -i 's|	    {"nodaemon", no_argument, NULL, .n.},|&\n\t    {"planted-flag", no_argument, NULL, '"'"'P'"'"'},|' "$tmp/t/supervisord/main.c"
sed -i 's|	    {"prefetch", required_argument, NULL, .p.},|&\n\t    {"planted-worker", required_argument, NULL, '"'"'W'"'"'},|' "$tmp/t/lib/workeropt.c"
sed -i 's|^int tv_parse_time|int tv_planted_fn(void);\n&|' "$tmp/t/lib/libtaskvisor/taskvisor.h"
out=$(python3 "$here/man_options.py" "$tmp/t" 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "man_options.py: exit $rc with offenders planted, want 1: $out"
for want in "taskvisord.conf.5.scd: option planted_option (lib/conf_program.c) is not documented" \
	"taskvisord.conf.5.scd: option planted_main (lib/conf.c) is not documented" \
	"taskvisorctl.1.scd: command planted-cmd (ctl/cmd_misc.c) is not documented" \
	"taskvisord.8.scd: option --planted-flag (supervisord/main.c) is not documented" \
	"taskvisord.8.scd: option -P (supervisord/main.c) is not documented" \
	"exec-worker.1.scd: option --planted-worker (lib/workeropt.c) is not documented" \
	"libtaskvisor.3.scd: name tv_planted_fn (lib/libtaskvisor/taskvisor.h) is not documented" \
	"8 name(s) the code accepts are missing"; do
	case "$out" in *"$want"*) ;; *) fail "[$want] not in: $out" ;; esac
done
out=$(sh "$here/man.sh" "$tmp/b" "$tmp/t" 2>&1) && fail "man.sh passes with undocumented names: $out"
case "$out" in *"planted_option"*) ;; *) fail "man.sh does not name planted_option: $out" ;; esac

# a page that renders with a warning, and one that was not generated
rm -rf "$tmp/t" && mkdir -p "$tmp/t/supervisord" && cp -r lib ctl services man "$tmp/t/" &&
	cp supervisord/main.c "$tmp/t/supervisord/" || exit 2
printf '.SH\n.PP\n.PP\n' >>"$tmp/b/man/exec-worker.1"
rm "$tmp/b/man/libtaskvisor.3"
out=$(sh "$here/man.sh" "$tmp/b" "$tmp/t" 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "man.sh: exit $rc with a bad page, want 1: $out"
for want in "exec-worker.1: mandoc -T lint:" "libtaskvisor.3: not generated from man/libtaskvisor.3.scd"; do
	case "$out" in *"$want"*) ;; *) fail "[$want] not in: $out" ;; esac
done
echo "ok test_man"
