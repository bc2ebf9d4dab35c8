# tests/e2e/svd.sh — the reference supervisord 4.2.5 beside taskvisord, for the side-by-side
# tests. Source it after lib.sh.
#
#   svd_require [python]  exit 77 unless supervisord and supervisorctl are installed; with
#                         "python", also set PY to a python3 that has Debian's supervisor package
#   svd_conf_head D       print the sections a side-by-side supervisord.conf starts with: socket
#                         D/sock, log D/main.log, pidfile D/pid, childlogdir D/log, nodaemon, the
#                         rpcinterface and [supervisorctl] serverurl (D/log must exist)
#   svd_start CONF        start supervisord -c CONF (output in CONF's dir, "out"), SUP_PID; it is
#                         stopped by pid at exit, before tv_cleanup
#   svd_wait SOCK         wait (10 s) for supervisord's socket, else fail with its output
#   svd_stop              stop it now (TERM, wait up to 10 s)

SUP_PID=""
SUP_OUT=""

svd_require() {
	command -v supervisord >/dev/null 2>&1 && command -v supervisorctl >/dev/null 2>&1 ||
		{ echo "supervisord/supervisorctl not installed (apt-get install supervisor)"; exit 77; }
	[ "${1:-}" = python ] || return 0
	PY=""
	for p in /usr/bin/python3 python3; do
		command -v "$p" >/dev/null 2>&1 && "$p" -c 'import supervisor.xmlrpc' 2>/dev/null && { PY=$p; break; }
	done
	[ -n "$PY" ] || { echo "no python3 with the supervisor package (apt-get install supervisor)"; exit 77; }
}

svd_conf_head() {
	cat <<EOF2
[unix_http_server]
file=$1/sock

[supervisord]
logfile=$1/main.log
pidfile=$1/pid
childlogdir=$1/log
nodaemon=true

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$1/sock
EOF2
}

svd_stop() {
	[ -n "$SUP_PID" ] || return 0
	kill -TERM "$SUP_PID" 2>/dev/null
	i=0
	while kill -0 "$SUP_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$SUP_PID" 2>/dev/null
	SUP_PID=""
}

svd_start() {
	SUP_OUT="$(dirname "$1")/out"
	supervisord -c "$1" >"$SUP_OUT" 2>&1 &
	SUP_PID=$!
	trap 'svd_stop; tv_cleanup' EXIT
}

svd_wait() {
	wait_for 10 test -S "$1" || fail "supervisord did not start: $(cat "$SUP_OUT" 2>/dev/null)"
}
