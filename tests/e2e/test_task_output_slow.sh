#!/bin/sh
# A step's output under pressure (README "A step's output"): a `task tail -f`
# follower that does not read while a step prints fast does not make the
# daemon hold its lines: past 256 KiB unsent it misses lines and is told how
# many ({"skipped":N}); it still gets the end of the follow, and the engine
# goes on serving other tasks meanwhile.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 2
process_name = %(program_name)s_%(process_num)02d
numprocs = 1
startsecs = 0

[task:spew]
steps = spew
step.spew = sh -c 'i=0; while [ \$i -lt 400 ]; do printf "%03000d\n" \$i; i=\$((i+1)); case \$i in *0) sleep 0.05;; esac; done'

[task:quick]
steps = q
step.q = true
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING

id=$(ctl task submit spew --start-at +1s) || fail "submit spew"
# A follower that reads nothing until the step is over, then everything.
python3 - "$T/tv.sock" "$id" >"$T/follow.out" 2>&1 <<'PY' &
import os, json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
b = json.dumps({"id": sys.argv[2], "step": "spew", "follow": True}).encode()
s.sendall(struct.pack("=III", int(os.environ["TV_PROTO"]), 225, len(b)) + b)
time.sleep(6)
buf = b""
lines = skipped = 0
final = None
s.settimeout(10)
while final is None:
    while len(buf) < 12 or len(buf) < 12 + struct.unpack("=III", buf[:12])[2]:
        chunk = s.recv(1 << 20)
        if not chunk:
            print("closed early"); sys.exit(1)
        buf += chunk
    ver, typ, n = struct.unpack("=III", buf[:12])
    body = json.loads(buf[12:12 + n] or b"{}")
    buf = buf[12 + n:]
    lines += len(body.get("lines", []))
    skipped += body.get("skipped", 0)
    if typ != 4:
        final = (typ, body)
print("lines", lines, "skipped", skipped, "final", final[0], final[1].get("state"))
PY
fpid=$!
sleep 2
# the engine serves meanwhile
q=$(ctl task submit quick --wait) || fail "a task beside the flood did not succeed: $q"
wait "$fpid"; rc=$?
out=$(cat "$T/follow.out")
assert_eq "$rc" 0 "slow follower ($out)"
assert_contains "$out" "final 1 success" "the follow still ends with the step's state"
sk=$(echo "$out" | awk '{print $4}')
[ "${sk:-0}" -gt 0 ] || fail "a follower that did not read was not made to skip lines: $out"
n=$(echo "$out" | awk '{print $2}')
[ "$n" -lt 400 ] || fail "every line was held for a follower that did not read: $out"
show=$(ctl task show "$id")
assert_contains "$show" "      | 000000000000" "the stored tail has the output"
echo "ok $TEST_NAME"
