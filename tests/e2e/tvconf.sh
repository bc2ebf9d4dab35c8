# tests/e2e/tvconf.sh — a daemon's main configuration and the wait for its socket, shared by
# the end-to-end tests (lib.sh) and the benchmarks (bench/tasks.sh), which source it.
#
#   tv_conf_main DIR LOGLEVEL DURABILITY   print [taskvisord] and [unix_socket], every file in DIR
#                                          (taskvisord.log, taskvisord.pid, log/, tasks.db, tv.sock)
#   tv_conf_workers NAME NUMPROCS STARTSECS STOPWAITSECS COMMAND
#                                          print [program:NAME], NUMPROCS processes NAME_00, NAME_01...
#   tv_wait_socket PID SOCK TRIES          wait TRIES x 50 ms for SOCK; 1 and the reason on stdout
#                                          when PID exits first or the socket does not appear

tv_conf_main() {
	cat <<CONF
[taskvisord]
logfile = $1/taskvisord.log
loglevel = $2
pidfile = $1/taskvisord.pid
logdir = $1/log
database = $1/tasks.db
durability = $3

[unix_socket]
file = $1/tv.sock
CONF
}

tv_conf_workers() {
	cat <<CONF
[program:$1]
command = $5
process_name = %(program_name)s_%(process_num)02d
numprocs = $2
startsecs = $3
stopwaitsecs = $4
CONF
}

tv_wait_socket() {
	_i=0
	while [ ! -S "$2" ]; do
		kill -0 "$1" 2>/dev/null || { echo "daemon exited at start"; return 1; }
		[ $_i -ge "$3" ] && { echo "daemon socket did not appear"; return 1; }
		sleep 0.05; _i=$((_i + 1))
	done
}
