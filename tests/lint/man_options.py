#!/usr/bin/env python3
"""tests/lint/man_options.py [ROOT] — the man pages name everything the code accepts.

From the sources under ROOT (default: this tree) it takes
  - every configuration section and option key lib/conf*.c reads (the section table, the
    [program:x] option table, a "*keys[]" list of names, the strcmp()/strncmp()/conf_sec_get()
    of an option key) and wants
    each in man/taskvisord.conf.5.scd: a section as "[name]" or "[name:", an option as *name*;
  - every taskvisorctl command of the command tables in ctl/*.c (struct ctl_cmd NAME[]; a table
    NAME_sub_cmds holds the subcommands of NAME), its alias, and every option of ctl/main.c's
    getopt, and wants each as *command* / *--option* in man/taskvisorctl.1.scd;
  - every option of supervisord/main.c's getopt (*-c*, *--configuration*) in man/taskvisord.8.scd;
  - the options of lib/workeropt.c and exec-worker's own (services/exec-worker.c) in
    man/exec-worker.1.scd;
  - every function, type and macro (tv_*, TV_*) of lib/libtaskvisor/taskvisor.h in
    man/libtaskvisor.3.scd.
It prints one line per missing name ("taskvisord.conf.5.scd: option stopwaitsecs (lib/conf_program.c)
is not documented") and exits 1, else 0. scdoc's escapes (\\_ \\*) are undone before looking.
"""
import os
import re
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
missing = []


def read(rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


def no_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def page(name):
    text = read(os.path.join("man", name))
    return text.replace("\\_", "_").replace("\\*", "*").replace("\\-", "-")


def bold(text, word):
    """word appears bold: *word* or at the start of a bold run (*task submit* _LABEL_, *-c* _FILE_)."""
    return re.search(r"\*" + re.escape(word) + r"(\*|[ ,=])", text) is not None


seen = set()


def want(pagename, text, kind, name, where, found):
    if (pagename, name) in seen:
        return
    seen.add((pagename, name))
    if not found:
        missing.append(f"{pagename}: {kind} {name} ({where}) is not documented")


# ---- taskvisord.conf(5) ----
conf = page("taskvisord.conf.5.scd")
for rel in sorted(f for f in os.listdir(os.path.join(root, "lib")) if re.match(r"conf.*\.c$", f)):
    src = no_comments(read(os.path.join("lib", rel)))
    where = "lib/" + rel
    for sec in re.findall(r'\{\s*"([a-z_:-]+)"\s*,\s*SEC_[A-Z]+', src):
        found = ("[" + sec + ("" if sec.endswith(":") else "]")) in conf
        want("taskvisord.conf.5.scd", conf, "section", "[" + sec + ("NAME]" if sec.endswith(":") else "]"), where, found)
    keys = set(re.findall(r'\{\s*"([a-z_.]+)"\s*,\s*PK_[A-Z]+', src))
    keys |= set(re.findall(r'strcmp\(\s*(?:k|kv->key|k->key)\s*,\s*"([a-z_.]+)"', src))
    # a prefix compare names a family of keys ("step." for step.NAME), not a key ("stdout")
    keys |= {k for k in re.findall(r'strncmp\(\s*(?:k|kv->key|k->key)\s*,\s*"([a-z_.]+)"', src) if k.endswith(".")}
    keys |= set(re.findall(r'conf_sec_get\(\s*\w+\s*,\s*"([a-z_.]+)"\s*\)', src))
    # a list of a section's keys: static const char *const conf_X_keys[] = {"a", "b"};
    for body in re.findall(r'char\s*\*\s*const\s+\w*keys\w*\[\]\s*=\s*\{(.*?)\};', src, flags=re.S):
        keys |= set(re.findall(r'"([a-z_.]+)"', body))
    for key in sorted(keys):
        found = ("*" + key) in conf if key.endswith(".") else bold(conf, key)
        want("taskvisord.conf.5.scd", conf, "option", key, where, found)

# ---- taskvisorctl(1) ----
ctl = page("taskvisorctl.1.scd")
for rel in sorted(f for f in os.listdir(os.path.join(root, "ctl")) if f.endswith(".c")):
    src = no_comments(read(os.path.join("ctl", rel)))
    for table, body in re.findall(r"struct ctl_cmd\s+(\w+)\[\]\s*=\s*\{(.*?)\n\};", src, flags=re.S):
        prefix = table[: -len("_sub_cmds")] + " " if table.endswith("_sub_cmds") else ""
        for name, alias in re.findall(r'\{\s*"([a-z?-]+)"\s*,\s*(NULL|"[^"]*")', body):
            cmd = prefix + name
            want("taskvisorctl.1.scd", ctl, "command", cmd, "ctl/" + rel, bold(ctl, cmd))
            if alias != "NULL":
                a = prefix + alias.strip('"')
                want("taskvisorctl.1.scd", ctl, "alias", a, "ctl/" + rel, bold(ctl, a))


def getopt_names(rel):
    src = no_comments(read(rel))
    out = []
    for name, letter in re.findall(r'\{\s*"([a-z-]+)"\s*,\s*\w+_argument\s*,\s*NULL\s*,\s*\'(.)\'', src):
        out.append("--" + name)
        out.append("-" + letter)
    return out


for opt in getopt_names("ctl/main.c"):
    want("taskvisorctl.1.scd", ctl, "option", opt, "ctl/main.c", bold(ctl, opt))

# ---- taskvisord(8) ----
d = page("taskvisord.8.scd")
for opt in getopt_names("supervisord/main.c"):
    want("taskvisord.8.scd", d, "option", opt, "supervisord/main.c", bold(d, opt))

# ---- exec-worker(1) ----
ew = page("exec-worker.1.scd")
for opt in getopt_names("lib/workeropt.c"):
    want("exec-worker.1.scd", ew, "option", opt, "lib/workeropt.c", bold(ew, opt))
for name, letter in re.findall(r'\{\s*"([a-z-]+)"\s*,\s*"[A-Z]+"\s*,\s*\'(.)\'', no_comments(read("services/exec-worker.c"))):
    for opt in ("--" + name, "-" + letter):
        want("exec-worker.1.scd", ew, "option", opt, "services/exec-worker.c", bold(ew, opt))

# ---- libtaskvisor(3) ----
lib = page("libtaskvisor.3.scd")
hdr = no_comments(read("lib/libtaskvisor/taskvisor.h"))
names = set(re.findall(r"\b(tv_\w+)\s*\(", hdr))  # functions
names |= set(re.findall(r"\(\s*\*\s*(tv_\w+)\s*\)", hdr))  # function pointer types
names |= set(re.findall(r"struct\s+(tv_\w+)", hdr))
names |= set(re.findall(r"enum\s+(tv_\w+)", hdr))
names |= set(re.findall(r"#define\s+(TV_\w+)", hdr)) - {"TV_TASKVISOR_H"}
names |= set(re.findall(r"\b(TV_STEP_\w+)\s*=", hdr))
for name in sorted(names):
    want("libtaskvisor.3.scd", lib, "name", name, "lib/libtaskvisor/taskvisor.h", re.search(r"\b" + name + r"\b", lib) is not None)

for m in missing:
    print(m)
if missing:
    print(f"{len(missing)} name(s) the code accepts are missing from the man pages (man/*.scd)")
    sys.exit(1)
