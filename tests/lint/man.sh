#!/bin/sh
# tests/lint/man.sh [BUILD [ROOT]] — the man pages (README "Man pages"):
#   - every man/NAME.N.scd of ROOT is generated as BUILD/man/NAME.N (make builds them),
#   - each renders with no warning from `mandoc -T lint -W warning` nor from
#     `MANWIDTH=80 man --warnings -E UTF-8 -l PAGE`, and has a whatis entry (lexgrog, as lintian),
#   - they name everything the code accepts (tests/lint/man_options.py),
#   - the examples of libtaskvisor(3) compile against BUILD/lib/libtaskvisor.a.
# Prints what is wrong, one line each, and exits 1; else "ok man: N pages".
# Run by `make lint` and `make test-unit`; tests/lint/test_man.sh shows that it can fail.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
root=${2:-$(cd "$here/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tv-man.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
bad=0
say() { echo "man: $*"; bad=1; }

for tool in scdoc mandoc man lexgrog; do
	command -v "$tool" >/dev/null 2>&1 || { echo "man: $tool is not installed (make deps: scdoc, mandoc, man-db)"; exit 1; }
done
n=0
for src in "$root"/man/*.scd; do
	page="$build/man/$(basename "$src" .scd)"
	n=$((n + 1))
	if [ ! -f "$page" ]; then
		say "$page: not generated from man/$(basename "$src") (run make)"
		continue
	fi
	out=$(mandoc -T lint -W warning "$page" 2>&1) || true
	[ -z "$out" ] || say "$page: mandoc -T lint: $out"
	out=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null) || say "$page: man -l failed"
	[ -z "$out" ] || say "$page: man --warnings: $out"
	lexgrog "$page" >/dev/null 2>&1 || say "$page: no whatis entry (lexgrog; NAME must be \"name - what\")"
done
[ "$n" -gt 0 ] || say "no man/*.scd in $root"

out=$(python3 "$here/man_options.py" "$root" 2>&1) || say "$out"

# The examples of libtaskvisor(3): the worker whole, the client inside a main().
if [ -f "$build/lib/libtaskvisor.a" ] && command -v cc >/dev/null 2>&1; then
	python3 - "$root/man/libtaskvisor.3.scd" "$tmp" <<'PY' || say "libtaskvisor.3.scd: no worker and client example found"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = [b.replace("\\\\", "\\") for b in re.findall(r"```\n(.*?)```", text, flags=re.S)]
worker = [b for b in blocks if "int main" in b]
client = [b for b in blocks if "tv_client_connect" in b and "int main" not in b]
if not worker or not client:
    sys.exit(1)
open(sys.argv[2] + "/worker.c", "w").write(worker[0])
open(sys.argv[2] + "/client.c", "w").write(
    "#include <stdio.h>\n#include <taskvisor.h>\nint main(void)\n{\n" + client[0] + "return 0;\n}\n")
PY
	# an archive built with SAN=1 (make asan, the second half of make test) needs its runtime
	san=""
	nm "$build/lib/libtaskvisor.a" 2>/dev/null | grep -q ' U __asan_init' && san="-fsanitize=address,undefined"
	for ex in worker client; do
		[ -f "$tmp/$ex.c" ] || continue
		out=$(cc -std=c11 -Wall -Wextra -Werror $san -I "$root/lib/libtaskvisor" -o "$tmp/$ex" "$tmp/$ex.c" \
			"$build/lib/libtaskvisor.a" -ljansson -lm 2>&1) || say "libtaskvisor.3.scd: the $ex example does not compile: $out"
	done
fi
[ "$bad" -eq 0 ] || exit 1
echo "ok man: $n pages"
