#!/bin/sh
# Any answer fits (DESIGN.md, promise 4): `task list --limit 0 --json`, `task list`
# and `task export` (CSV, JSON) over TV_HUGE_N tasks (200,000 in `make test`, 1,000,000 in `make stress`) complete,
# every task exactly once, streamed in frames far below the 16 MiB frame limit,
# while the daemon's RSS stays within 50 MB of what it was before; a client that
# stops reading a streamed list does not grow the daemon either.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 77; }
N=${TV_HUGE_N:-200000}
tv_init
tv_program t <<EOF2
[task:sync]
steps = run
step.run = /bin/true
EOF2
tv_start
ctl task list >/dev/null || fail "first task list"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$DAEMON_PID/status"; }

# stopped tasks written straight into the database (the daemon keeps only unfinished ones in memory)
NOW_MS=$(( $(date +%s) * 1000 ))
sqlite3 "$T/tasks.db" <<SQL || fail "generating rows"
.timeout 20000
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO tasks (id, label, name, queue, state, result, triggered_by, created_at, started_at, ended_at, input, output)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), 'sync', 'task ' || i, 'default', 'stopped',
       CASE i % 4 WHEN 0 THEN 'error' ELSE 'success' END, 'bob',
       $NOW_MS - i * 1000, $NOW_MS - i * 1000, $NOW_MS - i * 1000 + 500, '{"n":' || i || '}', '{}'
FROM n;
SQL
idle=$(rss)
# the high-water mark from here on: reset it (Linux: writing 5 to clear_refs)
echo 5 >"/proc/$DAEMON_PID/clear_refs" 2>/dev/null || true

ctl task list --limit 0 --json >"$T/list.json" || fail "task list --limit 0 --json: $(tail -c 300 "$T/list.json")"
python3 - "$T/list.json" "$N" <<'PY' || fail "list --json is not every task once"
import os, json, sys
d = json.load(open(sys.argv[1]))
ids = [t["id"] for t in d["tasks"]]
assert len(ids) == int(sys.argv[2]), len(ids)
assert len(set(ids)) == len(ids)
PY
n=$(ctl task list --limit 0 | wc -l)
assert_eq "$n" $((N + 1)) "task list --limit 0 rows (+ header)"
ctl task export --search 'label = sync' --file "$T/export.csv" 2>"$T/export.err" || fail "task export: $(cat "$T/export.err")"
assert_eq "$(wc -l <"$T/export.csv")" $((N + 1)) "exported CSV rows (+ header)"
assert_eq "$(tail -n +2 "$T/export.csv" | cut -d, -f1 | sort -u | wc -l)" "$N" "distinct exported ids"
assert_contains "$(cat "$T/export.err")" "$N tasks exported" "export summary"
ctl task export --search 'result = error' --format json --file "$T/export.json" 2>/dev/null || fail "task export json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['tasks']) == $N // 4, len(d['tasks']); assert d['tasks'][0]['input']['n'] > 0" "$T/export.json" ||
	fail "export json"
peak=$(hwm)
echo "daemon RSS idle ${idle} kB, peak while streaming ${peak} kB ($N tasks)"
# Under ASan freed memory sits in its quarantine and counts in RSS: the figure says nothing there.
asan=no
ldd "$TVD" 2>/dev/null | grep -q libasan && asan=yes
if [ $asan = no ]; then
	[ $((peak - idle)) -le 51200 ] || fail "daemon grew by $((peak - idle)) kB (> 50 MB) streaming $N tasks"
fi

# a client that asks for everything and never reads: the daemon stops producing
python3 - "$T/tv.sock" <<'PY' &
import os, json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
body = json.dumps({"limit": 0, "stream": True}).encode()
for _ in range(20):
    s.sendall(struct.pack("=III", int(os.environ["TV_PROTO"]), 201, len(body)) + body)
time.sleep(4)
PY
reader=$!
sleep 3
grown=$(( $(rss) - idle ))
kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null
[ $asan = yes ] || [ "$grown" -le 51200 ] || fail "a client that does not read grew the daemon by $grown kB"
ctl status >/dev/null; [ $? -le 3 ] || fail "status after the slow client"
