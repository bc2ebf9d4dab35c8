#!/bin/sh
# Task input is data, never code (DESIGN.md promise 2). For each template
# shape (bare, "double-quoted", 'single-quoted', --opt=, -- before it, the
# environment-variable form of sh -c), payloads that would run a command in a
# shell ($(...), backticks, "; cmd; ", '; cmd; ', a newline, a glob) reach the
# real exec worker's step as one literal argument: PWN never exists and the
# output holds the value as it was. A value starting with '-' where the
# template did not say so is refused at submit, naming the key and the step.
# A template with a substitution inside shell code is refused at load with
# file:line, by reread and at start.
. "$(dirname "$0")/lib.sh"
tv_init
# rec: one line per argument, so "one element each" is checked exactly
cat >"$T/rec" <<EOF2
#!/bin/sh
out=\$1; shift
for a; do printf '[%s]\n' "\$a"; done >>"\$out"
EOF2
chmod +x "$T/rec"
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
stdout_logfile = $T/worker.out
startsecs = 0

[task:bare]
steps = a
step.a = $T/rec $T/out %(input.v)s

[task:dq]
steps = a
step.a = $T/rec $T/out "%(input.v)s"

[task:sq]
steps = a
step.a = $T/rec $T/out '%(input.v)s'

[task:opt]
steps = a
step.a = $T/rec $T/out --opt=%(input.v)s

[task:dashdash]
steps = a
step.a = $T/rec $T/out -- %(input.v)s

[task:echo]
steps = a
step.a = /bin/echo %(input.v)s

[task:env]
steps = a
step.a = sh -c 'printf "[%%s]\n" "\$TASK_INPUT_v" >> $T/out'

[task:pos]
steps = a
step.a = sh -c 'printf "[%%s]\n" "\$1" >> $T/out' sh %(input.v)s
EOF2
tv_start
wait_state exec-worker:exec-worker RUNNING

cd "$T" || fail "cd $T"
# The payloads, one per line of a JSON array (python builds the JSON: no shell quoting here).
python3 - "$T" >"$T/payloads" <<'PY'
import json, sys
t = sys.argv[1]
for v in ["$(touch %s/PWN)" % t, "`touch %s/PWN`" % t, '"; touch %s/PWN; "' % t,
          "'; touch %s/PWN; '" % t, "x\ntouch %s/PWN" % t, "*", "a b  c", "%(input.v)s $HOME"]:
    print(json.dumps({"v": v}))
PY
for label in bare dq sq opt dashdash env pos; do
	while IFS= read -r input; do
		: >"$T/out"
		out=$(ctl task submit "$label" --input "$input" --wait 2>&1); rc=$?
		assert_eq "$rc" 0 "$label $input: submit --wait ($out)"
		assert_contains "$out" "stopped: success" "$label $input: result"
		[ -e "$T/PWN" ] && fail "$label $input: the input ran as code"
		want=$(printf '%s' "$input" | python3 -c '
import json, sys
v = json.load(sys.stdin)["v"]
pre = {"opt": "[--opt=", "dashdash": "[--]\n["}.get(sys.argv[1], "[")
print(pre + v + "]")' "$label")
		assert_eq "$(cat "$T/out")" "$want" "$label $input: the value as one literal argument"
	done <"$T/payloads"
done
# /bin/echo: its stdout goes to the worker's log (tagged "[task ID step a] "), the value as it was
ctl task submit echo --input '{"v":"$(touch '"$T"'/PWN) `id` *"}' --wait >/dev/null || fail "echo task"
[ -e "$T/PWN" ] && fail "echo: the input ran as code"
wait_for 10 sh -c 'sed -n "s/^\[task [0-9a-f-]* step a\] //p" "$1" | grep -qxF "$2"' sh "$T/worker.out" \
	"\$(touch $T/PWN) \`id\` *" || fail "echo output: $(cat "$T/worker.out")"

# A dash value: refused at submit where it would start an argument, nothing created.
n0=$(ctl task list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
for label in bare dq sq echo; do
	out=$(ctl task submit "$label" --input '{"v":"-rf"}' 2>&1); rc=$?
	[ $rc -ne 0 ] || fail "$label: a -rf value was accepted: $out"
	assert_contains "$out" "step a: input value 'v' (\"-rf\") begins with '-'" "$label: dash refusal"
done
n1=$(ctl task list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
assert_eq "$n1" "$n0" "tasks created by refused submits"
# ...and taken as data where the template says so (--opt=, --, a shell's positional, the environment)
for label in opt dashdash pos env; do
	: >"$T/out"
	ctl task submit "$label" --input '{"v":"-rf"}' --wait >/dev/null || fail "$label: -rf value"
	want="[-rf]"
	[ "$label" = opt ] && want="[--opt=-rf]"
	[ "$label" = dashdash ] && want="$(printf '[--]\n[-rf]')"
	assert_eq "$(cat "$T/out")" "$want" "$label: -rf as data"
done

# task show: the command as readable, quoted text; --json has the argv
id=$(ctl task submit dq --input '{"v":"it'"'"'s $(x)"}' --wait | head -n 1)
assert_contains "$(ctl task show "$id")" "command: $T/rec $T/out 'it'\\''s \$(x)'" "show: quoted command"
ctl task show "$id" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["task"]["steps"][0]
assert s["argv"][-1] == "it'"'"'s $(x)", s' || fail "show --json argv"

# A substitution inside shell code: refused at load with file:line (reread, then at start).
cat >"$T/conf.d/bad.conf" <<EOF2
[task:bad]
steps = x

step.x = sh -c "echo %(input.v)s >> out"
EOF2
out=$(ctl reread 2>&1); rc=$?
[ $rc -ne 0 ] || fail "reread accepted a substitution in shell code: $out"
assert_contains "$out" "conf.d/bad.conf:4: step.x: %(input.v)s inside shell code (sh -c); use \"\$TASK_INPUT_v\" instead" "reread refusal"
ctl shutdown >/dev/null 2>&1
wait "$DAEMON_PID" 2>/dev/null
"$TVD" -n -c "$T/taskvisord.conf" >"$T/daemon2.out" 2>&1; rc=$?
assert_eq "$rc" 2 "exit status on a substitution in shell code"
assert_contains "$(cat "$T/daemon2.out")" "$T/conf.d/bad.conf:4: step.x: %(input.v)s inside shell code" "start refusal"
[ -e "$T/PWN" ] && fail "the input ran as code"
echo "ok $TEST_NAME"
