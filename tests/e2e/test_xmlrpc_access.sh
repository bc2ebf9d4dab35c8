#!/bin/sh
# XML-RPC on the Unix socket keeps the socket's roles (README "Access"): a read-only user may call
# the reading methods (supervisorctl status) but a start is refused with FAILED and changes
# nothing; a user with no role gets 401. [unix_http_server] username/password: Basic auth on top.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root to act as another user"; exit 77; }
command -v setpriv >/dev/null || { echo "needs setpriv"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "needs /usr/bin/python3"; exit 77; }
command -v supervisorctl >/dev/null 2>&1 || { echo "supervisorctl not installed (apt-get install supervisor)"; exit 77; }
ro_group=$(id -gn nobody 2>/dev/null) || { echo "no user nobody"; exit 77; }
tv_init
chmod 755 "$T"
cat >>"$T/taskvisord.conf" <<CONF
[unix_socket]
file = $T/tv.sock
chmod = 0766
readonly_groups = $ro_group
admin_groups = root
CONF
sed -i '0,/^\[unix_socket\]$/{//d}' "$T/taskvisord.conf"
sed -i '0,/^file = .*tv.sock$/{//d}' "$T/taskvisord.conf"
tv_program p <<EOF2
[program:p]
command = sleep 1000
startsecs = 0
autostart = false
EOF2
tv_start
sc() { supervisorctl -s "unix://$T/tv.sock" "$@"; }
asnobody() { HOME=/ setpriv --reuid=nobody --regid="$ro_group" --clear-groups supervisorctl -s "unix://$T/tv.sock" "$@"; }
asother() { HOME=/ setpriv --reuid=nobody --regid=12345 --clear-groups supervisorctl -s "unix://$T/tv.sock" "$@"; }

out=$(asnobody status p); rc=$?
assert_contains "$out" "STOPPED" "read-only user may run status over XML-RPC"
assert_eq "$rc" 3 "status exit for a stopped process"
out=$(asnobody start p 2>&1); rc=$?
[ "$rc" -ne 0 ] || fail "read-only user could start: $out"
assert_eq "$(sc status p | awk '{print $2}')" STOPPED "nothing started by the refused request"
out=$(HOME=/ setpriv --reuid=nobody --regid="$ro_group" --clear-groups /usr/bin/python3 -c "
import xmlrpc.client, http.client, socket
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect('$T/tv.sock')
class Tr(xmlrpc.client.Transport):
    def make_connection(self, host): return C('localhost')
p = xmlrpc.client.ServerProxy('http://localhost/RPC2', transport=Tr())
try:
    p.supervisor.startProcess('p'); print('started')
except xmlrpc.client.Fault as e:
    print(e.faultCode, e.faultString)
" 2>&1)
assert_eq "$out" "30 FAILED: permission denied (read-only access)" "read-only start fault"
out=$(asother status 2>&1)
assert_contains "$out" "Server requires authentication" "no role: 401"
out=$(sc start p); rc=$?
assert_eq "$out" "p: started" "root may start over XML-RPC"

# [unix_http_server] username/password ({SHA} form): Basic auth on top of the roles
sha=$(printf %s pw | sha1sum | cut -d' ' -f1)
cat >>"$T/taskvisord.conf" <<CONF
username = u
password = {SHA}$sha
CONF
out=$(ctl reload 2>&1) || fail "reload: $out"
out=$(sc -u u -p pw status p 2>&1)
assert_contains "$out" "STOPPED" "right credentials let in"
out=$(sc status 2>&1)
assert_contains "$out" "Server requires authentication" "no credentials: 401"
out=$(sc -u u -p nope status 2>&1)
assert_contains "$out" "Server requires authentication" "wrong password: 401"
# the native protocol is not affected
out=$(ctl status p) || true
assert_contains "$out" "STOPPED" "taskvisorctl unaffected by the HTTP password"
echo ok
