# lrflow - one flat Makefile.  `make help` lists the targets and knobs.

PREFIX  ?= /usr/local
BINDIR   = $(DESTDIR)$(PREFIX)/bin
INSTALL ?= install

PKGS     = hiredis libcurl jansson libevent sqlite3
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	   -Wshadow -Wwrite-strings -Wvla -Wpointer-arith
# `make WERROR=` builds with a future compiler's new warnings
WERROR  ?= -Werror
# `make SANITIZE=address,undefined` builds everything with the sanitizers
SANITIZE ?=
SAN      = $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer)
override CFLAGS += -std=c11 -D_GNU_SOURCE -I. -Icommon $(WARN) $(WERROR) $(SAN) -MMD -MP \
		   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
override LDFLAGS += $(SAN) -pthread

# A sanitizer build lives in its own tree so it never mixes with a normal one.
O       ?= build
B        = $(if $(SANITIZE),$(O)-san,$(O))
BIN      = $(if $(SANITIZE),bin-san,bin)

LIBS_REDIS = -lhiredis
LIBS_CURL  = -lcurl
LIBS_JSON  = -ljansson
LIBS_EVENT = -levent
LIBS_SQL   = -lsqlite3

COMMON_SRC = $(sort $(wildcard common/*.c))
# Scripts Redis runs are .lua files, embedded at build time with the
# prelude in front of each (common/lua/embed.sh).
LUA_PRELUDE = common/lua/prelude.lua
LUA_SRC    = $(filter-out $(LUA_PRELUDE),$(sort $(wildcard common/lua/*.lua)))
LUA_C      = $(B)/gen/lua_scripts.c
POLLER_SRC = $(sort $(wildcard poller/*.c))
WORKER_SRC = $(sort $(wildcard worker/*.c))
VIEWER_SRC = $(sort $(wildcard viewer/*.c))
CBSIM_SRC  = $(sort $(wildcard tests/cbsim/*.c))
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC  = $(sort $(wildcard tests/bench/bench_*.c))
# Test helpers the integration scripts run (raw HTTP clients): bin/t-NAME.
TOOL_SRC   = $(sort $(wildcard tests/tools/*.c))

obj = $(patsubst %.c,$(B)/%.o,$(1))
# Everything but main.o, so unit tests can link a daemon's logic.
lib = $(filter-out %/main.o,$(call obj,$(1)))

LIBCOMMON = $(B)/libcommon.a
DAEMONS   = $(BIN)/lr-poller $(BIN)/lr-worker $(BIN)/lr-viewer
PROGS     = $(DAEMONS) $(BIN)/lr-cbsim
UNITS     = $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
BENCHES   = $(patsubst tests/bench/%.c,$(B)/tests/bench/%,$(BENCH_SRC))
TOOLS     = $(patsubst tests/tools/%.c,$(BIN)/t-%,$(TOOL_SRC))
# Programs the shell benches run (not bench_*): bin/t-NAME, built by all.
BENCH_TOOLS = $(BIN)/t-seqclient

ALL_LIBS  = $(LIBS_REDIS) $(LIBS_CURL) $(LIBS_JSON) $(LIBS_EVENT) $(LIBS_SQL)

# A quiet build: one short line per step, so warnings stand out.
# `make V=1` shows the full commands.
ifeq ($(V),1)
Q =
say = @:
else
Q = @
say = @printf '  %-6s %s\n'
endif

.PHONY: all test test-asan test-unit demo deps deps-browser screenshots install clean help format check-format bench
all: $(PROGS) $(UNITS) $(TOOLS) $(BENCH_TOOLS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LUA_C): common/lua/embed.sh $(LUA_PRELUDE) $(LUA_SRC)
	@mkdir -p $(dir $@)
	$(say) LUA $(dir $<)
	$(Q)sh common/lua/embed.sh $@ $(LUA_PRELUDE) $(LUA_SRC)

$(B)/gen/lua_scripts.o: $(LUA_C)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRC)) $(B)/gen/lua_scripts.o
	@rm -f $@
	$(say) AR $@
	$(Q)$(AR) rcs $@ $^

# The viewer's stylesheet and script are files in viewer/static/, embedded
# at build time (viewer/static/embed.sh).
VIEWER_ASSETS = $(sort $(wildcard viewer/static/*.css viewer/static/*.js))
VIEWER_GEN = $(B)/gen/viewer_assets.o

$(B)/gen/viewer_assets.c: viewer/static/embed.sh $(VIEWER_ASSETS)
	@mkdir -p $(dir $@)
	$(say) GEN $@
	$(Q)sh viewer/static/embed.sh $@ $(VIEWER_ASSETS)

$(VIEWER_GEN): $(B)/gen/viewer_assets.c
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BIN)/lr-poller: $(call obj,$(POLLER_SRC)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_REDIS) $(LIBS_CURL) $(LIBS_JSON)

$(BIN)/lr-worker: $(call obj,$(WORKER_SRC)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_REDIS) $(LIBS_CURL) $(LIBS_JSON) $(LIBS_SQL)

$(BIN)/lr-viewer: $(call obj,$(VIEWER_SRC)) $(VIEWER_GEN) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_REDIS) $(LIBS_JSON) $(LIBS_EVENT)

$(BIN)/lr-cbsim: $(call obj,$(CBSIM_SRC)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_JSON) $(LIBS_EVENT) $(LIBS_SQL)

# Each unit test links the daemons' logic (not their main.o) and libcommon.
$(B)/tests/unit/%: $(B)/tests/unit/%.o $(call lib,$(POLLER_SRC) $(WORKER_SRC) $(VIEWER_SRC)) $(VIEWER_GEN) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

$(BIN)/t-%: $(B)/tests/tools/%.o
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(B)/tests/bench/%: $(B)/tests/bench/%.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

$(BIN)/t-seqclient: $(B)/tests/bench/seqclient.o
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CURL) $(LIBS_JSON) -lpthread

# deps: install the Debian packages that are missing (needs root or sudo).
deps:
	@sh tests/deps.sh

# deps-browser: deps plus headless Chromium for the browser test.
deps-browser:
	@sh tests/deps.sh --browser

test: deps-browser
	@$(MAKE) --no-print-directory all
	@sh tests/run.sh $(BIN) $(B)

test-unit: all
	@sh tests/run.sh --unit-only $(BIN) $(B)

test-asan: deps-browser
	@$(MAKE) --no-print-directory SANITIZE=address,undefined all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 LRFLOW_SANITIZED=1 sh tests/run.sh bin-san $(O)-san

# screenshots: PNGs of the dashboard and a device page (hostile data) in
# screenshots/, from the browser test.
screenshots: deps-browser
	@$(MAKE) --no-print-directory all
	@LRFLOW_BIN=$(CURDIR)/$(BIN) LRFLOW_TOP=$(CURDIR) \
	 LRFLOW_SCREENSHOTS=$(CURDIR)/screenshots sh tests/integration/t_browser.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BIN)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCHES)
	@sh tests/bench.sh $(BIN) $(B)

install: $(DAEMONS)
	$(INSTALL) -d $(BINDIR)
	$(INSTALL) -m 755 $(DAEMONS) $(BINDIR)

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

check-format:
	@clang-format --dry-run -Werror $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build build-san bin bin-san

help:
	@echo "targets: all test test-asan test-unit demo bench deps deps-browser screenshots install clean format check-format"
	@echo "knobs:   PREFIX=$(PREFIX) DESTDIR= WERROR=$(WERROR) SANITIZE= CFLAGS='$(CFLAGS)' V=1 (full command lines)"

-include $(shell find $(O) $(O)-san -name '*.d' 2>/dev/null)
