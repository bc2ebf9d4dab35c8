#!/bin/sh
# Run the libFuzzer targets built by `make fuzz-build` (clang, ASan + UBSan).
#
#   tests/fuzz/run.sh [BUILD [NAME...]]      BUILD default build-fuzz; NAME: conf, proto, ...
#
#   FUZZ_RUNS=N      executions per target (default 10000000)
#   FUZZ_SECONDS=S   run each target S seconds instead
#   FUZZ_SMOKE=1     only replay the committed seeds (-runs=0)
#
# Each target NAME runs as BUILD/fuzz/fuzz_NAME on a working corpus
# BUILD/fuzz/corpus_NAME seeded from tests/fuzz/corpus_NAME/, with
# tests/fuzz/NAME.dict when there is one. A finding is written as
# BUILD/fuzz/crash-*, leak-* or timeout-* (reproduce with BUILD/fuzz/fuzz_NAME
# FILE) and the script exits 1 after the other targets ran; add a unit test
# reproducing it and, if useful, the input to the seed corpus. Prints per
# target "fuzz_NAME: N executions in S s, no crash".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-fuzz}
[ $# -gt 0 ] && shift
case $build in /*) ;; *) build="$root/$build" ;; esac
names=$*
if [ -z "$names" ]; then
	for f in "$root"/tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		names="$names ${n#fuzz_}"
	done
fi
runs=${FUZZ_RUNS:-10000000}
out="$build/fuzz"
bad=""
for n in $names; do
	bin="$out/fuzz_$n"
	if [ ! -x "$bin" ]; then
		echo "fuzz_$n: not built ($bin; run make fuzz-build)"
		bad="$bad $n"
		continue
	fi
	mkdir -p "$out/corpus_$n"
	set -- -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/"
	[ -f "$root/tests/fuzz/$n.dict" ] && set -- "$@" -dict="$root/tests/fuzz/$n.dict"
	if [ "${FUZZ_SMOKE:-}" = 1 ]; then
		set -- "$@" -runs=0
	elif [ -n "${FUZZ_SECONDS:-}" ]; then
		set -- "$@" -max_total_time="$FUZZ_SECONDS"
	else
		set -- "$@" -runs="$runs"
	fi
	log="$out/fuzz_$n.log"
	start=$(date +%s)
	(cd "$out" && "$bin" "$@" "$out/corpus_$n" "$root/tests/fuzz/corpus_$n") >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz_$n: ${execs:-?} executions in $secs s, no crash"
	else
		echo "fuzz_$n: FAILED (exit $rc) after ${execs:-?} executions; see $log"
		grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error)" "$log" | head -n 5
		bad="$bad $n"
	fi
done
[ -z "$bad" ] || { echo "fuzz: failed:$bad"; exit 1; }
