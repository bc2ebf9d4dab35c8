#!/bin/sh
# Search over a few thousand tasks: `task list --search Q` returns exactly the rows
# a reference computation (python3, over the same generated data) expects, for
# text, state/result, in (...), not, or, dates and ages; --limit and --order;
# a malformed query is refused with the position and what was expected; an SQL
# injection attempt is data: it matches the one task whose name holds that text,
# or nothing, and the database is intact.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 77; }
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:sync]
steps = run
step.run = false
EOF2
tv_start
wait_state exec-worker RUNNING

# two real paused tasks (state = paused and result = error)
p1=$(ctl task submit sync) || fail "submit"
p2=$(ctl task submit sync) || fail "submit"
is_paused() { ctl task show "$1" | grep -q '^State: *paused'; }
wait_for 30 is_paused "$p1" || fail "p1 not paused"
wait_for 30 is_paused "$p2" || fail "p2 not paused"

# 3000 stopped tasks written straight into the database (the daemon holds only
# unfinished tasks in memory, so stopped rows may come from anywhere)
N=3000
NOW_MS=$(( $(date +%s) * 1000 ))
sqlite3 "$T/tasks.db" <<SQL || fail "generating rows"
.timeout 10000
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO tasks (id, label, name, queue, state, result, triggered_by, created_at, started_at, ended_at)
SELECT printf('%08x-0000-4000-8000-%012x', i, i),
       CASE i % 3 WHEN 0 THEN 'sync' WHEN 1 THEN 'publish' ELSE 'delete' END,
       CASE WHEN i = 777 THEN 'x'' OR 1=1 --' ELSE 'task ' || i END,
       'default', 'stopped',
       CASE i % 4 WHEN 0 THEN 'success' WHEN 1 THEN 'error' WHEN 2 THEN 'warning' ELSE 'cancelled' END,
       CASE i % 5 WHEN 0 THEN 'alice' ELSE 'bob' END,
       $NOW_MS - i * 3600000, $NOW_MS - i * 3600000, $NOW_MS - i * 3600000 + 1000
FROM n;
SQL
assert_eq "$(sqlite3 "$T/tasks.db" 'select count(*) from tasks')" $((N + 2)) "rows generated"

# ids of `task list --search Q --limit 0`, sorted, one per line
ids() { ctl task list --search "$1" --limit 0 --json | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tasks"]: print(t["id"])' | sort; }

# the reference: the same generator in python; prints the expected ids for a predicate
expect() {
	python3 - "$N" "$1" "$p1" "$p2" <<'PY' | sort
import sys
n, pred, p1, p2 = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
for i in range(1, n + 1):
    t = dict(id="%08x-0000-4000-8000-%012x" % (i, i),
             label={0: "sync", 1: "publish", 2: "delete"}[i % 3],
             name="x' OR 1=1 --" if i == 777 else "task %d" % i,
             state="stopped",
             result={0: "success", 1: "error", 2: "warning", 3: "cancelled"}[i % 4],
             user="alice" if i % 5 == 0 else "bob", hours_ago=i)
    if eval(pred, {}, t):
        print(t["id"])
for p in (p1, p2):
    t = dict(id=p, label="sync", name="sync", state="paused", result="error", user="root", hours_ago=0)
    if eval(pred, {}, t):
        print(p)
PY
}

check() { # QUERY PYTHON-PREDICATE
	ids "$1" >"$T/got" || fail "search refused: $1"
	expect "$2" >"$T/want"
	[ -s "$T/want" ] || [ "$3" = empty ] || fail "reference is empty for $1"
	cmp -s "$T/got" "$T/want" ||
		fail "search [$1]: got $(wc -l <"$T/got") rows, want $(wc -l <"$T/want"); first diff: $(diff "$T/want" "$T/got" | head -n 3)"
}

check 'state = paused and result = error' 'state == "paused" and result == "error"'
check 'label = sync and result = error' 'label == "sync" and result == "error"'
check 'result in (warning, cancelled) and not label = delete' 'result in ("warning", "cancelled") and label != "delete"'
check 'label = publish or triggered_by = alice' 'label == "publish" or user == "alice"'
check '(label = publish or label = delete) and result != success and triggered_by = alice' \
	'label in ("publish", "delete") and result != "success" and user == "alice"'
check 'state = stopped and started_at > 2d' 'state == "stopped" and hours_ago < 48'
check 'started_at < 100d and label = sync and result = success' 'hours_ago >= 2400 and label == "sync" and result == "success"'
check 'name ~ "TASK 12"' '"task 12" in name'
check 'label !~ s' '"s" not in label'

# injection attempts are values: they match the one row holding the text, or nothing
check "name = \"x' OR 1=1 --\"" "name == \"x' OR 1=1 --\""
check "label = \"sync' OR '1'='1\"" 'False' empty
check "name ~ \"'; DROP TABLE tasks; --\"" 'False' empty
check "label = 'sync\\' OR 1=1 --'" 'False' empty
assert_eq "$(sqlite3 "$T/tasks.db" 'select count(*) from tasks')" $((N + 2)) "the database is intact"

# --limit and --order
out=$(ctl task list --search 'label = delete' --order started_at desc --limit 5 --json |
	python3 -c 'import json,sys; print(" ".join(t["id"][:8] for t in json.load(sys.stdin)["tasks"]))')
assert_eq "$out" "00000002 00000005 00000008 0000000b 0000000e" "--order started_at desc --limit 5"
out=$(ctl task list --search 'label = delete' --order started_at asc --limit 1 --json |
	python3 -c 'import json,sys; print(" ".join(t["id"][:8] for t in json.load(sys.stdin)["tasks"]))')
assert_eq "$out" "$(printf '%08x' 2999)" "--order started_at asc --limit 1"

# malformed queries: refused with the position and what was expected
out=$(ctl task list --search 'state = ' 2>&1); rc=$?
[ $rc -ne 0 ] || fail "malformed query accepted"
assert_contains "$out" "at position" "error names the position"
assert_contains "$out" "expected a value" "error says what was expected"
out=$(ctl task list --search 'stat = paused' 2>&1); rc=$?
[ $rc -ne 0 ] || fail "unknown field accepted"
assert_contains "$out" "unknown field 'stat' at position 1" "unknown field"
out=$(ctl task list --search '(state = paused' 2>&1); rc=$?
[ $rc -ne 0 ] || fail "unbalanced parenthesis accepted"
assert_contains "$out" "position" "unbalanced parenthesis"
echo "ok $TEST_NAME"
