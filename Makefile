# taskvisor — one plain GNU Makefile.
#
#   make run     install missing build deps, build, run taskvisord -n on ./taskvisord.conf
#   make test    install missing deps, build, run unit + e2e tests, then again under ASan+UBSan
#   make bench   run the benchmarks in bench/ (prints ratios against the reference tools)
#   make fuzz    every libFuzzer target in tests/fuzz/ (clang, ASan+UBSan), 10 million runs each
#   make lint    include graph (no cycle, layers point down) + man pages + clang-format check + cppcheck
#   make man     the man pages from man/*.scd into $(BUILD)/man/ (part of `all`)
#   make stress  a bounded soak under faults (kills, disk full, floods) and a million-task list
#   make install       PREFIX=/usr/local DESTDIR= (and BINDIR, SBINDIR, LIBDIR, SYSCONFDIR, ... below);
#                      `make uninstall` with the same variables takes it back out
#   make installcheck  install into temp DESTDIRs, check the file list, man pages, unit, pkg-config
#
# Sources are found per folder; each folder is one layer, see README.md "Layout":
#   lib/                 common code (log, protocol, configuration, parsers)
#   lib/libtaskvisor/    the public C library for clients and workers
#   supervisord/proc/    process supervision     supervisord/engine/  the task engine
#   supervisord/store/   the queue store         supervisord/server/  the socket server, handlers
#   supervisord/         daemon.c joins them; main.c

CC      ?= cc
BUILD   ?= build
SAN     ?=

# Where `make install` puts things (GNU names; README "Installing"). The daemon, taskvisorctl
# and the modules have SBINDIR, BINDIR, LIBDIR/taskvisor and SYSCONFDIR compiled in (lib/paths.c:
# only paths.o is rebuilt when they change), so install with the variables the build used.
PREFIX        ?= /usr/local
DESTDIR       ?=
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
LIBDIR        ?= $(PREFIX)/lib
LIBEXECDIR    ?= $(PREFIX)/libexec
INCLUDEDIR    ?= $(PREFIX)/include
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
DOCDIR        ?= $(DATADIR)/doc/taskvisor
LOCALSTATEDIR ?= /var
RUNSTATEDIR   ?= /run
PKGLIBDIR      = $(LIBDIR)/taskvisor
ifeq ($(PREFIX),/usr)
SYSCONFDIR    ?= /etc
# Debian 12's systemd and debhelper: /lib/systemd/system (pkg-config systemd says where)
ifeq ($(origin SYSTEMDUNITDIR),undefined)
SYSTEMDUNITDIR := $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
endif
BASHCOMPDIR   ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR    ?= $(DATADIR)/zsh/vendor-completions
else
SYSCONFDIR    ?= $(PREFIX)/etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR   ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR    ?= $(DATADIR)/zsh/site-functions
endif

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
            libjansson-dev uuid-dev libcmocka-dev libedit-dev libmicrohttpd-dev libexpat1-dev \
            scdoc
DEB_TEST  = sqlite3 python3 procps tzdata util-linux supervisor mandoc man-db zsh chromium curl python3-websocket prometheus dpkg-dev debhelper fakeroot lintian systemd
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
BACKEND_OBJS = $(addprefix $(BUILD)/pic/supervisord/store/,queue.o queue_sqlite.o search.o) $(BUILD)/pic/lib/when.o \
               $(BUILD)/pic/lib/paths.o

# libtaskvisor, the C library for clients and workers: its own sources plus the protocol, time
# and size code it speaks, as a static archive and a shared object with a soname that exports tv_*
# only (lib/libtaskvisor/taskvisor.map). Bump TV_SOVERSION when the ABI breaks.
TV_SOVERSION = 0
# TV_VERSION follows TASKVISOR_VERSION (lib/proto.h)
TV_VERSION   = 0.1.0
LIBTV_SRCS   := $(sort $(wildcard lib/libtaskvisor/*.c)) lib/proto.c lib/when.c lib/units.c lib/utf8.c
LIBTV_A      = $(BUILD)/lib/libtaskvisor.a
LIBTV_SO     = $(BUILD)/lib/libtaskvisor.so.$(TV_VERSION)
LIBTV_SONAME = libtaskvisor.so.$(TV_SOVERSION)

# Man pages (README "Man pages"): scdoc sources man/NAME.N.scd, generated into $(BUILD)/man/NAME.N;
# man/scdoc-fix.awk drops the empty paragraphs scdoc writes (mandoc -T lint would warn of them).
MAN_SRCS  := $(sort $(wildcard man/*.scd))
MAN_PAGES := $(MAN_SRCS:man/%.scd=$(BUILD)/man/%)

.SECONDARY:
.PHONY: deb test-deb all deps deps-bench deps-fuzz run test test-unit test-e2e asan check bench lint install install-files uninstall installcheck \
        clean fuzz fuzz-build stress man FORCE
all: $(BINS) $(BACKEND) $(HTTP_MOD) $(LIBTV_A) $(LIBTV_SO) $(UNIT_BINS) $(HELPER_BINS) $(MAN_PAGES)

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

man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.scd man/scdoc-fix.awk
	@mkdir -p $(@D)
	scdoc < $< | awk -f man/scdoc-fix.awk > $@.tmp && mv $@.tmp $@

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
$(BUILD)/tests/test_engine_metrics: $(ENGINE_OBJS)
$(BUILD)/tests/test_proc $(BUILD)/tests/test_proc_live: $(PROC_OBJS)
$(BUILD)/tests/test_events: $(PROC_OBJS) # [eventlistener:x]
$(BUILD)/tests/test_memcg: $(BUILD)/supervisord/proc/memcg.o
$(BUILD)/tests/test_readiness: $(BUILD)/supervisord/proc/readiness.o
$(BUILD)/tests/test_procin: $(BUILD)/supervisord/proc/procin.o
$(BUILD)/tests/test_fcgisock: $(BUILD)/supervisord/proc/fcgisock.o
$(BUILD)/tests/test_shell: $(filter-out $(BUILD)/ctl/main.o,$(CTL_OBJS))
$(BUILD)/tests/test_shell: LDLIBS += -ledit
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libtv.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libtv.a $(LDLIBS) $(SYSTEMD_LIBS) -lcmocka

# test_xmlrpc: the HTTP module's XML-RPC bodies, linked in (the daemon loads them with the module).
$(BUILD)/tests/test_xmlrpc: $(BUILD)/supervisord/http/xmlrpc.o
$(BUILD)/tests/test_xmlrpc: LDLIBS += -lexpat
# test_web: the web page's HTML and CSRF pieces (supervisord/http/web_page.c, web_csrf.c).
$(BUILD)/tests/test_web: $(BUILD)/supervisord/http/web_page.o $(BUILD)/supervisord/http/web_csrf.o

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
	@sh tests/lint/man.sh $(BUILD) && sh tests/lint/test_man.sh $(BUILD)

test-e2e: all
	@tests/e2e/run.sh $(BUILD)

# Unit + end-to-end, then the whole suite again under AddressSanitizer + UBSan.
test: deps
	$(MAKE) test-unit test-e2e
	$(MAKE) installcheck
	$(MAKE) test-deb
	$(MAKE) BUILD=build-asan SAN=1 test-unit test-e2e

asan:
	$(MAKE) BUILD=build-asan SAN=1 test-unit test-e2e

bench: deps-bench all $(BENCH_BINS)
	bench/run.sh $(BUILD)

# include_graph.py: no include cycle, and layers point down (README "Layout").
lint: $(MAN_PAGES)
	python3 tests/lint/include_graph.py
	sh tests/lint/state_doors.sh
	sh tests/lint/man.sh $(BUILD)
	clang-format --dry-run --Werror $(LIB_SRCS) $(D_SRCS) $(HTTP_SRCS) supervisord/main.c $(CTL_SRCS) $(SVC_SRCS) $(wildcard $(addsuffix /*.h,$(SRC_DIRS)))
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability $(addprefix -I,$(SRC_DIRS)) lib supervisord ctl services

# ---- make install / uninstall / installcheck (README "Installing") ----
# The installed directories compiled into lib/paths.c; the stamp changes only when one of them does.
INSTALL_DIRS = PREFIX=$(PREFIX) BINDIR=$(BINDIR) SBINDIR=$(SBINDIR) LIBDIR=$(LIBDIR) LIBEXECDIR=$(LIBEXECDIR) \
               INCLUDEDIR=$(INCLUDEDIR) DATADIR=$(DATADIR) MANDIR=$(MANDIR) DOCDIR=$(DOCDIR) \
               SYSCONFDIR=$(SYSCONFDIR) LOCALSTATEDIR=$(LOCALSTATEDIR) RUNSTATEDIR=$(RUNSTATEDIR) \
               SYSTEMDUNITDIR=$(SYSTEMDUNITDIR) TV_VERSION=$(TV_VERSION)
$(BUILD)/dirs.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(INSTALL_DIRS)' | tr ' ' '\n' >$@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@
$(BUILD)/lib/paths.o $(BUILD)/pic/lib/paths.o: $(BUILD)/dirs.stamp
$(BUILD)/lib/paths.o $(BUILD)/pic/lib/paths.o: CFLAGS += -DTV_SBINDIR='"$(SBINDIR)"' -DTV_BINDIR='"$(BINDIR)"' \
	-DTV_PKGLIBDIR='"$(PKGLIBDIR)"' -DTV_CONF='"$(SYSCONFDIR)/taskvisor/taskvisord.conf"'
FORCE:

# dist/*.in -> $(BUILD)/dist/*: @VAR@ replaced by the directories above.
DIST_GEN = $(addprefix $(BUILD)/dist/,taskvisord.service taskvisord.conf taskvisor.logrotate taskvisor.pc \
           examples/workers.conf)
$(BUILD)/dist/%: dist/%.in $(BUILD)/dirs.stamp
	@mkdir -p $(@D)
	sed $(foreach v,$(INSTALL_DIRS),-e 's|@$(word 1,$(subst =, ,$(v)))@|$(word 2,$(subst =, ,$(v)))|g') $< >$@.new
	@if grep -n '@[A-Z]*@' $@.new; then echo "$@: unreplaced @VAR@" >&2; rm -f $@.new; exit 1; fi
	@mv -f $@.new $@
DOC_EXAMPLES = conf.d/tasks.conf conf.d/web.conf dist/examples/hello-worker.c $(BUILD)/dist/examples/workers.conf
# Directories only taskvisor uses: uninstall removes them when empty.
OWN_DIRS = $(DOCDIR)/examples $(DOCDIR) $(PKGLIBDIR) $(LIBEXECDIR)/taskvisor $(SYSCONFDIR)/taskvisor/conf.d \
           $(SYSCONFDIR)/taskvisor $(LOCALSTATEDIR)/log/taskvisor $(LOCALSTATEDIR)/lib/taskvisor
CONF_DST = $(DESTDIR)$(SYSCONFDIR)/taskvisor/taskvisord.conf

# What install installs, built without the tests (a package's build step: debian/rules).
install-files: $(BINS) $(BACKEND) $(HTTP_MOD) $(LIBTV_A) $(LIBTV_SO) $(DIST_GEN) $(MAN_PAGES)

install: install-files
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(LIBEXECDIR)/taskvisor \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/taskvisor/conf.d $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples \
	  $(DESTDIR)$(LOCALSTATEDIR)/log/taskvisor $(DESTDIR)$(LOCALSTATEDIR)/lib/taskvisor
	install -m 755 $(BUILD)/bin/taskvisord $(DESTDIR)$(SBINDIR)/
	install -m 755 $(BUILD)/bin/taskvisorctl $(BUILD)/bin/exec-worker $(DESTDIR)$(BINDIR)/
	install -m 755 $(BUILD)/bin/noop-worker $(DESTDIR)$(LIBEXECDIR)/taskvisor/
	install -m 644 $(BACKEND) $(HTTP_MOD) $(DESTDIR)$(PKGLIBDIR)/
	install -m 644 lib/libtaskvisor/taskvisor.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(LIBTV_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIBTV_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIBTV_SO)) $(DESTDIR)$(LIBDIR)/$(LIBTV_SONAME)
	ln -sf $(LIBTV_SONAME) $(DESTDIR)$(LIBDIR)/libtaskvisor.so
	install -m 644 $(BUILD)/dist/taskvisor.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 $(BUILD)/dist/taskvisord.service $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 644 $(BUILD)/dist/taskvisor.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/taskvisor
	@# never overwrite a configuration: the new one goes beside it as .dist
	@if [ -e $(CONF_DST) ] && ! cmp -s $(BUILD)/dist/taskvisord.conf $(CONF_DST); then \
	  echo "install: $(CONF_DST) exists, kept; the new default is $(CONF_DST).dist"; \
	  echo "install -m 644 $(BUILD)/dist/taskvisord.conf $(CONF_DST).dist"; \
	  install -m 644 $(BUILD)/dist/taskvisord.conf $(CONF_DST).dist; \
	else \
	  echo "install -m 644 $(BUILD)/dist/taskvisord.conf $(CONF_DST)"; \
	  install -m 644 $(BUILD)/dist/taskvisord.conf $(CONF_DST); \
	fi
	install -m 644 dist/taskvisorctl.bash $(DESTDIR)$(BASHCOMPDIR)/taskvisorctl
	install -m 644 dist/_taskvisorctl $(DESTDIR)$(ZSHCOMPDIR)/_taskvisorctl
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 644 $(DOC_EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	@for m in $(MAN_PAGES); do \
	  d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
	  echo "install -m 644 $$m $$d/"; install -d $$d && install -m 644 $$m $$d/ || exit 1; \
	done

# Exactly what install put; the configuration only when it is still the default (a changed one
# is the administrator's, as Debian treats conffiles), and directories only taskvisor uses, if empty.
uninstall: $(BUILD)/dist/taskvisord.conf
	rm -f $(DESTDIR)$(SBINDIR)/taskvisord $(DESTDIR)$(BINDIR)/taskvisorctl $(DESTDIR)$(BINDIR)/exec-worker \
	  $(DESTDIR)$(LIBEXECDIR)/taskvisor/noop-worker \
	  $(DESTDIR)$(PKGLIBDIR)/$(notdir $(BACKEND)) $(DESTDIR)$(PKGLIBDIR)/$(notdir $(HTTP_MOD)) \
	  $(DESTDIR)$(INCLUDEDIR)/taskvisor.h $(DESTDIR)$(LIBDIR)/$(notdir $(LIBTV_A)) \
	  $(DESTDIR)$(LIBDIR)/$(notdir $(LIBTV_SO)) $(DESTDIR)$(LIBDIR)/$(LIBTV_SONAME) $(DESTDIR)$(LIBDIR)/libtaskvisor.so \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/taskvisor.pc $(DESTDIR)$(SYSTEMDUNITDIR)/taskvisord.service \
	  $(DESTDIR)$(SYSCONFDIR)/logrotate.d/taskvisor \
	  $(DESTDIR)$(BASHCOMPDIR)/taskvisorctl $(DESTDIR)$(ZSHCOMPDIR)/_taskvisorctl \
	  $(DESTDIR)$(DOCDIR)/README.md $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(DOC_EXAMPLES))) \
	  $(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	@for f in $(CONF_DST) $(CONF_DST).dist; do \
	  if [ -e $$f ] && ! cmp -s $(BUILD)/dist/taskvisord.conf $$f; then \
	    echo "uninstall: $$f was changed, kept"; \
	  elif [ -e $$f ]; then echo "rm -f $$f"; rm -f $$f; fi; \
	done
	@for d in $(OWN_DIRS); do [ ! -d $(DESTDIR)$$d ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$$d; done

# Install into temporary DESTDIRs and prefixes and check what landed (tests/install/run.sh).
installcheck: all
	@MAKE="$(MAKE)" tests/install/run.sh $(BUILD)

# Debian packages (debian/, README "Debian package"). `make deb`: dpkg-buildpackage -b on a clean
# copy of the tree (its tracked and untracked files, never a build dir) made in
# $(DEB_OUT)/taskvisor-VERSION/, so the .debs, .changes and .buildinfo land in $(DEB_OUT); then
# lintian on them, failing on any error or warning (a justified one goes in debian/PACKAGE.lintian-overrides with its reason).
# `make test-deb`: tests/install/deb.sh builds, installs, uses, purges and reinstalls the packages
# on this machine (as root; it refuses where taskvisor is installed already).
DEB_PACKAGING = dpkg-dev debhelper fakeroot lintian
DEB_OUT ?= $(BUILD)/deb
DEB_SRC  = $(abspath $(DEB_OUT))/taskvisor-$(TV_VERSION)
deb:
	$(call apt_install,$(DEB_BUILD) $(DEB_PACKAGING))
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z -co --exclude-standard | tar --null --no-recursion --ignore-failed-read -T - -cf - ; \
	else tar --exclude='./build*' --exclude=./var -cf - . ; fi | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc -j2
	rm -rf $(DEB_SRC)
	lintian --fail-on error,warning $(DEB_OUT)/*.changes
	@ls -1 $(DEB_OUT)

# exit 77 (skipped: not root, no Debian build tools, taskvisor already on this machine) is no failure
test-deb:
	@sh tests/install/deb.sh; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]

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
