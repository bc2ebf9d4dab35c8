# taskvisor — one plain GNU Makefile.
#
#   make run     install missing build deps, build, run taskvisord -n on ./taskvisord.conf
#   make test    install missing deps, build, run unit + e2e tests, then again under ASan+UBSan
#   make bench   run the benchmarks in bench/ (prints ratios against the reference tools)
#   make fuzz    every libFuzzer target in tests/fuzz/ (clang, ASan+UBSan), 10 million runs each
#   make lint    include graph (no cycle, layers point down) + clang-format check + cppcheck
#   make stress  a bounded soak under faults (kills, disk full, floods) and a million-task list
#   make install PREFIX=/usr/local DESTDIR=
#
# Sources are found per folder; each folder is one layer, see README.md "Layout":
#   lib/                 common code (log, protocol, configuration, parsers)
#   lib/libtaskvisor/    the public C library for clients and workers
#   supervisord/proc/    process supervision     supervisord/engine/  the task engine
#   supervisord/store/   the queue store         supervisord/server/  the socket server, handlers
#   supervisord/         daemon.c joins them; main.c

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
SAN     ?=

WARN    = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
SRC_DIRS = lib lib/libtaskvisor supervisord supervisord/proc supervisord/engine supervisord/store supervisord/server \
           supervisord/http
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) $(addprefix -I,$(SRC_DIRS)) -MMD -MP
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# SAN=fuzz: clang objects instrumented for libFuzzer (make fuzz builds in build-fuzz/ with it).
ifeq ($(SAN),fuzz)
CC      = clang
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
           -Wno-format-nonliteral # clang, unlike gcc, warns of log.c's vsnprintf(fmt)
LDFLAGS += -fsanitize=fuzzer,address,undefined
endif
SYSTEMD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
# The daemon loads libsystemd with dlopen() only when systemd asked for notifications
# (supervisord/sdnotify.c): it and its dependencies are ~1 MB of RSS otherwise unused.
# Only the tests that play the part of a notify program link it.
LDLIBS  = -lev -linih -lsqlite3 -ljansson -luuid -ldl -lm
# Each program keeps only the libraries it calls: the daemon does not call SQLite itself,
# it loads the queue backend (and with it SQLite) when it first opens the database.
LDFLAGS += -Wl,--as-needed

# Debian packages the build and the tests need (installed by `make deps` when missing).
DEB_BUILD = build-essential pkg-config libev-dev libinih-dev libsqlite3-dev libsystemd-dev \
            libjansson-dev uuid-dev libcmocka-dev libedit-dev libmicrohttpd-dev libexpat1-dev
DEB_TEST  = sqlite3 python3 procps tzdata util-linux supervisor
DEB_BENCH = supervisor hyperfine strace
DEB_FUZZ  = clang

LIB_SRCS  := $(sort $(wildcard lib/*.c lib/libtaskvisor/*.c supervisord/store/*.c))
D_SRCS    := $(sort $(filter-out supervisord/main.c,$(wildcard supervisord/*.c supervisord/*/*.c)))
D_SRCS    := $(filter-out supervisord/store/% supervisord/http/%,$(D_SRCS))
# supervisord's XML-RPC over HTTP: a module the daemon loads with dlopen() only when a peer speaks
# HTTP or an [inet_http_server] is configured (supervisord/http/http_module.h), so libmicrohttpd and expat
# cost a daemon that never sees HTTP nothing.
HTTP_SRCS := $(sort $(wildcard supervisord/http/*.c))
HTTP_MOD  = $(BUILD)/lib/taskvisor/http.so
CTL_SRCS  := $(sort $(wildcard ctl/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
D_OBJS    := $(D_SRCS:%.c=$(BUILD)/%.o)
# The daemon's objects by layer (README "Layout"); a unit test links only the layer it tests.
ENGINE_OBJS := $(filter $(BUILD)/supervisord/engine/%,$(D_OBJS))
PROC_OBJS   := $(filter $(BUILD)/supervisord/proc/%,$(D_OBJS))
SERVER_OBJS := $(filter $(BUILD)/supervisord/server/%,$(D_OBJS))
DAEMON_OBJS := $(BUILD)/supervisord/daemon.o
CTL_OBJS  := $(CTL_SRCS:%.c=$(BUILD)/%.o)
SVC_SRCS  := $(sort $(wildcard services/*.c))
SVC_BINS  := $(SVC_SRCS:services/%.c=$(BUILD)/bin/%)
BENCH_SRCS:= $(sort $(wildcard bench/*.c))
BENCH_BINS:= $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

BINS = $(BUILD)/bin/taskvisord $(BUILD)/bin/taskvisorctl $(SVC_BINS)
# The SQLite queue backend, loaded by the daemon from ../lib/taskvisor/ beside its bin/ (store/queue.c).
BACKEND = $(BUILD)/lib/taskvisor/queue-sqlite.so
BACKEND_OBJS = $(addprefix $(BUILD)/pic/supervisord/store/,queue.o queue_sqlite.o search.o) $(BUILD)/pic/lib/when.o

# libtaskvisor, the C library for clients and workers: its own sources plus the protocol, time
# and size code it speaks, as a static archive and a shared object with a soname that exports tv_*
# only (lib/libtaskvisor/taskvisor.map). Bump TV_SOVERSION when the ABI breaks.
TV_SOVERSION = 0
# TV_VERSION follows TASKVISOR_VERSION (supervisord/daemon.h)
TV_VERSION   = 0.1.0
LIBTV_SRCS   := $(sort $(wildcard lib/libtaskvisor/*.c)) lib/proto.c lib/when.c lib/units.c lib/utf8.c
LIBTV_A      = $(BUILD)/lib/libtaskvisor.a
LIBTV_SO     = $(BUILD)/lib/libtaskvisor.so.$(TV_VERSION)
LIBTV_SONAME = libtaskvisor.so.$(TV_SOVERSION)

.SECONDARY:
.PHONY: all deps deps-bench deps-fuzz run test test-unit test-e2e asan check bench lint install clean fuzz fuzz-build stress
all: $(BINS) $(BACKEND) $(HTTP_MOD) $(LIBTV_A) $(LIBTV_SO) $(UNIT_BINS) $(HELPER_BINS)

# Install whichever of the Debian packages $(1) is missing (no-op when all are present).
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(DEB_BUILD) $(DEB_TEST))

# Node.js (for the reference queue from npm): Debian's nodejs/npm only when no npm is on PATH
# (a machine may already carry a newer Node that Debian's npm would conflict with).
deps-bench: deps
	$(call apt_install,$(DEB_BENCH))
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }

deps-fuzz: deps
	$(call apt_install,$(DEB_FUZZ))

$(BUILD)/libtv.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BACKEND): $(BACKEND_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -o $@ $^ -lsqlite3 -lm

$(HTTP_MOD): $(HTTP_SRCS:%.c=$(BUILD)/pic/%.o) $(BUILD)/pic/lib/utf8.o
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -o $@ $^ -lmicrohttpd -lexpat -ljansson -lev

# One relocatable object whose only globals are tv_*, so a program linking the archive cannot
# collide with the protocol code inside.
$(LIBTV_A): $(LIBTV_SRCS:%.c=$(BUILD)/pic/%.o)
	@mkdir -p $(@D)
	$(CC) -r -nostdlib -o $(@D)/libtaskvisor-all.o $^
	objcopy --wildcard --keep-global-symbol='tv_*' $(@D)/libtaskvisor-all.o
	rm -f $@ && ar rcs $@ $(@D)/libtaskvisor-all.o

$(LIBTV_SO): $(LIBTV_SRCS:%.c=$(BUILD)/pic/%.o) lib/libtaskvisor/taskvisor.map
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(LIBTV_SONAME) -Wl,--version-script=lib/libtaskvisor/taskvisor.map \
	  -o $@ $(filter %.o,$^) -ljansson -lm
	ln -sf $(@F) $(@D)/$(LIBTV_SONAME)
	ln -sf $(LIBTV_SONAME) $(@D)/libtaskvisor.so

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<

$(BUILD)/libtvd.a: $(D_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/taskvisord: $(BUILD)/supervisord/main.o $(BUILD)/libtvd.a $(BUILD)/libtv.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Only taskvisorctl links libedit (its shell's line editing, history and completion).
$(BUILD)/bin/taskvisorctl: $(CTL_OBJS) $(BUILD)/libtv.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ledit

$(BUILD)/bin/%: $(BUILD)/services/%.o $(BUILD)/libtv.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libtv.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The restart benchmark's stamp: static and stdio-free, see bench/stamp.c.
$(BUILD)/bench/stamp: bench/stamp.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $<

# Small programs the tests run (eat-memory, notify-ready).
$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS) $(SYSTEMD_LIBS)

# Unit tests: the test, the objects of the layer it tests (below), then lib/ (libtv.a).
# test_engine links no socket, daemon or supervisor object (the engine's hooks are stubbed).
$(BUILD)/tests/test_engine $(BUILD)/tests/test_engine_queue $(BUILD)/tests/test_engine_state $(BUILD)/tests/test_when: $(ENGINE_OBJS)
$(BUILD)/tests/test_proc $(BUILD)/tests/test_proc_live: $(PROC_OBJS)
$(BUILD)/tests/test_events: $(PROC_OBJS) # [eventlistener:x]
$(BUILD)/tests/test_memcg: $(BUILD)/supervisord/proc/memcg.o
$(BUILD)/tests/test_readiness: $(BUILD)/supervisord/proc/readiness.o
$(BUILD)/tests/test_procin: $(BUILD)/supervisord/proc/procin.o
$(BUILD)/tests/test_shell: $(filter-out $(BUILD)/ctl/main.o,$(CTL_OBJS))
$(BUILD)/tests/test_shell: LDLIBS += -ledit
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libtv.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libtv.a $(LDLIBS) $(SYSTEMD_LIBS) -lcmocka

# test_xmlrpc: the HTTP module's XML-RPC bodies, linked in (the daemon loads them with the module).
$(BUILD)/tests/test_xmlrpc: $(BUILD)/supervisord/http/xmlrpc.o
$(BUILD)/tests/test_xmlrpc: LDLIBS += -lexpat

# libFuzzer targets (only built with SAN=fuzz, see `make fuzz`).
# fuzz_conf keeps the loader's glob() and fopen() inside its temporary directory (tests/fuzz/fuzz_conf.c).
$(BUILD)/fuzz/fuzz_conf: LDFLAGS += -Wl,--wrap=glob -Wl,--wrap=fopen
# fuzz_xmlrpc: the module's request parser (supervisord/http/xmlrpc.c) and expat.
$(BUILD)/fuzz/fuzz_xmlrpc: $(BUILD)/tests/fuzz/fuzz_xmlrpc.o $(BUILD)/supervisord/http/xmlrpc.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lexpat -ljansson
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libtvd.a $(BUILD)/libtv.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

run: deps all
	@mkdir -p var/log var/run
	$(BUILD)/bin/taskvisord -n -c taskvisord.conf

# The include graph is checked here too (milliseconds), so CI runs it with the unit tests.
test-unit: all
	@tests/unit/run.sh $(BUILD)
	@sh tests/lint/state_doors.sh && sh tests/lint/test_state_doors.sh
	@sh tests/lint/test_include_graph.sh

test-e2e: all
	@tests/e2e/run.sh $(BUILD)

# Unit + end-to-end, then the whole suite again under AddressSanitizer + UBSan.
test: deps
	$(MAKE) test-unit test-e2e
	$(MAKE) BUILD=build-asan SAN=1 test-unit test-e2e

asan:
	$(MAKE) BUILD=build-asan SAN=1 test-unit test-e2e

bench: deps-bench all $(BENCH_BINS)
	bench/run.sh $(BUILD)

# include_graph.py: no include cycle, and layers point down (README "Layout").
lint:
	python3 tests/lint/include_graph.py
	sh tests/lint/state_doors.sh
	clang-format --dry-run --Werror $(LIB_SRCS) $(D_SRCS) $(HTTP_SRCS) supervisord/main.c $(CTL_SRCS) $(SVC_SRCS) $(wildcard $(addsuffix /*.h,$(SRC_DIRS)))
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability $(addprefix -I,$(SRC_DIRS)) lib supervisord ctl services

install: $(BINS) $(BACKEND) $(HTTP_MOD)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/lib/taskvisor
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BACKEND) $(HTTP_MOD) $(DESTDIR)$(PREFIX)/lib/taskvisor/
	install -m 644 taskvisord.service $(DESTDIR)$(PREFIX)/lib/systemd/system/

# A bounded soak under faults (tests/stress/soak.py, STRESS_SECONDS, at most 600), then lists
# and exports over a million tasks (tests/e2e/test_task_list_huge.sh). Not part of `make test`.
stress: deps all
	python3 tests/stress/soak.py --build $(BUILD) --seconds $(or $(STRESS_SECONDS),300)
	TV_HUGE_N=$(or $(STRESS_HUGE_N),1000000) BUILD=$(abspath $(BUILD)) sh tests/e2e/test_task_list_huge.sh

# Every libFuzzer target (tests/fuzz/fuzz_*.c) built with clang in build-fuzz/ under ASan+UBSan, then
# run one after the other for FUZZ_RUNS executions each (default 10 million) or FUZZ_SECONDS seconds;
# FUZZ_TARGETS="conf cron" picks some; FUZZ_SMOKE=1 only replays the committed seeds.
fuzz: deps-fuzz fuzz-build
	FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SMOKE=$(FUZZ_SMOKE) tests/fuzz/run.sh build-fuzz $(FUZZ_TARGETS)

fuzz-build:
	$(MAKE) BUILD=build-fuzz SAN=fuzz $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/fuzz/%)

clean:
	rm -rf build build-asan build-fuzz var

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
