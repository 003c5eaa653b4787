# SMVE top-level build.  Userspace objects go to $(BUILD)/ (default build/); each directory adds
# its own rules in a build.mk fragment so that components can evolve without touching this file.
#
#   make               userspace: libsmve (.so/.a), smvectl, smve-sim, smved
#   make module        kernel module against the running kernel's headers (KDIR=... to override)
#   make check         every test (installs what is missing; see scripts/deps.sh)
#   make check-quick   unit + integration only: no VM, no browser
#   make check-full    check + PREEMPT_RT kernels
#   make bench | fuzz | install | demo

SHELL       := /bin/bash
BUILD       ?= build
PREFIX      ?= /usr/local
DESTDIR     ?=
SANITIZE    ?=
CC          ?= cc
VERSION     := 0.1.0
SOVERSION   := 0
TOP         := $(abspath .)

WARN        := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -Wpointer-arith -Wcast-align -Wformat=2 -Wvla
CSTD        := -std=c11 -D_GNU_SOURCE
OPT         ?= -O2 -g
ifeq ($(SANITIZE),1)
OPT         := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN       := -fsanitize=address,undefined
endif
CFLAGS_ALL  := $(CSTD) $(WARN) $(OPT) -fPIC -I$(TOP)/userspace/libsmve/include \
               -I$(TOP)/kernel -I$(TOP)/kernel/include/uapi $(CFLAGS)
LDFLAGS_ALL := $(LDSAN) $(LDFLAGS)

.PHONY: all module check check-quick check-full bench fuzz install demo deps clean
all:

include userspace/libsmve/build.mk
include userspace/tools/build.mk
include userspace/smved/build.mk
include tests/build.mk
include bench/build.mk
-include web/build.mk
-include packaging/build.mk

# Compile rule shared by every userspace component: sources anywhere in the tree map to the same
# relative path under $(BUILD)/obj.  Fragments add flags per target with `$(OBJS): XCFLAGS += ...`.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(XCFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- kernel module ---------------------------------------------------------------------------
KDIR ?= /lib/modules/$(shell uname -r)/build
module:
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules

module-clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean

# --- tests -----------------------------------------------------------------------------------
deps:
	@scripts/deps.sh $(DEPS_TIERS)

check: DEPS_TIERS = build check
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(BUILD)-san all
	@BUILD=$(BUILD) tests/run-suites check

check-quick:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(BUILD)-san all
	@BUILD=$(BUILD) tests/run-suites quick

check-full: DEPS_TIERS = build check full
check-full: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(BUILD)-san all
	@BUILD=$(BUILD) tests/run-suites full

demo:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

clean:
	rm -rf $(BUILD) $(BUILD)-san $(BUILD)-fuzz
