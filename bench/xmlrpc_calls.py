#!/usr/bin/env python3
# bench/xmlrpc_calls.py CALLS SUPERVISORD_SOCK TASKVISORD_SOCK SUPERVISORD_PID TASKVISORD_PID
# (run by bench/xmlrpc.sh)
#
# supervisor.getAllProcessInfo against both daemons, CALLS times each, in alternating rounds of 10:
# 1. raw: a new Unix socket connection per call, the prebuilt POST /RPC2 written at once, the whole
#    answer read (Content-Length, or until the daemon closes): the daemon's time plus one connect;
# 2. xmlrpc.client: the same call as integrations make it, client-side parsing included (a tenth
#    of CALLS).
# Prints the medians and p90s per call and the speed-up (goal >= 20x), "met" or "MISSED"; and the
# CPU time each daemon spent per raw call (utime + stime from /proc), which a busy machine
# disturbs less than the wall clock.
import http.client
import os
import socket
import statistics
import sys
import time
import xmlrpc.client

calls, socks = int(sys.argv[1]), {"supervisord": sys.argv[2], "taskvisord": sys.argv[3]}
pids = {"supervisord": int(sys.argv[4]), "taskvisord": int(sys.argv[5])}
HZ = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / HZ
BODY = xmlrpc.client.dumps((), "supervisor.getAllProcessInfo").encode()
REQ = (b"POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
       b"Content-Length: %d\r\n\r\n" % len(BODY)) + BODY


def raw(path):
    s = socket.socket(socket.AF_UNIX)
    t0 = time.perf_counter()
    s.connect(path)
    s.sendall(REQ)
    buf = b""
    want = None
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        if want is None and b"\r\n\r\n" in buf:
            head, _, _ = buf.partition(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    want = len(head) + 4 + int(line.split(b":")[1])
        if want is not None and len(buf) >= want:
            break
    dt = time.perf_counter() - t0
    s.close()
    if b"<name>statename</name>" not in buf or buf.count(b"<name>statename</name>") < 1:
        sys.exit("unexpected answer: %r" % buf[:300])
    return dt, buf.count(b"<name>statename</name>")


class Conn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path_ = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path_)


class Transport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.path_ = path

    def make_connection(self, host):
        return Conn(self.path_)


def client(path):
    p = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=Transport(path))
    t0 = time.perf_counter()
    r = p.supervisor.getAllProcessInfo()
    return time.perf_counter() - t0, len(r)


def run(fn, n):
    times = {k: [] for k in socks}
    counts, used = {}, {k: 0.0 for k in socks}
    for _ in range(max(1, n // 10)):
        for who, path in socks.items():
            c0 = cpu(pids[who])
            for _ in range(10):
                dt, count = fn(path)
                times[who].append(dt)
                counts[who] = count
            used[who] += cpu(pids[who]) - c0
    return times, counts, used


def p90(xs):
    xs = sorted(xs)
    return xs[int(len(xs) * 0.9)]


for name, fn, n in (("raw HTTP", raw, calls), ("xmlrpc.client", client, max(10, calls // 10))):
    fn(socks["taskvisord"]), fn(socks["supervisord"])  # warm-up
    times, counts, used = run(fn, n)
    if counts["taskvisord"] != counts["supervisord"]:
        sys.exit("different numbers of processes: %r" % counts)
    tv, sd = statistics.median(times["taskvisord"]), statistics.median(times["supervisord"])
    x = sd / tv
    line = ("getAllProcessInfo of %d programs, %s (median of %d calls): taskvisord %.3f ms (p90 %.3f), "
            "supervisord %.3f ms (p90 %.3f), speed-up %.1fx" %
            (counts["taskvisord"], name, len(times["taskvisord"]), tv * 1e3, p90(times["taskvisord"]) * 1e3,
             sd * 1e3, p90(times["supervisord"]) * 1e3, x))
    if fn is raw:
        line += " (goal >= 20x): %s" % ("met" if x >= 20 else "MISSED")
    print(line)
    if fn is raw:
        tc, sc = used["taskvisord"] / n, used["supervisord"] / n
        print("  daemon CPU per call (utime + stime over %d calls): taskvisord %.3f ms, supervisord %.3f ms, "
              "ratio %.1fx" % (n, tc * 1e3, sc * 1e3, sc / tc if tc > 0 else float("inf")))
