#!/bin/sh
# Run every cmocka unit test binary in BUILD/tests; print "N passed, N failed".
build=${1:-build}
pass=0; fail=0; failed=""
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $(basename "$t")"; fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
