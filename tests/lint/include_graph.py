#!/usr/bin/env python3
"""include_graph.py — the include graph of taskvisor's own sources, checked.

Reads every .c/.h under lib/, supervisord/, ctl/ and services/ (any depth),
resolves each `#include "x.h"` (the including file's folder first, then the
-I folders of the Makefile's CFLAGS, then a unique file of that name anywhere
in the tree), and fails (exit 1, one line per problem) when
  - the graph has a cycle (printed as a -> b -> a): between files, between modules (x.c with
    x.h and x_int.h), or between layers, or
  - a file includes across the layer rule (README "Layout"; the rule below), or
  - a header private to a layer is included from outside it, or
  - an include cannot be resolved to a project file.
System headers (<...>) are not looked at. Python 3 standard library only.

  tests/lint/include_graph.py [ROOT]      (ROOT: the source tree, default: this repo)
  tests/lint/include_graph.py --dot       print the graph for graphviz instead

The layers are the folders (LAYER_OF, first match wins). The programs' allocators
(xmalloc.h) are refused in lib/, libtaskvisor and the store: that code returns errors
(README "Errors: one policy").
"""
import fnmatch
import os
import re
import sys

SOURCE_DIRS = ["lib", "supervisord", "ctl", "services"]

# path (relative to the root, fnmatch pattern) -> layer; the first match wins.
LAYER_OF = [
    ("lib/libtaskvisor/*", "libtaskvisor"),  # the public C library
    ("lib/*", "lib"),                        # common code of the daemon, ctl and the workers
    ("supervisord/store/*", "store"),        # the queue backend (built as its own .so)
    ("supervisord/engine/*", "engine"),      # the task engine
    ("supervisord/server/control.[ch]", "server"),  # the socket server
    ("supervisord/server/handlers_*", "handlers"),  # the request handlers: above the daemon
    ("supervisord/proc/*", "proc"),          # process supervision
    ("supervisord/http/*", "http"),          # the XML-RPC module (http.so), behind http_module.h
    ("supervisord/*", "daemon"),             # main.c, daemon.c: join the layers
    ("ctl/*", "ctl"),
    ("services/*", "services"),
]

# layer -> what its files may include: a layer's name (any of its files) or one file's name.
# The layers point down: nothing below the daemon includes the socket server or the daemon.
MAY_INCLUDE = {
    "lib": {"lib"},
    "libtaskvisor": {"libtaskvisor", "lib"},
    "store": {"store", "lib"},
    "proc": {"proc", "lib"},
    "engine": {"engine", "lib", "queue_backend.h"},
    "server": {"server", "lib"},
    "handlers": {"handlers", "server", "lib", "engine.h", "proc.h", "memcg.h", "daemon.h", "http_module.h"},
    "http": {"http", "lib"},
    "daemon": {"daemon", "server", "engine", "proc", "store", "lib"},
    "ctl": {"ctl", "lib", "libtaskvisor"},
    "services": {"services", "lib", "libtaskvisor"},
}

# Headers only their own layer may include (the layer's private interface).
PRIVATE = {"engine_int.h": "engine", "conf_int.h": "lib"}

# Headers for the programs only: code of these layers returns errors instead (README "Errors").
PROGRAMS_ONLY = {"xmalloc.h": {"lib", "libtaskvisor", "store"}}

# Public headers that include no project header at all (installed as they are).
STANDALONE = {"taskvisor.h"}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    for pattern, layer in LAYER_OF:
        if fnmatch.fnmatchcase(rel, pattern):
            return layer
    return None


def makefile_include_dirs(root):
    dirs = []
    try:
        with open(os.path.join(root, "Makefile"), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return dirs
    for line in text.splitlines():
        if "CFLAGS" in line:
            for d in re.findall(r"-I\s*(\S+)", line):
                if d not in dirs:
                    dirs.append(d)
    return dirs


def collect(root):
    files = []
    for top in SOURCE_DIRS:
        for dirpath, dirnames, names in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(dirpath, n), root).replace(os.sep, "/"))
    return files


def build(root):
    files = collect(root)
    known = set(files)
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    incdirs = makefile_include_dirs(root)
    graph, problems = {}, []
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        edges = []
        for name in INCLUDE_RE.findall(text):
            target = None
            for d in [os.path.dirname(f)] + incdirs:
                cand = os.path.normpath(os.path.join(d, name)).replace(os.sep, "/")
                if cand in known:
                    target = cand
                    break
            if target is None and len(by_name.get(os.path.basename(name), [])) == 1:
                target = by_name[os.path.basename(name)][0]
            if target is None:
                problems.append('%s: #include "%s": not a file of the project (or not a unique name)' % (f, name))
                continue
            edges.append(target)
        graph[f] = edges
    return graph, problems


def find_cycles(graph):
    """Every elementary cycle found by a depth-first walk (each reported once, from its smallest file)."""
    cycles, seen = [], set()
    state = {}  # 1: on the stack, 2: done
    stack = []

    def walk(n):
        state[n] = 1
        stack.append(n)
        for m in graph.get(n, []):
            if state.get(m) == 1:
                cyc = stack[stack.index(m):]
                i = cyc.index(min(cyc))
                key = tuple(cyc[i:] + cyc[:i])
                if key not in seen:
                    seen.add(key)
                    cycles.append(list(key) + [key[0]])
            elif state.get(m) is None:
                walk(m)
        stack.pop()
        state[n] = 2

    sys.setrecursionlimit(10000)
    for n in sorted(graph):
        if state.get(n) is None:
            walk(n)
    return cycles


def module_of(path):
    """A module: x.c, x.h and its private x_int.h together."""
    base = os.path.splitext(path)[0]
    return base[:-4] if base.endswith("_int") else base


def module_graph(graph):
    mg = {}
    for f, targets in graph.items():
        a = module_of(f)
        mg.setdefault(a, set())
        for t in targets:
            if module_of(t) != a:
                mg[a].add(module_of(t))
    return {k: sorted(v) for k, v in mg.items()}


def layer_graph(graph):
    lg = {}
    for f, targets in graph.items():
        a = layer_of(f)
        lg.setdefault(a, set())
        for t in targets:
            if layer_of(t) != a:
                lg[a].add(layer_of(t))
    return {k: sorted(v) for k, v in lg.items() if k is not None}


def check_layers(graph):
    problems = []
    for f in sorted(graph):
        lf = layer_of(f)
        if lf is None:
            problems.append("%s: in no layer (add it to LAYER_OF in %s)" % (f, os.path.basename(__file__)))
            continue
        for t in graph[f]:
            lt, name = layer_of(t), os.path.basename(t)
            if os.path.basename(f) in STANDALONE:
                problems.append("%s includes %s: a public header includes no project header" % (f, t))
                continue
            if name in PRIVATE and PRIVATE[name] != lf:
                problems.append("%s (%s) includes %s: private to the %s layer" % (f, lf, t, PRIVATE[name]))
                continue
            if name in PROGRAMS_ONLY and lf in PROGRAMS_ONLY[name] and os.path.basename(f) != "xmalloc.c":
                problems.append("%s (%s) includes %s: for the programs only; %s code returns errors"
                                % (f, lf, t, lf))
                continue
            allowed = MAY_INCLUDE.get(lf, set())
            if lt not in allowed and name not in allowed:
                problems.append("%s (%s) includes %s (%s): the %s layer may include only %s"
                                % (f, lf, t, lt, lf, ", ".join(sorted(allowed))))
    return problems


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    root = args[0] if args else os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    graph, problems = build(root)
    if "--dot" in argv:
        print("digraph includes {")
        for f in sorted(graph):
            for t in graph[f]:
                print('  "%s" -> "%s";' % (f, t))
        print("}")
        return 0
    for cyc in find_cycles(graph):
        problems.append("include cycle: " + " -> ".join(cyc))
    for cyc in find_cycles(module_graph(graph)):
        problems.append("module cycle (a .c and its .h as one): " + " -> ".join(cyc))
    for cyc in find_cycles(layer_graph(graph)):
        problems.append("layer cycle: " + " -> ".join(cyc))
    problems += check_layers(graph)
    for p in problems:
        print("include_graph: " + p, file=sys.stderr)
    if problems:
        print("include_graph: %d problem(s) in %d files" % (len(problems), len(graph)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
