#!/bin/sh
# Supervisor benchmark: taskvisord against Debian's supervisord (package
# `supervisor`, the reference), side by side on the same 100 programs, in one
# run. Prints: daemon RSS ratio (and PSS, private memory), `status` latency
# ratio (hyperfine), crash -> restart latency (kill -9 to the replacement's
# first instruction), and the CPU each daemon uses over 10 s with nothing to do.
# Goals (issue 2): RSS <= 1/10, status >= 20x faster, restart <= 5 ms;
# (issue 5): no measurable CPU when idle. Each goal line ends in met or MISSED.
set -u
: "${BUILD:?}"
N=${BENCH_PROGRAMS:-100}
ROUNDS=${BENCH_RESTARTS:-20}
IDLE=${BENCH_IDLE_SECS:-10}
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

# goal VALUE OP LIMIT: "met" or "MISSED" (a value that is no number, e.g. nan, misses)
goal() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
	ok = v ~ /^[0-9]+(\.[0-9]+)?$/ && ((op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0))
	printf "%s", ok ? "met" : "MISSED" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# KEY from /proc/PID/smaps_rollup, in KiB
mem() { awk -v k="$2" '$1 == k":" {s += $2} END {print s + 0}' "/proc/$1/smaps_rollup"; }
echo "programs: $N (all RUNNING under both daemons)"
TV_RSS=$(mem "$TV_PID" Rss); SD_RSS=$(mem "$SD_PID" Rss)
R=$(ratio "$TV_RSS" "$SD_RSS")
echo "daemon RSS: taskvisord ${TV_RSS} KiB, supervisord ${SD_RSS} KiB, ratio $R (goal <= 0.100): $(goal "$R" "<=" 0.100)"
# RSS counts every page mapped, shared library text too: libc, libsqlite3, libm and ld.so
# alone are ~3.3 MB of taskvisord's RSS (clean pages of files, shared with every process
# that maps them, most of it brought in by the kernel's fault-around). PSS divides shared
# pages among their users, so it depends on what else runs (another SQLite program makes
# ours smaller); Private_Dirty (heap, stack, written data) is what the daemon alone costs
# and does not. Shown so the comparison is complete.
TV_PSS=$(mem "$TV_PID" Pss); SD_PSS=$(mem "$SD_PID" Pss)
TV_PRIV=$(mem "$TV_PID" Private_Dirty); SD_PRIV=$(mem "$SD_PID" Private_Dirty)
echo "  PSS: taskvisord ${TV_PSS} KiB, supervisord ${SD_PSS} KiB, ratio $(ratio "$TV_PSS" "$SD_PSS")"
echo "  private dirty: taskvisord ${TV_PRIV} KiB, supervisord ${SD_PRIV} KiB, ratio $(ratio "$TV_PRIV" "$SD_PRIV")"

# Idle cost: CPU time (utime + stime, clock ticks) and wake-ups (voluntary context
# switches) over IDLE seconds in which nothing happens.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wakes() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }
TV_C0=$(cpu "$TV_PID"); SD_C0=$(cpu "$SD_PID"); TV_W0=$(wakes "$TV_PID"); SD_W0=$(wakes "$SD_PID")
sleep "$IDLE"
HZ=$(getconf CLK_TCK)
TV_CPU=$(awk -v a="$TV_C0" -v b="$(cpu "$TV_PID")" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')
SD_CPU=$(awk -v a="$SD_C0" -v b="$(cpu "$SD_PID")" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')
TV_W=$(($(wakes "$TV_PID") - TV_W0)); SD_W=$(($(wakes "$SD_PID") - SD_W0))
echo "idle ${IDLE} s: taskvisord ${TV_CPU} s CPU, ${TV_W} wake-ups; supervisord ${SD_CPU} s CPU, ${SD_W} wake-ups (goal: no measurable CPU, 0.00 s): $(goal "$TV_CPU" "<=" 0)"

hyperfine -N --warmup 3 --runs 30 --export-json "$D/status.json" \
	-n taskvisorctl "$TVCTL status" -n supervisorctl "$SDCTL status" >/dev/null 2>&1 ||
	hyperfine --warmup 3 --runs 30 --export-json "$D/status.json" \
	-n taskvisorctl "$TVCTL status" -n supervisorctl "$SDCTL status" >/dev/null 2>&1
python3 - "$D/status.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
tv, sd = r["taskvisorctl"], r["supervisorctl"]
x = sd["median"] / tv["median"]
print("status latency (median of 30): taskvisorctl %.2f ms, supervisorctl %.2f ms, speed-up %.1fx (goal >= 20x): %s"
      % (tv["median"] * 1e3, sd["median"] * 1e3, x, "met" if x >= 20 else "MISSED"))
PY

# The stamp is static and stdio-free (see bench/stamp.c), the wait is inotify: the figure
# is kill(2) -> the replacement's first instruction of main(), the same for both daemons.
lat() { python3 "$(dirname "$0")/restart_latency.py" "$ROUNDS" "$D/$1/stamps/p001" $2 pid p001; }
# "median min p90" of a column of numbers
stats() { sort -n | awk '{a[NR]=$1} END {printf "%s %s %s", a[int((NR+1)/2)], a[1], a[int(NR*0.9+0.5)]}'; }
set -- $(lat tv "$TVCTL" | stats); TV_LAT=$1; TV_MIN=$2; TV_P90=$3
set -- $(lat sd "$SDCTL" | stats); SD_LAT=$1; SD_MIN=$2; SD_P90=$3
echo "crash -> restart latency (median of $ROUNDS): taskvisord ${TV_LAT} ms (min ${TV_MIN}, p90 ${TV_P90}), supervisord ${SD_LAT} ms (min ${SD_MIN}, p90 ${SD_P90}) (goal <= 5 ms): $(goal "$TV_LAT" "<=" 5)"
echo "  (machine load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs)"
