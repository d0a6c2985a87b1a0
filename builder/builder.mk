# SPDX-License-Identifier: MIT
#
# wgbake, the image builder: included by the top-level Makefile, which defines BASE_CFLAGS,
# OPT_CFLAGS, OPT_LDFLAGS, SAN_FLAGS, PKG_CONFIG, COMMON_SRCS, RESULTS, rel_objs, san_objs,
# say and Q.
#
#   make builder/wgbake                  release build (objects in build/rel/builder)
#   make build/san/builder/wgbake        ASan+UBSan build (objects in build/san/builder)
#   make deps-azure                      Node.js, npm and Azurite for the tests
#   make check-azure                     Azurite + fault proxy suite -> build/results/azure.log
#   make bench-upload                    wgbake upload vs az storage blob upload (never fails)
#
# BUILDER_UNIT_SRCS: the builder's pure sources that tests/unit/test-vhd.c and
# tests/unit/test-blob*.c need; add them to the unit binary's objects. (The test files
# themselves come in through the wildcard over tests/unit/*.c.)

BUILDER_LIBS += libcurl libsodium json-c
BUILDER_PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(sort $(BUILDER_LIBS)) 2>/dev/null)
BUILDER_PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(sort $(BUILDER_LIBS)) 2>/dev/null)

# The vhd/upload sources, listed rather than globbed: other stages (bake, publish) share the
# folder and bring their own lists and libraries; they append to BUILDER_SRCS and
# BUILDER_LIBS, before or after this file is included (the link rules expand late), and to
# BUILDER_UNIT_SRCS before the unit binary's rule.
BUILDER_UPLOAD_SRCS := builder/blob.c builder/cmd_upload.c builder/cmd_vhd.c builder/cred.c \
	builder/disk.c builder/http.c builder/httputil.c builder/md5.c builder/progress.c \
	builder/ranges.c builder/state.c builder/upload.c builder/vhd.c
BUILDER_SRCS += $(BUILDER_UPLOAD_SRCS)
BUILDER_UNIT_SRCS += builder/vhd.c builder/ranges.c builder/state.c builder/md5.c \
	builder/cred.c builder/httputil.c

BUILDER := builder/wgbake
SAN_BUILDER := build/san/builder/wgbake

# Pattern-specific, so that they hold for sources other fragments add, in any order.
build/rel/builder/%.o: AGENT_PKG_CFLAGS += $(BUILDER_PKG_CFLAGS)
build/san/builder/%.o: AGENT_PKG_CFLAGS += $(BUILDER_PKG_CFLAGS)

# Second expansion: BUILDER_SRCS is read when make runs the rule, after every fragment has
# added to it, whether it was included before or after this one.
.SECONDEXPANSION:
$(BUILDER): $$(call rel_objs,builder/main.c $$(sort $$(BUILDER_SRCS)) $$(COMMON_SRCS))
	$(call say,LD,$@)$(CC) $(OPT_CFLAGS) $(OPT_LDFLAGS) $(LDFLAGS) -o $@ $^ $(BUILDER_PKG_LIBS)

$(SAN_BUILDER): $$(call san_objs,builder/main.c $$(sort $$(BUILDER_SRCS)) $$(COMMON_SRCS))
	$(call say,LD-SAN,$@)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(BUILDER_PKG_LIBS)

.PHONY: deps-azure check-azure bench-upload
deps-azure:
	$(Q)packaging/install-deps-azure.sh

check-azure: deps-azure $(SAN_BUILDER)
	$(Q)mkdir -p $(RESULTS)
	$(Q)tests/azure/run.sh --wgbake $(SAN_BUILDER) --results $(RESULTS)/azure.log

# On the host, not in the VM harness; installs azure-cli (only the benchmark needs it).
bench-upload: $(BUILDER)
	$(Q)packaging/install-deps-bench.sh
	$(Q)tests/bench/b-upload.sh --wgbake $(BUILDER)
