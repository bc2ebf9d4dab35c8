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
# a second in the past: an age boundary (i = 2400 h, "< 100d") must not depend on
# whether the query runs within the same second as this generation
NOW_MS=$(( ($(date +%s) - 1) * 1000 ))
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
ids() { ctl task list --search "$1" --limit 0 | awk 'NR > 1 {print $1}' | sort; }

# QUERY<TAB>PYTHON-PREDICATE; the reference (the same generator in python, run
# once) writes $T/want.N for line N
cat >"$T/cases" <<'CASES'
state = paused and result = error	state == "paused" and result == "error"
label = sync and result = error	label == "sync" and result == "error"
result in (warning, cancelled) and not label = delete	result in ("warning", "cancelled") and label != "delete"
label = publish or triggered_by = alice	label == "publish" or user == "alice"
(label = publish or label = delete) and result != success and triggered_by = alice	label in ("publish", "delete") and result != "success" and user == "alice"
state = stopped and started_at > 2d	state == "stopped" and hours_ago < 48
started_at < 100d and label = sync and result = success	hours_ago >= 2400 and label == "sync" and result == "success"
name ~ "TASK 12"	"task 12" in name
label !~ s	"s" not in label
name = "x' OR 1=1 --"	name == "x' OR 1=1 --"
label = "sync' OR '1'='1"	False
name ~ "'; DROP TABLE tasks; --"	False
label = 'sync\' OR 1=1 --'	False
CASES
python3 - "$N" "$T" "$p1" "$p2" <<'PY' || fail "reference"
import sys
n, d, p1, p2 = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rows = []
for i in range(1, n + 1):
    rows.append(dict(id="%08x-0000-4000-8000-%012x" % (i, i),
                     label={0: "sync", 1: "publish", 2: "delete"}[i % 3],
                     name="x' OR 1=1 --" if i == 777 else "task %d" % i,
                     state="stopped",
                     result={0: "success", 1: "error", 2: "warning", 3: "cancelled"}[i % 4],
                     user="alice" if i % 5 == 0 else "bob", hours_ago=i))
for p in (p1, p2):
    rows.append(dict(id=p, label="sync", name="sync", state="paused", result="error", user="root", hours_ago=0))
for k, line in enumerate(open(d + "/cases")):
    pred = line.rstrip("\n").split("\t")[1]
    with open("%s/want.%d" % (d, k), "w") as f:
        for r in sorted(x["id"] for x in rows if eval(pred, {}, dict(x))):
            f.write(r + "\n")
PY
k=0
while IFS='	' read -r q pred; do
	ids "$q" >"$T/got" || fail "search refused: $q"
	[ -s "$T/want.$k" ] || [ "$pred" = False ] || fail "reference is empty for $q"
	cmp -s "$T/got" "$T/want.$k" ||
		fail "search [$q]: got $(wc -l <"$T/got") rows, want $(wc -l <"$T/want.$k"); first diff: $(diff "$T/want.$k" "$T/got" | head -n 3)"
	k=$((k + 1))
done <"$T/cases"
assert_eq "$k" 13 "cases run"
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
