#!/bin/sh
# version and ping answer; --json gives parseable JSON.
. "$(dirname "$0")/lib.sh"
tv_init
tv_start
out=$(ctl version); rc=$?
assert_eq "$rc" 0 "version exit"
echo "$out" | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' || fail "version: [$out]"
v=$(ctl --json version | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["version"], d["protocol"])') ||
	fail "version --json does not parse"
assert_eq "$v" "$out $TV_PROTO" "json version"
out=$(ctl ping); rc=$?
assert_eq "$rc" 0 "ping exit"
echo "$out" | grep -Eq '^daemon +ok +pid ' || fail "ping: no daemon ok line in [$out]"
echo "$out" | grep -Eq '^database +ok ' || fail "ping: no database ok line in [$out]"
assert_eq "$("$TVD" -v)" "$(ctl version)" "taskvisord -v matches the daemon's version"
