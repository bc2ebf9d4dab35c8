#!/usr/bin/env python3
"""Crash -> restart latency: kill -9 a supervised bench/stamp process and time
how long until its replacement has written its start stamp.

usage: restart_latency.py ROUNDS STAMPFILE PIDCMD...
PIDCMD prints the current pid of the program (taskvisorctl/supervisorctl pid NAME).
Prints the latencies in milliseconds, one per line."""
import os, subprocess, sys, time

rounds, stampfile, pidcmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]

def lines():
    try:
        with open(stampfile) as f:
            return f.read().split()
    except FileNotFoundError:
        return []

for _ in range(rounds):
    # wait until the program is up and has stamped (startsecs passed, so RUNNING)
    time.sleep(1.2)
    pid = int(subprocess.run(pidcmd, capture_output=True, text=True).stdout.strip() or 0)
    if pid <= 0:
        print("nan"); continue
    before = len(lines())
    t0 = time.time_ns()
    os.kill(pid, 9)
    deadline = time.time() + 10
    while len(lines()) == before and time.time() < deadline:
        time.sleep(0.0005)
    got = lines()
    if len(got) == before:
        print("nan"); continue
    print("%.3f" % ((int(got[-1]) - t0) / 1e6))
    sys.stdout.flush()
