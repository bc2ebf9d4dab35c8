#!/bin/sh
# Supervisor benchmark: taskvisord against Debian's supervisord (package
# `supervisor`, the reference), side by side on the same 100 programs, in one
# run. Prints: daemon RSS ratio, `status` latency ratio (hyperfine), and
# crash -> restart latency (kill -9 to the replacement's first instruction).
# Goals (issue 2): RSS <= 1/10, status >= 20x faster, restart <= 5 ms.
set -u
: "${BUILD:?}"
N=${BENCH_PROGRAMS:-100}
ROUNDS=${BENCH_RESTARTS:-10}
D=$(mktemp -d /tmp/tv-bench-sup.XXXXXX)
TAG="tv-bench-$$"
export TV_TEST_TAG="$TAG"
SD_PID=""; TV_PID=""

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

for who in sd tv; do
	mkdir -p "$D/$who/conf.d" "$D/$who/log" "$D/$who/stamps"
	i=1
	while [ $i -le "$N" ]; do
		name=$(printf 'p%03d' $i)
		printf '[program:%s]\ncommand=%s/bench/stamp %s/%s/stamps/%s\nstartsecs=1\nstopwaitsecs=2\n' \
			"$name" "$BUILD" "$D" "$who" "$name" >"$D/$who/conf.d/$name.conf"
		i=$((i + 1))
	done
	# One supervisord-style main file, read unchanged by both daemons.
	cat >"$D/$who/supervisord.conf" <<CONF
[supervisord]
nodaemon = true
logfile = $D/$who/daemon.log
pidfile = $D/$who/daemon.pid
childlogdir = $D/$who/log

[unix_http_server]
file = $D/$who/sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://$D/$who/sock

[include]
files = conf.d/*.conf
CONF
done
# taskvisord also keeps a task database: point it into the bench dir (the only line
# the taskvisord copy adds; supervisord's copy stays as supervisord wants it).
sed -i "s|^nodaemon = true|nodaemon = true\ndatabase = $D/tv/tasks.db|" "$D/tv/supervisord.conf"

supervisord -n -c "$D/sd/supervisord.conf" >/dev/null 2>&1 &
SD_PID=$!
"$BUILD/bin/taskvisord" -n -c "$D/tv/supervisord.conf" >"$D/tv/out" 2>&1 &
TV_PID=$!

SDCTL="supervisorctl -c $D/sd/supervisord.conf"
TVCTL="$BUILD/bin/taskvisorctl -c $D/tv/supervisord.conf"
count_running() { $1 status 2>/dev/null | grep -c ' RUNNING '; }
i=0
while [ "$(count_running "$SDCTL")" -lt "$N" ] || [ "$(count_running "$TVCTL")" -lt "$N" ]; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "programs did not all reach RUNNING (supervisord: $(count_running "$SDCTL"), taskvisord: $(count_running "$TVCTL"))"
		tail -n 20 "$D/tv/out"
		exit 1
	fi
	sleep 0.1
done
sleep 1

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
SD_RSS=$(rss "$SD_PID"); TV_RSS=$(rss "$TV_PID")
echo "programs: $N (all RUNNING under both daemons)"
echo "daemon RSS: taskvisord ${TV_RSS} KiB, supervisord ${SD_RSS} KiB, ratio $(echo "$TV_RSS $SD_RSS" | awk '{printf "%.3f", $1/$2}') (goal <= 0.100)"

hyperfine -N --warmup 3 --runs 30 --export-json "$D/status.json" \
	-n taskvisorctl "$TVCTL status" -n supervisorctl "$SDCTL status" >/dev/null 2>&1 ||
	hyperfine --warmup 3 --runs 30 --export-json "$D/status.json" \
	-n taskvisorctl "$TVCTL status" -n supervisorctl "$SDCTL status" >/dev/null 2>&1
python3 - "$D/status.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
tv, sd = r["taskvisorctl"], r["supervisorctl"]
print("status latency (median of 30): taskvisorctl %.2f ms, supervisorctl %.2f ms, speed-up %.1fx (goal >= 20x)"
      % (tv["median"] * 1e3, sd["median"] * 1e3, sd["median"] / tv["median"]))
PY

lat() { python3 "$(dirname "$0")/restart_latency.py" "$ROUNDS" "$D/$1/stamps/p001" $2 pid p001; }
TV_LAT=$(lat tv "$TVCTL" | sort -n | awk '{a[NR]=$1} END {printf "%s", a[int((NR+1)/2)]}')
SD_LAT=$(lat sd "$SDCTL" | sort -n | awk '{a[NR]=$1} END {printf "%s", a[int((NR+1)/2)]}')
echo "crash -> restart latency (median of $ROUNDS): taskvisord ${TV_LAT} ms, supervisord ${SD_LAT} ms (goal <= 5 ms)"
