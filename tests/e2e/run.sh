#!/bin/sh
# Run every tests/e2e/test_*.sh against BUILD; print "N passed, N failed".
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
pass=0; fail=0; skip=0; failed=""
for t in "$here"/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	out=$(BUILD="$build" timeout 300 sh "$t" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "ok   $name"
	elif [ $rc -eq 77 ]; then skip=$((skip + 1)); echo "skip $name: $(echo "$out" | tail -n 1)"
	else fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name"; echo "$out" | sed 's/^/    /' | tail -n 40
	fi
done
echo "e2e: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
