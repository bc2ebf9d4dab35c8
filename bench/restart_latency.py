#!/usr/bin/env python3
"""Crash -> restart latency: kill -9 a supervised bench/stamp process and time
how long until its replacement has written its start stamp.

usage: restart_latency.py ROUNDS STAMPFILE PIDCMD...
PIDCMD prints the current pid of the program (taskvisorctl/supervisorctl pid NAME).
Prints the latencies in milliseconds, one per line.

The figure is the stamp's own clock reading (first thing in its main()) minus
the time taken just before kill(2): how long we wait for it does not change it.
We wait for it with inotify, asleep, rather than by polling: a poller would
compete for the CPU with the daemon under test (2 vCPUs here)."""
import ctypes, os, select, subprocess, sys, time

rounds, stampfile, pidcmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]

IN_MODIFY, IN_CLOSE_WRITE = 0x2, 0x8
libc = ctypes.CDLL(None, use_errno=True)


def lines():
    try:
        with open(stampfile) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def watch():
    """An inotify fd watching the stamp file, or None (then we poll)."""
    try:
        fd = libc.inotify_init1(os.O_CLOEXEC)
        if fd < 0:
            return None
        if libc.inotify_add_watch(fd, os.fsencode(stampfile), IN_MODIFY | IN_CLOSE_WRITE) < 0:
            os.close(fd)
            return None
        return fd
    except (AttributeError, OSError):
        return None


for _ in range(rounds):
    # wait until the program is up and has stamped (startsecs passed, so RUNNING)
    time.sleep(1.2)
    pid = int(subprocess.run(pidcmd, capture_output=True, text=True).stdout.strip() or 0)
    if pid <= 0:
        print("nan"); continue
    before = len(lines())
    ifd = watch()
    t0 = time.time_ns()
    os.kill(pid, 9)
    deadline = time.time() + 10
    while len(lines()) == before and time.time() < deadline:
        if ifd is not None:
            if select.select([ifd], [], [], max(0.0, deadline - time.time()))[0]:
                os.read(ifd, 4096)
        else:
            time.sleep(0.0005)
    if ifd is not None:
        os.close(ifd)
    got = lines()
    if len(got) == before:
        print("nan"); continue
    print("%.3f" % ((int(got[-1]) - t0) / 1e6))
    sys.stdout.flush()
