# envbox — one multi-call binary, one POSIX sh entrypoint.
# make [BUILD=dir] [CC=clang] [SAN=1]; make install PREFIX=/usr/local DESTDIR=
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
PKGS    := libcurl blkid
CFLAGS  ?= -O2 -g
# A packager's newer compiler may warn where ours does not: make WERROR=
WERROR  ?= -Werror
WARN    := -std=c11 -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wvla
CPPFLAGS += -D_GNU_SOURCE -Ilib $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs blkid)
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

APPLETS := envbox-docker envbox-gpu-scan envbox-mounts envbox-auth envbox-check envbox-wait envbox-xid
LIB_SRC := $(wildcard lib/*.c)
APP_SRC := $(wildcard applets/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
APP_OBJ := $(APP_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN     := $(BUILD)/envbox-bin

.PHONY: seccomp-profile all deps install uninstall test unit bats check sanitize fuzz lint clean demo bench image test-image test-vm vm-shell
MAN1    := $(patsubst %,$(BUILD)/man/%.1,envbox $(APPLETS))

all: $(BIN) $(MAN1)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Man pages, generated from docs/ (scripts/md2man: plain troff).
$(BUILD)/man/%.1: docs/%.md scripts/md2man
	@mkdir -p $(dir $@)
	scripts/md2man $< >$@

# Made anew: members of deleted or renamed sources must not linger.
$(BUILD)/lib/libenvbox.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(APP_OBJ) $(BUILD)/lib/libenvbox.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/lib/libenvbox.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# Kept between runs, not removed as intermediates: `make unit` twice
# compiles nothing the second time.
.SECONDARY: $(UNIT_OBJ)

# The binary is installed as libexec-free "envbox-bin"; every applet is a link
# to it, and "envbox" is the sh entrypoint that chains them.
install: $(BIN) $(MAN1)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/envbox-bin
	install -m 0755 applets/envbox.sh $(DESTDIR)$(PREFIX)/bin/envbox
	install -d $(DESTDIR)$(PREFIX)/libexec/envbox
	install -m 0755 scripts/cgroup-v2-prelude $(DESTDIR)$(PREFIX)/libexec/envbox/cgroup-v2-prelude
	install -d $(DESTDIR)$(PREFIX)/share/envbox
	install -m 0644 profiles/seccomp-nesting.json $(DESTDIR)$(PREFIX)/share/envbox/seccomp-nesting.json
	for a in $(APPLETS); do ln -sf envbox-bin $(DESTDIR)$(PREFIX)/bin/$$a; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/envbox $(DESTDIR)$(PREFIX)/bin/envbox-bin
	for a in $(APPLETS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$a; done
	for p in envbox $(APPLETS); do rm -f $(DESTDIR)$(PREFIX)/share/man/man1/$$p.1; done
	rm -f $(DESTDIR)$(PREFIX)/libexec/envbox/cgroup-v2-prelude
	-rmdir $(DESTDIR)$(PREFIX)/libexec/envbox
	rm -f $(DESTDIR)$(PREFIX)/share/envbox/seccomp-nesting.json
	-rmdir $(DESTDIR)$(PREFIX)/share/envbox

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# bats suites run against an install into $(BUILD)/root (ENVBOX_PREFIX);
# SUITES picks some (default: all of tests/*.bats).
SUITES ?= tests/
bats: $(BIN)
	$(MAKE) install DESTDIR= PREFIX=$(abspath $(BUILD))/root
	ENVBOX_PREFIX=$(abspath $(BUILD))/root ENVBOX_BUILD=$(BUILD) bats $(SUITES)

# The nesting workspace's seccomp profile, from the default of the dockerd
# Debian ships (scripts/seccomp-profile; tests/seccomp.bats diffs them).
seccomp-profile:
	scripts/seccomp-profile --debian >profiles/seccomp-nesting.json.tmp
	mv profiles/seccomp-nesting.json.tmp profiles/seccomp-nesting.json

# Debian packages (idempotent; .ci/packages lists them).
deps:
	.ci/install-deps

# Everything CI runs: packages; the unit tests built with gcc; then the unit
# tests and every bats suite once, against ASan+UBSan builds of the applets
# (the suites' real daemons dominate their time, so one pass, sanitized);
# then the gcc build's own suites: its install, and valgrind's memcheck over
# the applets' short runs; last the slow image suite.
test: deps
	$(MAKE) unit
	$(MAKE) sanitize
	$(MAKE) bats SUITES="tests/main.bats tests/valgrind.bats tests/docs.bats"
	$(MAKE) test-image

# ASan+UBSan: the unit tests and the bats suites, in a separate build dir.
# (The image suite builds its own envbox in docker: it runs in test-image.)
sanitize check:
	ENVBOX_SKIP_SLOW=1 ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(MAKE) BUILD=build-san SAN=1 CC=clang unit bats

# The envbox image (Dockerfile); BASE_IMAGE as in its FROM.
BASE_IMAGE ?= debian:bookworm-slim
image:
	docker build -t envbox:latest --build-arg BASE_IMAGE=$(BASE_IMAGE) .

# The slow suite: the image built and the README's one-liners run for real.
test-image: $(BIN)
	$(MAKE) install DESTDIR= PREFIX=$(abspath $(BUILD))/root
	ENVBOX_PREFIX=$(abspath $(BUILD))/root ENVBOX_BUILD=$(BUILD) bats tests/image.bats

# The cgroup v2 machine (tests/vm/vm.sh, docs/testing.md): a qemu guest built
# from Debian packages runs the envbox image under its dockerd and the suites
# in tests/vm/; SUITES="a.bats b.bats" runs those bats files in the guest
# instead (SUITES' default, tests/, means the VM's own). vm-shell: the same
# guest with a shell on the console.
test-vm:
	tests/vm/vm.sh test $(filter-out tests/,$(SUITES))

vm-shell:
	tests/vm/vm.sh shell

# libFuzzer: every tests/fuzz/fuzz_*.c for FUZZ_TIME seconds each, FUZZ_JOBS
# at a time, seeded from tests/fuzz/corpus/NAME (new inputs go to a scratch
# copy). A finding fails the target and prints the fuzzer's report; the
# crashing input is left in build-fuzz/.
FUZZ_TIME ?= 60
FUZZ_JOBS ?= 1
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIB  := $(LIB_SRC:%.c=build-fuzz/%.o)
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
build-fuzz/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	clang $(WARN) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	clang $(WARN) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LDLIBS)
# The lib objects are kept between runs, not removed as intermediates.
.SECONDARY: $(FUZZ_LIB)
fuzz: $(FUZZ_BIN)
	@printf '%s\n' $(FUZZ_BIN) | xargs -P $(FUZZ_JOBS) -I{} sh -c 'tests/fuzz/run.sh {} $(FUZZ_TIME)'

# The main job, shown: a demo workspace from a local registry (scripts/demo.sh).
demo: deps
	$(MAKE) all
	$(MAKE) install DESTDIR= PREFIX=$(abspath $(BUILD))/root
	ENVBOX_PREFIX=$(abspath $(BUILD))/root scripts/demo.sh

# Benchmarks (bench/README.md); not part of `make test`. Needs root and a
# free docker0.
BENCH_RUNS ?= 7
bench: deps $(BIN)
	$(MAKE) install DESTDIR= PREFIX=$(abspath $(BUILD))/root
	ENVBOX_PREFIX=$(abspath $(BUILD))/root bench/run.sh $(BENCH_RUNS)

lint:
	shellcheck -s sh applets/envbox.sh .ci/run scripts/cgroup-v2-prelude scripts/seccomp-profile
	$(MAKE) BUILD=build-clang CC=clang all

clean:
	rm -rf build build-san build-clang build-fuzz

-include $(shell find $(BUILD) build-fuzz -name '*.d' 2>/dev/null)
