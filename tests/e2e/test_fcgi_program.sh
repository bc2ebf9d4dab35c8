#!/bin/sh
# [fcgi-program:x] side by side with Debian's supervisord 4.2.5, same sections: the daemon creates
# the socket (unix:// with socket_mode/socket_owner, tcp://), every process gets it as fd 0 and
# accept()s on it, the names in status are supervisord's, a restart refuses no connection, a stop
# of the group closes the socket (its file stays, as supervisord leaves it), a start re-creates it.
# Then taskvisord alone: update applies a changed socket_mode, a socket that cannot be created is
# the process's spawn error. Skips (77) without the supervisor package (make test installs it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"
svd_require
command -v python3 >/dev/null 2>&1 || { echo "SKIP $TEST_NAME: python3 not installed"; exit 77; }
tv_init
mkdir -p "$T/sv.d"

# The FastCGI-style server: accept() on fd 0 (the socket the daemon made), answer with our pid.
cat >"$T/srv.py" <<'EOF'
import os, signal, socket, sys
busy = stop = False
def term(*args):  # finish the connection in hand, then exit
    global stop
    stop = True
    if not busy:
        sys.exit(0)
signal.signal(signal.SIGTERM, term)
s = socket.socket(fileno=0)
while True:
    c, _ = s.accept()
    busy = True
    c.sendall(b"%d\n" % os.getpid())
    c.close()
    busy = False
    if stop:
        sys.exit(0)
    if sys.argv[1:] == ["--once"]:  # a crash loop: exit 1 after each answer
        sys.exit(1)
EOF
# A client: connect COUNT times to unix PATH or tcp PORT, print each answer; exit 1 at the first
# failure. With a duration instead of a count, connect for that many seconds: a refused connection
# (nothing listens) fails; one a stopping process took and dropped is only counted ("lost").
# With "refused": exit 0 only when the connection is refused (nothing listens).
cat >"$T/cli.py" <<'EOF'
import socket, sys, time
kind, addr, n = sys.argv[1], sys.argv[2], sys.argv[3]
def once():
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX)
        a = addr
    else:
        s = socket.socket(socket.AF_INET)
        a = ("127.0.0.1", int(addr))
    s.settimeout(0.5 if n == "refused" else 10)
    s.connect(a)
    r = s.recv(100).decode().strip()
    s.close()
    if not r:
        raise OSError("empty answer")
    return r
if n == "refused":
    try:
        once()
    except ConnectionRefusedError:
        sys.exit(0)
    except OSError:
        pass
    sys.exit(1)
if n.endswith("s"):
    end, bad, lost, good = time.time() + float(n[:-1]), 0, 0, 0
    while time.time() < end:
        try:
            once(); good += 1
        except (ConnectionRefusedError, FileNotFoundError) as e:
            bad += 1; print("failed:", e)
        except OSError as e:
            lost += 1; print("lost:", e)
        time.sleep(0.005)
    print("good", good, "refused", bad, "lost", lost)
    sys.exit(1 if bad or lost > good // 10 else 0)
for i in range(int(n)):
    print(once())
EOF
ports=$(python3 -c 'import socket
ss = [socket.socket() for i in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
TV_PORT=${ports% *}
SV_PORT=${ports#* }

owner=""
[ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null && owner="socket_owner = nobody"
# The same sections for both daemons, each with its own socket paths and port.
fcgi_conf() { # PREFIX PORT
	cat <<EOF
[fcgi-program:web]
command = python3 $T/srv.py
socket = unix://$T/$1%(program_name)s.sock
socket_mode = 0660
$owner
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0
stopwaitsecs = 2

[fcgi-program:api]
command = python3 $T/srv.py
socket = tcp://127.0.0.1:$2
socket_backlog = 16
startsecs = 0
EOF
}
fcgi_conf tv- "$TV_PORT" >"$T/conf.d/fcgi.conf"
fcgi_conf sv- "$SV_PORT" >"$T/sv.d/fcgi.conf"
{ svd_conf_head "$T"; printf '\n[include]\nfiles = sv.d/*.conf\n'; } >"$T/sv.conf"
svd_start "$T/sv.conf"
tv_start
sv() { supervisorctl -c "$T/sv.conf" "$@"; }
_sv_up() { [ "$(sv status | grep -c RUNNING)" = 3 ]; }
_tv_up() { [ "$(ctl status | grep -c RUNNING)" = 3 ]; }
wait_for 15 _sv_up || fail "supervisord did not start web and api: $(sv status; cat "$SUP_OUT")"
wait_for 10 _tv_up || fail "taskvisord did not start web and api: $(ctl status)"

# ---- the same names in status (the group is named after the section) ----
want=$(sv status | awk '{print $1}' | sort)
got=$(ctl status | awk '{print $1}' | sort)
assert_eq "$got" "$want" "status names"
assert_eq "$got" "api
web:web_00
web:web_01" "status names"

# ---- the socket file: a socket, socket_mode, socket_owner, as supervisord makes it ----
[ -S "$T/tv-web.sock" ] || fail "no socket $T/tv-web.sock"
assert_eq "$(stat -c '%a %U %G' "$T/tv-web.sock")" "$(stat -c '%a %U %G' "$T/sv-web.sock")" "socket mode/owner"
assert_eq "$(stat -c %a "$T/tv-web.sock")" 660 "socket_mode"
[ -z "$owner" ] || assert_eq "$(stat -c %U "$T/tv-web.sock")" nobody "socket_owner"

# ---- fd 0 of every process is the socket, for both daemons ----
for name in web:web_00 web:web_01 api; do
	pid=$(ctl pid "$name")
	case $(readlink "/proc/$pid/fd/0") in socket:*) ;; *) fail "$name: fd 0 is $(readlink "/proc/$pid/fd/0"), not a socket" ;; esac
	pid=$(sv pid "$name")
	case $(readlink "/proc/$pid/fd/0") in socket:*) ;; *) fail "supervisord's $name: fd 0 is not a socket" ;; esac
done

# ---- both processes serve: the answers come from exactly the two pids of the group ----
# (a process answers once it is in accept(): ask until both did, 5 s at most)
answered() { # unix|tcp ADDR: the distinct pids that answered
	i=0 all=""
	while [ $i -lt 50 ]; do
		out=$(python3 "$T/cli.py" "$1" "$2" 10) || { echo "$out"; return 1; }
		all=$(printf '%s\n%s\n' "$all" "$out" | sed '/^$/d' | sort -u)
		[ "$(echo "$all" | wc -l)" -ge 2 ] && break
		i=$((i + 1))
		sleep 0.1
	done
	echo "$all"
}
pids=$(printf '%s\n%s\n' "$(ctl pid web:web_00)" "$(ctl pid web:web_01)" | sort)
out=$(answered unix "$T/tv-web.sock") || fail "connections to $T/tv-web.sock: $out"
assert_eq "$out" "$pids" "the processes that answered"
out=$(answered unix "$T/sv-web.sock") || fail "supervisord's socket: $out"
assert_eq "$(echo "$out" | wc -l)" 2 "supervisord: processes that answered"
out=$(python3 "$T/cli.py" tcp "$TV_PORT" 3) || fail "tcp://127.0.0.1:$TV_PORT: $out"
assert_eq "$(echo "$out" | sort -u)" "$(ctl pid api)" "tcp: the process that answered"
out=$(python3 "$T/cli.py" tcp "$SV_PORT" 3) || fail "supervisord's tcp socket: $out"

# ---- restarts refuse no connection: one process, the whole group, the tcp program ----
ino=$(stat -c %i "$T/tv-web.sock")
python3 "$T/cli.py" unix "$T/tv-web.sock" 3s >"$T/during.out" 2>&1 &
CLI=$!
sleep 0.3
old=$(ctl pid web:web_00)
ctl restart web:web_00 >/dev/null || fail "restart web:web_00"
[ "$(ctl pid web:web_00)" != "$old" ] || fail "web:web_00 was not restarted"
sleep 0.3
ctl restart 'web:*' >/dev/null || fail "restart web:*"
sleep 0.3
# supervisorctl's restart is a stop, then a start: the socket outlives the gap
ctl stop 'web:*' >/dev/null && sleep 0.3 && ctl start 'web:*' >/dev/null || fail "stop + start web:*"
wait $CLI || fail "connections failed during the restarts: $(cat "$T/during.out")"
assert_eq "$(stat -c %i "$T/tv-web.sock")" "$ino" "the socket file survives the restarts"
assert_eq "$(grep -c "creating socket unix://$T/tv-web.sock" "$T/taskvisord.log")" 1 "sockets created"
python3 "$T/cli.py" tcp "$TV_PORT" 1.5s >"$T/during.out" 2>&1 &
CLI=$!
sleep 0.3
ctl restart api >/dev/null || fail "restart api"
wait $CLI || fail "tcp connections failed during the restart: $(cat "$T/during.out")"

# ---- a stop of the group closes the socket; its file stays, as supervisord leaves it ----
_refused() { python3 "$T/cli.py" unix "$1" refused; }
ctl stop 'web:*' >/dev/null
sv stop 'web:*' >/dev/null
wait_for 5 _refused "$T/tv-web.sock" || fail "the socket still accepts after stop web:*"
wait_for 5 _refused "$T/sv-web.sock" || fail "supervisord's socket still accepts after stop web:*"
[ -e "$T/sv-web.sock" ] && { [ -e "$T/tv-web.sock" ] || fail "the socket file was removed; supervisord leaves it"; }
grep -q "closing socket unix://$T/tv-web.sock" "$T/taskvisord.log" || fail "no 'closing socket' in the log"
# ... and a start makes it again (the stale file is removed first)
ctl start 'web:*' >/dev/null || fail "start web:*"
out=$(python3 "$T/cli.py" unix "$T/tv-web.sock" 4) || fail "after start: $out"
assert_eq "$(stat -c %a "$T/tv-web.sock")" 660 "socket_mode after a start"

# ---- update: a changed socket_mode restarts the group and applies it ----
sed -i 's/socket_mode = 0660/socket_mode = 0666/' "$T/conf.d/fcgi.conf"
ctl update >/dev/null || fail "update"
_mode_is() { [ "$(stat -c %a "$T/tv-web.sock")" = "$1" ]; }
wait_for 10 _mode_is 666 || fail "socket_mode after update: $(stat -c %a "$T/tv-web.sock")"
wait_for 10 _tv_up || fail "after update: $(ctl status)"
out=$(python3 "$T/cli.py" unix "$T/tv-web.sock" 4) || fail "after update: $out"

# ---- remove / add, reload: the socket goes with the group and comes back with it ----
ctl stop 'web:*' >/dev/null
ctl remove web >/dev/null || fail "remove web"
wait_for 5 _refused "$T/tv-web.sock" || fail "the socket still accepts after remove web"
ctl add web >/dev/null || fail "add web"
wait_for 10 _tv_up || fail "after add: $(ctl status)"
out=$(python3 "$T/cli.py" unix "$T/tv-web.sock" 4) || fail "after add: $out"
ctl reload >/dev/null || fail "reload"
wait_for 10 grep -q "reload: configuration .* adopted" "$T/taskvisord.log" || fail "reload not adopted"
wait_for 10 _tv_up || fail "after reload: $(ctl status)"
out=$(python3 "$T/cli.py" unix "$T/tv-web.sock" 4) || fail "after reload: $out"
out=$(python3 "$T/cli.py" tcp "$TV_PORT" 2) || fail "tcp after reload: $out"

# ---- a crash loop held back by start_limit_burst (1 s, 2 s) keeps its socket: clients wait ----
cat >"$T/conf.d/once.conf" <<EOF
[fcgi-program:once]
command = python3 $T/srv.py --once
socket = unix://$T/once.sock
startsecs = 0
start_limit_burst = 1
EOF
ctl update >/dev/null
_answers() { python3 "$T/cli.py" unix "$1" 1; }
wait_for 10 _answers "$T/once.sock" || fail "once does not answer: $(ctl status once)"
out=$(python3 "$T/cli.py" unix "$T/once.sock" 3.5s 2>&1) || fail "crash loop: connections failed: $out"
grep -q "once: restart rate limited" "$T/taskvisord.log" || fail "no rate-limited restart in the log"
ctl stop once >/dev/null

# ---- a socket that cannot be made is the spawn error, in supervisord's words ----
cat >"$T/conf.d/bad.conf" <<EOF
[fcgi-program:bad]
command = python3 $T/srv.py
socket = unix://$T/no/such/dir/bad.sock
startretries = 0
EOF
ctl update >/dev/null
wait_state bad FATAL
assert_contains "$(ctl status bad)" \
	"Could not create FastCGI socket unix://$T/no/such/dir/bad.sock: No such file or directory" "spawn error"
ctl status web:web_00 | grep -q RUNNING || fail "web stopped when bad failed: $(ctl status)"
exit 0
