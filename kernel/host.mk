# Host (userspace) build of the module's freestanding core, so that the bus master's decision logic
# runs in the unit tests exactly as compiled into smve.ko.  Included from packaging/build.mk.
SMVE_CORE_SRCS := kernel/smve_link.c kernel/smve_timing.c
SMVE_CORE_OBJS := $(SMVE_CORE_SRCS:%.c=$(BUILD)/obj/%.o)

$(filter $(BUILD)/tests/unit/test_bus%,$(UNIT_BINS)): $(SMVE_CORE_OBJS)
