# SPDX-License-Identifier: MIT
#
# wgbake: golden WireGuard images for Azure, and wgagent, their boot agent.
#
#   make            build agent/wgagent (and builder/wgbake)
#   make deps       install every Debian/npm package the build, tests and demo need
#   make check      everything below, with ASan+UBSan; ends "N passed, N failed"
#   make check-unit | check-fuzz | check-vm | check-azure | check-image | check-imds
#   make fuzz       libFuzzer (clang) on every harness, FUZZ_SECONDS each
#   make demo       bake the local Debian 12 base, boot two VMs from it, show their tunnel
#   make demo-netns a WireGuard tunnel between two namespaces, in a qemu guest
#   make bench      benchmarks (never pass/fail)
#   make install    PREFIX, DESTDIR, BINDIR, SBINDIR, MANDIR, SYSTEMDUNITDIR
#
# Knobs: V=1 (show commands), DEBUG=yes, WERROR=yes (default in this tree).

PREFIX ?= /usr
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= /lib/systemd/system
WITH_AGENT ?= yes
WITH_BUILDER ?= $(if $(wildcard builder/main.c),yes,no)
DEBUG ?= no
WERROR ?= yes

PKG_CONFIG ?= pkg-config
CC ?= cc

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter
ifeq ($(WERROR),yes)
WARNINGS += -Werror
endif

BASE_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARNINGS) -Icommon -Iagent -MMD -MP
ifeq ($(DEBUG),yes)
OPT_CFLAGS := -O0 -g3
else
OPT_CFLAGS := -O2 -g -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
OPT_LDFLAGS := -pie -Wl,-z,relro,-z,now
endif
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# libcurl is dlopen()ed by agent/curl_dl.c, so only its headers are needed here.
AGENT_LIBS := libmnl libsodium json-c
AGENT_PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(AGENT_LIBS) libcurl 2>/dev/null)
AGENT_PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(AGENT_LIBS) 2>/dev/null)

COMMON_SRCS := common/log.c common/key.c common/fileio.c
AGENT_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c))
UNIT_SRCS := $(wildcard tests/unit/*.c)

# Release objects live in build/rel, sanitizer objects in build/san.
rel_objs = $(patsubst %.c,build/rel/%.o,$(1))
san_objs = $(patsubst %.c,build/san/%.o,$(1))

AGENT := agent/wgagent
SAN_AGENT := build/san/agent/wgagent
UNIT := build/san/tests/unit/unit

PROGRAMS :=
ifeq ($(WITH_AGENT),yes)
PROGRAMS += $(AGENT)
endif

# The fragments below define targets of their own; `make` alone still means `all`.
.DEFAULT_GOAL := all

# The builder's stages bring their own source lists and libraries.
include builder/bake.mk
include builder/builder.mk
ifeq ($(WITH_BUILDER),yes)
PROGRAMS += $(BUILDER)
endif

.PHONY: all deps check check-unit check-fuzz check-vm check-imds check-cloud-init demo demo-netns bench bench-vm install clean distclean fuzz
all: $(PROGRAMS)

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(AGENT_PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC-SAN,$<)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(AGENT_PKG_CFLAGS) $(CFLAGS) -Itests/unit -c -o $@ $<

$(AGENT): $(call rel_objs,agent/main.c $(AGENT_SRCS) $(COMMON_SRCS))
	$(call say,LD,$@)$(CC) $(OPT_CFLAGS) $(OPT_LDFLAGS) $(LDFLAGS) -o $@ $^ $(AGENT_PKG_LIBS)

$(SAN_AGENT): $(call san_objs,agent/main.c $(AGENT_SRCS) $(COMMON_SRCS))
	$(call say,LD-SAN,$@)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(AGENT_PKG_LIBS)

$(UNIT): $(call san_objs,$(UNIT_SRCS) $(AGENT_SRCS) $(COMMON_SRCS) $(sort $(BUILDER_UNIT_SRCS)))
	$(call say,LD-SAN,$@)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(AGENT_PKG_LIBS)

# ---------------------------------------------------------------- deps
DEPS_STAMP := build/.deps-ok
deps:
	$(Q)packaging/install-deps.sh
	$(Q)packaging/install-deps-azure.sh

# ---------------------------------------------------------------- tests
# Each suite prints its own "N passed, N failed"; tests/sum-results adds them up.
RESULTS := build/results

check-unit: deps $(UNIT)
	$(Q)mkdir -p $(RESULTS)
	$(Q)$(UNIT) | tee $(RESULTS)/unit.log

# The fuzz harnesses, run over their committed corpora with gcc + ASan/UBSan.
FUZZERS := conf wgnl-dump imds upload
FUZZ_REPLAY := $(patsubst %,build/san/tests/fuzz/replay-%,$(FUZZERS))
# Each harness links the agent's sources and the builder's pure ones (all parsers live there).
FUZZ_SRCS = $(AGENT_SRCS) $(COMMON_SRCS) $(sort $(BUILDER_UNIT_SRCS))
build/san/tests/fuzz/replay-%: build/san/tests/fuzz/fuzz-%.o build/san/tests/fuzz/replay.o \
		$(call san_objs,$(FUZZ_SRCS))
	$(call say,LD-SAN,$@)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(AGENT_PKG_LIBS)

check-fuzz: deps $(FUZZ_REPLAY)
	$(Q)mkdir -p $(RESULTS)
	$(Q)status=0; for f in $(FUZZERS); do \
		build/san/tests/fuzz/replay-$$f fuzz-$$f tests/fuzz/corpus/$$f/* || status=1; \
	done | tee $(RESULTS)/fuzz.log; exit $$status

# Coverage-guided fuzzing with clang's libFuzzer; FUZZ_SECONDS per harness.
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)command -v clang >/dev/null || { echo "make fuzz needs clang: apt-get install clang" >&2; exit 1; }
	$(Q)mkdir -p build/fuzz
	$(Q)for f in $(FUZZERS); do \
		clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Icommon -Iagent \
			tests/fuzz/fuzz-$$f.c $(FUZZ_SRCS) $(AGENT_PKG_CFLAGS) $(AGENT_PKG_LIBS) \
			-o build/fuzz/fuzz-$$f || exit 1; \
		mkdir -p build/fuzz/new-$$f; \
		build/fuzz/fuzz-$$f -max_total_time=$(FUZZ_SECONDS) build/fuzz/new-$$f tests/fuzz/corpus/$$f \
			|| exit 1; \
	done

check-vm: deps $(SAN_AGENT)
	$(Q)mkdir -p $(RESULTS)
	$(Q)tests/vm/run-suite.sh --agent $(SAN_AGENT) --results $(RESULTS)/vm.log tests/vm/t-*.sh

# wgagent against the IMDS stand-in on loopback (host, no root): userData, faults, clones.
check-imds: deps $(SAN_AGENT)
	$(Q)mkdir -p $(RESULTS)
	$(Q)tests/azure/imds/run.sh --agent $(SAN_AGENT) --results $(RESULTS)/imds.log

check: deps
	$(Q)rm -rf $(RESULTS)
	$(Q)$(MAKE) --no-print-directory -k check-unit check-fuzz check-vm check-azure check-image check-imds \
		check-cloud-init; \
	status=$$?; tests/sum-results.sh $(RESULTS)/*.log || status=1; exit $$status

check-cloud-init: deps $(SAN_AGENT)
	$(Q)mkdir -p $(RESULTS)
	$(Q)tests/cloud-init/run.sh --agent $(SAN_AGENT) --results $(RESULTS)/cloud-init.log

# Bakes the local Debian 12 base and boots two VMs from it that bring up a tunnel.
demo: deps $(AGENT) $(BUILDER)
	$(Q)tests/image/demo.sh --wgbake $(BUILDER) --agent $(AGENT)

# The quick one: wgagent between two namespaces in one qemu guest.
demo-netns: deps $(AGENT)
	$(Q)tests/vm/run-suite.sh --agent $(AGENT) --demo tests/vm/demo.sh

# Benchmarks inside a guest (wgagent vs wg-quick / wg setconf / wg syncconf), then on the host.
VM_BENCHES := $(filter-out tests/bench/b-upload.sh tests/bench/b-bake.sh,$(wildcard tests/bench/b-*.sh))
bench: bench-vm bench-upload bench-bake
bench-vm: deps $(AGENT)
	$(Q)tests/vm/run-suite.sh --agent $(AGENT) --bench $(VM_BENCHES)

# ---------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(AGENT) $(DESTDIR)$(SBINDIR)/wgagent
ifeq ($(WITH_BUILDER),yes)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILDER) $(DESTDIR)$(BINDIR)/wgbake
endif

clean:
	rm -rf build $(AGENT) builder/wgbake

distclean: clean
	rm -rf .cache

.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
