#!/bin/sh
# XML-RPC benchmark: supervisor.getAllProcessInfo of 100 programs against taskvisord and against
# Debian's supervisord 4.2.5 (package `supervisor`, the reference), side by side in one run, on
# one supervisord.conf read by both (each with its own socket and [inet_http_server] port). Each
# call is a new connection to the Unix socket carrying one POST /RPC2, as supervisorctl makes
# them; the client sends prebuilt bytes and reads the whole answer (bench/xmlrpc_calls.py), so
# the figure is the daemon's, not a Python XML parser's. Also the same through Python's
# xmlrpc.client (what an integration pays, client parsing included), and each daemon's RSS with
# the HTTP listener on after the calls. Goal (issue 13): getAllProcessInfo >= 20x faster.
set -u
: "${BUILD:?}"
N=${BENCH_PROGRAMS:-100}
CALLS=${BENCH_XMLRPC_CALLS:-300}
D=$(mktemp -d /tmp/tv-bench-xmlrpc.XXXXXX)
TAG="tv-bench-$$"
export TV_TEST_TAG="$TAG"
SD_PID=""; TV_PID=""
HERE=$(cd "$(dirname "$0")" && pwd)

cleanup() {
	[ -n "$TV_PID" ] && kill -TERM "$TV_PID" 2>/dev/null
	[ -n "$SD_PID" ] && kill -TERM "$SD_PID" 2>/dev/null
	sleep 2
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}; p=${p%/environ}
		[ "$p" = "$$" ] && continue
		{ tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qx "TV_TEST_TAG=$TAG" && kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port0=$((30000 + $$ % 20000))
for who in sd tv; do
	mkdir -p "$D/$who/conf.d" "$D/$who/log"
	i=1
	while [ $i -le "$N" ]; do
		name=$(printf 'p%03d' $i)
		printf '[program:%s]\ncommand=sleep 1000000\nstartsecs=1\nstopwaitsecs=2\n' "$name" >"$D/$who/conf.d/$name.conf"
		i=$((i + 1))
	done
	[ "$who" = sd ] && port=$port0 || port=$((port0 + 1))
	cat >"$D/$who/supervisord.conf" <<CONF
[supervisord]
nodaemon = true
logfile = $D/$who/daemon.log
pidfile = $D/$who/daemon.pid
childlogdir = $D/$who/log

[unix_http_server]
file = $D/$who/sock

[inet_http_server]
port = 127.0.0.1:$port

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://$D/$who/sock

[include]
files = conf.d/*.conf
CONF
done
sed -i "s|^nodaemon = true|nodaemon = true\ndatabase = $D/tv/tasks.db|" "$D/tv/supervisord.conf"

supervisord -n -c "$D/sd/supervisord.conf" >/dev/null 2>&1 &
SD_PID=$!
"$BUILD/bin/taskvisord" -n -c "$D/tv/supervisord.conf" >"$D/tv/out" 2>&1 &
TV_PID=$!

count_running() { supervisorctl -s "unix://$D/$1/sock" status 2>/dev/null | grep -c ' RUNNING '; }
i=0
while [ "$(count_running sd)" -lt "$N" ] || [ "$(count_running tv)" -lt "$N" ]; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "programs did not all reach RUNNING (supervisord: $(count_running sd), taskvisord: $(count_running tv))"
		tail -n 20 "$D/tv/out"
		exit 1
	fi
	sleep 0.1
done
sleep 1

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
mem() { awk -v k="$2" '$1 == k":" {s += $2} END {print s + 0}' "/proc/$1/smaps_rollup"; }
echo "programs: $N (all RUNNING under both daemons, [inet_http_server] on in both)"

# Both daemons alternate in rounds, so a busy moment of the machine falls on both.
python3 "$HERE/xmlrpc_calls.py" "$CALLS" "$D/sd/sock" "$D/tv/sock" "$SD_PID" "$TV_PID" || exit 1

TV_RSS=$(mem "$TV_PID" Rss); SD_RSS=$(mem "$SD_PID" Rss)
TV_PRIV=$(mem "$TV_PID" Private_Dirty); SD_PRIV=$(mem "$SD_PID" Private_Dirty)
echo "daemon RSS after the calls, HTTP on: taskvisord ${TV_RSS} KiB, supervisord ${SD_RSS} KiB, ratio $(ratio "$TV_RSS" "$SD_RSS")"
echo "  private dirty: taskvisord ${TV_PRIV} KiB, supervisord ${SD_PRIV} KiB, ratio $(ratio "$TV_PRIV" "$SD_PRIV")"
echo "  (machine load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs)"
