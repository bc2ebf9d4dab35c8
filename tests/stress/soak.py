#!/usr/bin/env python3
"""make stress: a bounded soak of taskvisord under faults (at most --seconds, default 300).

While tasks are submitted without pause, at random moments: a worker is killed -9, the
daemon is killed -9 and started again, the database's filesystem (a small tmpfs) is
filled and then freed, and hundreds of idle client connections are opened and dropped.
Afterwards, with nothing injected any more, it checks DESIGN.md's promises:

  - every acknowledged task exists exactly once, and none that was refused;
  - no step ran that the database does not record (each step writes TASK_ID and its
    attempt to a file outside the database's filesystem);
  - no step ran twice unless retry_on_worker_loss allowed it (attempts <= 1 + retries);
  - nothing is stuck: every task ends stopped, or paused with a cause;
  - no process is left behind after the last shutdown;
  - the daemon's RSS and open fds are back near their idle values after a last burst.

It prints those figures and exits 0 only when all hold. Root is needed (tmpfs).
Every process it starts carries TV_TEST_TAG and is killed by pid at the end.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--seconds", type=int, default=300)
ap.add_argument("--seed", type=int, default=int(time.time()))
args = ap.parse_args()
if args.seconds > 600:
    sys.exit("stress: at most 600 seconds")
random.seed(args.seed)
BUILD = os.path.abspath(args.build)
TVD = os.path.join(BUILD, "bin", "taskvisord")
TVCTL = os.path.join(BUILD, "bin", "taskvisorctl")
TAG = "tv-stress-%d-%d" % (os.getpid(), time.time_ns())
os.environ["TV_TEST_TAG"] = TAG
T = tempfile.mkdtemp(prefix="tv-stress.")
DB = os.path.join(T, "db")
os.makedirs(DB)
os.makedirs(os.path.join(T, "conf.d"))
os.makedirs(os.path.join(T, "log"))
RETRIES = 1
daemon = None
problems = []


def log(msg):
    print("stress: %s" % msg, flush=True)


def sh(*cmd, timeout=30):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def ctl(*a, timeout=30):
    return sh(TVCTL, "-c", os.path.join(T, "taskvisord.conf"), *a, timeout=timeout)


def tagged_pids():
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % p, "rb") as f:
                if ("TV_TEST_TAG=" + TAG).encode() in f.read().split(b"\0"):
                    with open("/proc/%s/stat" % p) as s:
                        if s.read().split(") ")[1][0] != "Z":
                            out.append(int(p))
        except OSError:
            pass
    return out


def cleanup():
    if daemon is not None and daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
    for p in tagged_pids():
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    subprocess.run(["umount", "-l", DB], capture_output=True)
    shutil.rmtree(T, ignore_errors=True)


if os.getuid() != 0:
    sys.exit("stress: needs root (a tmpfs for the database)")
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", DB]).returncode != 0:
    sys.exit("stress: cannot mount a tmpfs")

with open(os.path.join(T, "taskvisord.conf"), "w") as f:
    f.write("""[taskvisord]
logfile = {T}/taskvisord.log
loglevel = info
pidfile = {T}/taskvisord.pid
logdir = {T}/log
database = {DB}/tasks.db
durability = normal

[unix_socket]
file = {T}/tv.sock

[include]
files = conf.d/*.conf
""".format(T=T, DB=DB))
with open(os.path.join(T, "conf.d", "soak.conf"), "w") as f:
    f.write("""[program:exec-worker]
command = {B}/bin/exec-worker --queue default --prefetch 4
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:soak]
steps = a, b
step.a = sh -c 'echo "$TASK_ID a $TASK_ATTEMPT" >> {T}/ran; sleep 0.0$(( $$ % 5 ))'
step.b = sh -c 'echo "$TASK_ID b $TASK_ATTEMPT" >> {T}/ran'
retry_on_worker_loss = {R}
""".format(B=BUILD, T=T, R=RETRIES))


def start_daemon():
    global daemon
    out = open(os.path.join(T, "daemon.out"), "a")
    daemon = subprocess.Popen([TVD, "-n", "-c", os.path.join(T, "taskvisord.conf")], stdout=out, stderr=out)
    for _ in range(200):
        if os.path.exists(os.path.join(T, "tv.sock")) and ctl("status").returncode in (0, 3):
            return
        if daemon.poll() is not None:
            raise SystemExit("stress: daemon exited at start: " + open(os.path.join(T, "daemon.out")).read()[-2000:])
        time.sleep(0.05)
    raise SystemExit("stress: daemon socket did not appear")


def rss_fds(pid):
    with open("/proc/%d/status" % pid) as f:
        rss = int([l for l in f if l.startswith("VmRSS")][0].split()[1])
    return rss, len(os.listdir("/proc/%d/fd" % pid))


acked, refused, unanswered = set(), 0, 0
counts = {"worker kills": 0, "daemon kills": 0, "disk fills": 0, "floods": 0}


def submit_some(n):
    global refused, unanswered
    for _ in range(n):
        r = ctl("task", "submit", "soak", timeout=60)
        if r.returncode == 0 and len(r.stdout.strip()) == 36:
            acked.add(r.stdout.strip())
        elif r.returncode == 4:
            unanswered += 1  # no answer (the daemon was killed): it may or may not be in
        else:
            refused += 1


def kill_worker():
    r = ctl("pid", "exec-worker:exec-worker_0%d" % random.randint(0, 1))
    if r.returncode == 0 and r.stdout.strip() not in ("", "0"):
        try:
            os.kill(int(r.stdout.strip()), signal.SIGKILL)
            counts["worker kills"] += 1
        except (OSError, ValueError):
            pass


def kill_daemon():
    daemon.kill()
    daemon.wait()
    counts["daemon kills"] += 1
    time.sleep(0.2)
    start_daemon()


def fill_disk(secs):
    counts["disk fills"] += 1
    subprocess.run(["dd", "if=/dev/zero", "of=" + os.path.join(DB, "fill"), "bs=64k"], capture_output=True)
    end = time.time() + secs
    while time.time() < end:
        submit_some(3)
    os.unlink(os.path.join(DB, "fill"))


def flood(n, secs):
    counts["floods"] += 1
    socks = []
    for _ in range(n):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(os.path.join(T, "tv.sock"))
            socks.append(s)
        except OSError:
            break
    end = time.time() + secs
    while time.time() < end:
        submit_some(2)
    for s in socks:
        s.close()


try:
    start_daemon()
    deadline = time.time() + args.seconds * 0.7
    log("seed %d, %d s, temp %s" % (args.seed, args.seconds, T))
    while time.time() < deadline:
        submit_some(random.randint(5, 20))
        roll = random.random()
        if roll < 0.25:
            kill_worker()
        elif roll < 0.35:
            kill_daemon()
        elif roll < 0.45:
            fill_disk(random.uniform(0.5, 2))
        elif roll < 0.55:
            flood(random.randint(100, 600), random.uniform(0.5, 2))
    log("injecting stopped: %s; %d acknowledged, %d refused" % (counts, len(acked), refused))

    # let everything settle: every task stopped or paused
    settle = time.time() + max(60, args.seconds * 0.25)
    while time.time() < settle:
        r = ctl("task", "list", "--limit", "0", "--json", "--search", "state != stopped and state != paused", timeout=120)
        if r.returncode == 0 and len(json.loads(r.stdout)["tasks"]) == 0:
            break
        time.sleep(0.5)

    # the last burst on a quiet daemon: RSS and fds come back
    time.sleep(1)
    idle = rss_fds(daemon.pid)
    flood(300, 1)
    submit_some(100)
    time.sleep(3)
    r = ctl("task", "list", "--limit", "0", "--json", timeout=120)
    after = rss_fds(daemon.pid)

    tasks = {t["id"]: t for t in json.loads(r.stdout)["tasks"]}
    ran = {}
    with open(os.path.join(T, "ran")) as f:
        for line in f:
            tid, step, attempt = line.split()
            ran.setdefault((tid, step), []).append(int(attempt))
    missing = [i for i in acked if i not in tasks]
    unknown = [i for i in tasks if i not in acked]
    unrecorded = sorted({tid for tid, _ in ran if tid not in tasks})
    twice = {k: v for k, v in ran.items() if len(v) > 1 + RETRIES or len(set(v)) != len(v)}
    stuck = [i for i, t in tasks.items() if t["state"] not in ("stopped", "paused")]
    r = ctl("task", "list", "--stuck")
    nstuck = max(0, len(r.stdout.strip().splitlines()) - 1)
    states = {}
    for t in tasks.values():
        states["%s/%s" % (t["state"], t["result"])] = states.get("%s/%s" % (t["state"], t["result"]), 0) + 1

    log("tasks: %d acknowledged, %d refused (disk full / flood), %d unanswered (daemon killed), %d of those stored; in the database: %s"
        % (len(acked), refused, unanswered, len(unknown), states))
    log("steps run: %d (a step ran %s times at most)" % (sum(len(v) for v in ran.values()), max([len(v) for v in ran.values()] or [0])))
    log("daemon idle RSS %d kB, %d fds; after the last burst %d kB, %d fds" % (idle[0], idle[1], after[0], after[1]))
    if missing:
        problems.append("%d acknowledged tasks missing from the database: %s" % (len(missing), missing[:3]))
    if len(unknown) > unanswered:
        problems.append("%d tasks in the database that were never acknowledged: %s" % (len(unknown), unknown[:3]))
    if unrecorded:
        problems.append("%d steps ran for tasks the database does not have: %s" % (len(unrecorded), unrecorded[:3]))
    if twice:
        problems.append("steps ran more often than retry_on_worker_loss allows: %s" % list(twice.items())[:3])
    if stuck or nstuck:
        problems.append("stuck: %d tasks not stopped or paused, %d listed by --stuck" % (len(stuck), nstuck))
    if after[0] > idle[0] + 16 * 1024:
        problems.append("daemon RSS grew from %d to %d kB" % (idle[0], after[0]))
    if after[1] > idle[1] + 2:
        problems.append("daemon fds grew from %d to %d" % (idle[1], after[1]))

    daemon.send_signal(signal.SIGTERM)
    daemon.wait(30)
    time.sleep(0.5)
    left = tagged_pids()
    log("processes left after shutdown: %d" % len(left))
    if left:
        problems.append("processes left behind: %s" % left)
except BaseException as ex:
    import traceback
    traceback.print_exc()
    problems.append("stress driver: %r" % ex)
finally:
    if problems:
        print("daemon log tail:\n" + open(os.path.join(T, "daemon.out")).read()[-3000:])
    cleanup()

for p in problems:
    print("stress: FAIL: " + p)
print("stress: %s" % ("all invariants hold" if not problems else "%d invariants broken" % len(problems)))
sys.exit(1 if problems else 0)
