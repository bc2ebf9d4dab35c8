#!/bin/sh
# Run every benchmark in bench/ (make bench). Each prints its own figures and
# ratios against the reference tool it names, measured side by side in one run.
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "=== $(basename "$b" .sh) ==="
	BUILD="$build" sh "$b" || rc=1
done
exit $rc
