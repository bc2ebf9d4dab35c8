#!/bin/sh
# tests/lint/test_state_doors.sh — state_doors.sh must fail on a planted offender:
# a copy of the sources passes, then three assignments outside the doors (a
# task's state in the engine, a step's in a struct initializer, a recurring
# logic's in the store) must each be listed and make it exit 1.
#
#   sh tests/lint/test_state_doors.sh       (run by make test-unit)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tv-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL test_state_doors: $*" >&2; exit 1; }

cd "$root" || exit 2
cp -r supervisord lib ctl services "$tmp/"
sh "$here/state_doors.sh" "$tmp" >/dev/null 2>&1 || fail "a clean copy is refused"

cat >>"$tmp/supervisord/engine_dispatch.c" <<'EOF'
void planted_task(struct etask *t);
void planted_task(struct etask *t)
{
	t->row.state = QT_RUNNING;
}
EOF
cat >>"$tmp/supervisord/engine_plan.c" <<'EOF'
static const struct q_step planted_step = {.idx = 0, .state = QS_READY};
EOF
cat >>"$tmp/lib/queue_sqlite.c" <<'EOF'
static void planted_rec(struct q_recurring *r)
{
	r->state=QREC_FINISHED;
}
EOF
out=$(sh "$here/state_doors.sh" "$tmp" 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "exit $rc with offenders planted, want 1: $out"
for want in "engine_dispatch.c:" "planted_task: t->row.state = QT_RUNNING;" \
	"engine_plan.c:" "(top level): static const struct q_step planted_step = {.idx = 0, .state = QS_READY};" "queue_sqlite.c:" "planted_rec: r->state=QREC_FINISHED;" \
	"3 state assignment(s) outside the transition functions"; do
	case "$out" in *"$want"*) ;; *) fail "[$want] not in: $out" ;; esac
done
echo "ok test_state_doors"
