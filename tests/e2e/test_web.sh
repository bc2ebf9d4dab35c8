#!/bin/sh
# The web page (README "Web page") in a real browser, Debian's headless Chromium: on an
# [inet_http_server] with Basic auth the processes page lists the programs with their states and
# the task page a paused task's steps, error and output tail; an admin stops a program by clicking
# its button (the DevTools protocol drives the browser) and the task page follows a resume live;
# a POST without the CSRF token, with a wrong one or from another Origin is 403 and changes
# nothing; a read-only user on the Unix socket sees the page without buttons and gets 403 on an
# action; what a user types comes back escaped; the security headers are there; the tasks list
# pages by 50. TV_WEB_SHOTS=DIR also writes the screenshots of README (web-processes.png,
# web-task.png) into DIR.
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null 2>&1 || { echo "chromium not installed (apt-get install chromium)"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "curl not installed"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "needs /usr/bin/python3"; exit 77; }
"$PY" -c 'import websocket' 2>/dev/null || { echo "needs python3-websocket"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root to act as a read-only user"; exit 77; }
command -v setpriv >/dev/null || { echo "needs setpriv"; exit 77; }
ro_group=$(id -gn nobody 2>/dev/null) || { echo "no user nobody"; exit 77; }

tv_init
chmod 755 "$T"
P=$("$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat >>"$T/taskvisord.conf" <<CONF
[unix_socket]
file = $T/tv.sock
chmod = 0766
readonly_groups = $ro_group
admin_groups = root

[inet_http_server]
port = 127.0.0.1:$P
username = u
password = pw
CONF
sed -i '0,/^\[unix_socket\]$/{//d}' "$T/taskvisord.conf"
sed -i '0,/^file = .*tv.sock$/{//d}' "$T/taskvisord.conf"
tv_program p <<EOF2
[program:web1]
command = sh -c 'echo web1 says hello; exec sleep 1000'
startsecs = 0

[program:web2]
command = sleep 1000
startsecs = 0
autostart = false

[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:build]
steps = fetch, check, publish
step.fetch = sh -c 'echo fetched'
step.check = sh -c 'echo "the cause: <missing> fixed file" >&2; test -f $T/fixed || exit 3'
step.publish = sh -c 'sleep 3; echo published'

[task:later]
steps = one
step.one = true
EOF2
tv_start
wait_state web1 RUNNING
wait_state exec-worker RUNNING
id=$(ctl task submit build --wait 2>/dev/null | head -n 1)
[ -n "$id" ] || fail "no task id"
paused() { ctl task show "$1" | grep -q '^State: *paused'; }
wait_for 10 paused "$id" || fail "task not paused: $(ctl task show "$id")"

URL="http://127.0.0.1:$P"
AUTH="u:pw"
chrome() { timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome-dump" "$@" 2>>"$T/chrome.err"; }

# --- the pages, as Chromium renders them ---
dom=$(chrome --dump-dom "http://$AUTH@127.0.0.1:$P/")
assert_contains "$dom" '<td class="name">web1</td><td><span class="state s-RUNNING">RUNNING</span>' "web1 RUNNING"
assert_contains "$dom" '<td class="name">web2</td><td><span class="state s-STOPPED">STOPPED</span>' "web2 STOPPED"
assert_contains "$dom" 'action="/action/stop"' "admin sees the stop buttons"
echo "$dom" | grep -q '<td class="name">web1</td>.*<td>[0-9.]* [KM]iB</td>' || fail "no memory for web1: $dom"
dom=$(chrome --dump-dom "http://$AUTH@127.0.0.1:$P/task?id=$id")
for want in '<td>fetch</td>' '<td>check</td>' '<td>publish</td>' 's-success">success' 's-error">error' \
	's-pending">pending' 'exited 3' 'the cause: &lt;missing&gt; fixed file' 's-paused">paused' 'action="/action/resume"'; do
	assert_contains "$dom" "$want" "task page"
done
dom=$(chrome --dump-dom "http://$AUTH@127.0.0.1:$P/workers")
assert_contains "$dom" '<td>exec-worker</td>' "workers page lists the exec worker"
assert_contains "$dom" '<table id="queues">' "workers page has the queues"
dom=$(chrome --dump-dom "http://$AUTH@127.0.0.1:$P/tail?name=web1")
assert_contains "$dom" 'web1 says hello' "log view"
if [ -n "${TV_WEB_SHOTS:-}" ]; then
	chrome --hide-scrollbars --window-size=1200,800 --screenshot="$TV_WEB_SHOTS/web-processes.png" "http://$AUTH@127.0.0.1:$P/" >/dev/null
	chrome --hide-scrollbars --window-size=1200,800 --screenshot="$TV_WEB_SHOTS/web-task.png" "http://$AUTH@127.0.0.1:$P/task?id=$id" >/dev/null
fi

# --- security headers; escaping of what a user typed ---
hdr=$(curl -s -o /dev/null -D - -u "$AUTH" "$URL/")
assert_contains "$hdr" "Content-Security-Policy: default-src 'none'; script-src 'self'" "CSP"
assert_contains "$hdr" "X-Frame-Options: DENY" "X-Frame-Options"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" 401 "no credentials: 401"
out=$(curl -s -u "$AUTH" "$URL/tasks?q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
assert_not_contains "$out" "<script>alert" "a search is escaped"
assert_contains "$out" 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' "the search comes back escaped"
assert_contains "$out" 'class="error"' "a bad search says why"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" "$URL/task?id=%FF")" 400 "an id that is not UTF-8"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" "$URL/tasks?page=99999999999999999999")" 400 "a huge page number"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" "$URL/task?id=nosuch")" 404 "no such task"

# --- CSRF: no token, a wrong one, another Origin: 403, nothing changes ---
token=$(curl -s -u "$AUTH" "$URL/" | sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
[ ${#token} = 64 ] || fail "no token in the page: [$token]"
code=$(curl -s -o "$T/r" -w '%{http_code}' -u "$AUTH" -d name=web2 "$URL/action/start")
assert_eq "$code" 403 "POST without a token"
assert_contains "$(cat "$T/r")" "missing or wrong CSRF token" "the refusal says why"
# the token with its first digit changed (never the same digit: a wrong token, always)
case "$token" in 0*) bad="1${token#?}" ;; *) bad="0${token#?}" ;; esac
[ "$bad" != "$token" ] || fail "the wrong token is the token"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" -d "name=web2&token=$bad" "$URL/action/start")
assert_eq "$code" 403 "POST with a wrong token"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" -H "Origin: http://evil.example" -d "name=web2&token=$token" "$URL/action/start")
assert_eq "$code" 403 "POST from another Origin"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "u2:pw" -d "name=web2&token=$token" "$URL/action/start")
assert_eq "$code" 401 "other credentials"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" "$URL/action/start?name=web2&token=$token")
assert_eq "$code" 404 "an action by GET is no action"
assert_eq "$(ctl status web2 | awk '{print $2}')" STOPPED "nothing started by the refused requests"
out=$(curl -s -u "$AUTH" -d "name=web2&token=$token" "$URL/action/start")
assert_contains "$out" "web2: started" "POST with the page's token starts"
wait_state web2 RUNNING

# --- a read-only user on the Unix socket: pages yes, buttons no, actions 403 ---
asnobody() { setpriv --reuid=nobody --regid="$ro_group" --clear-groups curl -s --unix-socket "$T/tv.sock" "$@"; }
out=$(asnobody "http://localhost/")
assert_contains "$out" '<td class="name">web2</td>' "read-only user sees the processes"
assert_contains "$out" '<span class="role">read-only</span>' "read-only user is told so"
assert_not_contains "$out" '/action/' "read-only user sees no action button"
out=$(asnobody "http://localhost/task?id=$id")
assert_not_contains "$out" '/action/' "read-only user sees no task button"
out=$(asnobody -w '\n%{http_code}' -d "name=web2&token=$token" "http://localhost/action/stop")
assert_eq "$(echo "$out" | tail -n 1)" 403 "read-only user's action"
assert_contains "$out" "permission denied: read-only access" "the refusal page says why"
assert_eq "$(ctl status web2 | awk '{print $2}')" RUNNING "nothing stopped by the read-only user"
out=$(curl -s --unix-socket "$T/tv.sock" "http://localhost/")
assert_contains "$out" 'action="/action/stop"' "root on the Unix socket is admin"

# --- the browser clicks: stop web1; the task page follows a resume live ---
"$PY" - "$URL" "$AUTH" "$id" "$T" "$TVCTL" <<'PY' || fail "browser session (chromium stderr: $(tail -n 5 "$T/chrome.err"))"
import base64, json, os, subprocess, sys, time, urllib.request, websocket
url, auth, tid, T, tvctl = sys.argv[1:6]
chrome = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
    "--remote-debugging-port=0", "--user-data-dir=" + T + "/chrome-cdp", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=open(T + "/chrome.err", "a"))
try:
    port_file = T + "/chrome-cdp/DevToolsActivePort"
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.1)
    port = open(port_file).read().split()[0]
    targets = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port))
    ws = websocket.create_connection([t for t in targets if t["type"] == "page"][0]["webSocketDebuggerUrl"], timeout=30)
    seq = [0]
    events = []
    def send(method, **params):
        seq[0] += 1
        ws.send(json.dumps({"id": seq[0], "method": method, "params": params}))
        while True:
            m = json.loads(ws.recv())
            if m.get("id") == seq[0]:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            events.append(m)
    def wait_load():
        end = time.time() + 20
        while time.time() < end:
            while events:
                if events.pop(0).get("method") == "Page.loadEventFired":
                    return
            events.append(json.loads(ws.recv()))
        raise RuntimeError("page did not load")
    def js(expr):
        r = send("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")
    def wait_js(expr, what):
        end = time.time() + 20
        while time.time() < end:
            if js(expr):
                return
            time.sleep(0.2)
        raise RuntimeError("timed out waiting for " + what + ": " + str(js("document.body.innerText")))
    send("Network.enable")
    send("Network.setExtraHTTPHeaders", headers={"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()})
    send("Page.enable")
    send("Log.enable")
    send("Page.navigate", url=url + "/")
    wait_load()
    send("Runtime.evaluate", expression="""document.querySelector('form[action="/action/stop"] input[name="name"][value="web1"]').form.querySelector('button').click()""")
    wait_load()
    msg = js("document.getElementById('message') && document.getElementById('message').textContent")
    assert msg == "web1: stopped", ("after the click", msg, js("document.body.innerText"))
    send("Page.navigate", url=url + "/task?id=" + tid)
    wait_load()
    assert "paused" in js("document.getElementById('task-state').textContent")
    open(T + "/fixed", "w").close()
    r = subprocess.run([tvctl, "-c", T + "/taskvisord.conf", "task", "resume", tid], capture_output=True, text=True)
    assert r.returncode == 0, r
    # no reload: app.js polls the live part and swaps it in
    wait_js("document.querySelector('#steps tbody tr:nth-child(3) .state').textContent == 'running'", "publish running")
    wait_js("document.getElementById('task-state').textContent.indexOf('success') >= 0", "task success")
    csp = [e for e in events if e.get("method") == "Log.entryAdded" and "Content Security Policy" in e["params"]["entry"].get("text", "")]
    assert not csp, csp
finally:
    chrome.kill()
    chrome.wait()
PY
assert_eq "$(ctl status web1 | awk '{print $2}')" STOPPED "the click stopped web1"

# --- paging: 50 a page, a next link, the rest on page 2 ---
i=0
while [ $i -lt 55 ]; do ctl task submit later --start-at +1h >/dev/null || fail "submit $i"; i=$((i + 1)); done
rows() { echo "$1" | grep -c '<tr><td><a class="id"'; }
out=$(curl -s -u "$AUTH" "$URL/tasks?q=label+%3D+later")
assert_eq "$(rows "$out")" 50 "page 1: 50 tasks"
assert_contains "$out" 'Tasks 1-50.' "page 1 says which"
assert_contains "$out" 'href="/tasks?q=label%20%3D%20later&amp;page=2">next' "a next link keeps the search"
out=$(curl -s -u "$AUTH" "$URL/tasks?q=label+%3D+later&page=2")
assert_eq "$(rows "$out")" 5 "page 2: the other 5"
assert_not_contains "$out" '>next' "no page 3"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" "$URL/tasks?page=100000")
assert_eq "$code" 400 "a page past the bound"
echo "ok test_web"
