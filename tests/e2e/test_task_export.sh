#!/bin/sh
# task export: the CSV parses with python's csv reader (header
# id,state,type,label,result,parent_task_id,started_at,ended_at; a label with a
# comma and a quote survives RFC 4180 quoting; one row per task); the HTML
# .tar.gz holds index.html plus one page per task, every page parses with
# html.parser, links resolve, and each page shows the details, steps, errors and
# locks (of a paused task, which holds them), with markup in task data escaped (text, never tags).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:we"ird,label]
name = %(input.title)s
steps = run
step.run = sh -c 'echo "failed: <i>no</i> & more" >&2; exit 3'
lock = repository:%(input.repo)s

[task:plain]
steps = first, second
step.first = true
step.second = true
EOF2
tv_start
wait_state exec-worker RUNNING
field() { ctl task show "$1" | awk -v f="$2:" '$1 == f {print $2}'; }
is_paused() { [ "$(field "$1" State)" = paused ]; }

w=$(ctl task submit 'we"ird,label' --input '{"title":"<b>bold</b> & \"q\"","repo":"r1"}') || fail "submit weird"
ctl task submit plain --wait >"$T/p.out" || fail "plain"
p=$(head -n 1 "$T/p.out")
wait_for 30 is_paused "$w" || fail "weird task did not pause: $(ctl task show "$w")"

# CSV
ctl task export --format csv --file "$T/out.csv" 2>/dev/null || fail "csv export"
python3 - "$T/out.csv" "$w" "$p" <<'PY' || fail "CSV: $(cat "$T/out.csv")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == "id,state,type,label,result,parent_task_id,started_at,ended_at".split(","), rows[0]
body = {r[0]: r for r in rows[1:]}
assert len(rows) == 3 and set(body) == {sys.argv[2], sys.argv[3]}, rows
w, p = body[sys.argv[2]], body[sys.argv[3]]
assert all(len(r) == 8 for r in rows), rows
assert w[1:6] == ["paused", 'we"ird,label', 'we"ird,label', "error", ""], w
assert p[1:6] == ["stopped", "plain", "plain", "success", ""], p
assert w[6] and not w[7] and p[6] and p[7], (w, p)
PY
# stdout, and a search
out=$(ctl task export --search 'label = plain') || fail "csv to stdout"
assert_eq "$(echo "$out" | wc -l | tr -d ' ')" 2 "search narrows the export"

# HTML
ctl task export --format html --file "$T/out.tar.gz" 2>/dev/null || fail "html export"
mkdir "$T/html" && tar -xzf "$T/out.tar.gz" -C "$T/html" || fail "untar"
python3 - "$T/html" "$w" "$p" <<'PY' || fail "HTML pages"
import html.parser, os, sys
d, w, p = sys.argv[1:4]

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.links, self.text, self.stack = [], [], [], []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k == "href"]
    def handle_data(self, data):
        self.text.append(data)

def parse(name):
    pg = Page()
    pg.feed(open(os.path.join(d, name), encoding="utf-8").read())
    pg.close()
    pg.all = "".join(pg.text)
    return pg

files = sorted(os.listdir(d))
assert files == sorted(["index.html", w + ".html", p + ".html"]), files
idx = parse("index.html")
assert "table" in idx.tags, idx.tags
assert sorted(idx.links) == sorted([w + ".html", p + ".html"]), idx.links
for link in idx.links:
    assert os.path.exists(os.path.join(d, link)), link
wp = parse(w + ".html")
# markup in the data is text, not tags
assert "b" not in wp.tags and "i" not in wp.tags, wp.tags
assert '<b>bold</b> & "q"' in wp.all, wp.all[:500]
for needle in ("Steps", "Errors", "Locks", "repository:r1", "failed: <i>no</i> & more", "exited 3", 'we"ird,label', w):
    assert needle in wp.all, needle
assert "index.html" in wp.links
pp = parse(p + ".html")
for needle in ("Steps", "first", "second", "success", "plain", p):
    assert needle in pp.all, needle
PY
echo "ok $TEST_NAME"
