#!/bin/sh
# Build and run the search-language fuzzer (libFuzzer + ASan + UBSan).
#
#   tests/fuzz/run.sh [SECONDS]     default 30; run from anywhere
#
# Builds build/fuzz/fuzz_search with clang, seeds a working corpus in
# build/fuzz/corpus_search from the committed tests/fuzz/corpus_search/ and
# runs for SECONDS. A finding is written as build/fuzz/crash-* (reproduce with
# build/fuzz/fuzz_search build/fuzz/crash-...); add a regression unit test to
# tests/unit/test_search.c and, if useful, the input to the seed corpus.
# Needs clang (with compiler-rt) and libsqlite3-dev.
set -eu
secs=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/fuzz"
mkdir -p "$out/corpus_search"
cd "$root"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Ilib tests/fuzz/fuzz_search.c lib/search.c lib/log.c -lsqlite3 -o "$out/fuzz_search"
cd "$out"
exec ./fuzz_search -max_total_time="$secs" -dict="$root/tests/fuzz/search.dict" \
	-max_len=512 -timeout=10 "$out/corpus_search" "$root/tests/fuzz/corpus_search"
