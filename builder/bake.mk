# SPDX-License-Identifier: MIT
#
# wgbake build / lint / generalize (libguestfs). Include this BEFORE builder/builder.mk:
# it appends to BUILDER_SRCS, BUILDER_LIBS and BUILDER_UNIT_SRCS.
#
#   make check-image    bake the local Debian base, verify it with virt-cat/guestfish/
#                       virt-inspector, lint it, boot two VMs with OVMF and ping through
#                       WireGuard -> build/results/image.log
#   make base-image     only make (or find in .cache/images) the local Debian 12 base
#   make bench-bake     wgbake build vs virt-customize + virt-sysprep (never fails)

BUILDER_BAKE_SRCS := builder/bake.c builder/bakeutil.c builder/cmd_build.c builder/cmd_fetch.c builder/cmd_lint.c \
	builder/fetch.c builder/generalize.c builder/guest.c builder/imgformat.c builder/lint.c \
	builder/manifest.c builder/proc.c builder/spec.c
BUILDER_SRCS += $(BUILDER_BAKE_SRCS)
BUILDER_LIBS += libguestfs
# Pure: no libguestfs at link time (tests/unit/test-spec.c, test-imgformat.c, test-bake.c).
BUILDER_UNIT_SRCS += builder/spec.c builder/imgformat.c builder/manifest.c builder/bakeutil.c

.PHONY: check-image base-image bench-bake
base-image:
	$(Q)images/make-debian-base.sh >/dev/null

check-image: deps $(SAN_BUILDER) $(AGENT)
	$(Q)mkdir -p $(RESULTS)
	$(Q)tests/image/run.sh --wgbake $(SAN_BUILDER) --agent $(AGENT) --results $(RESULTS)/image.log

bench-bake: deps $(BUILDER) $(AGENT)
	$(Q)tests/bench/b-bake.sh --wgbake $(BUILDER) --agent $(AGENT)
