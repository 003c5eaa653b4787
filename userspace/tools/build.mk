# Command-line tools: smvectl (decode/poll/bus/watch) and smve-sim (concentrator and bus simulator).
SMVECTL_SRCS := $(sort $(wildcard userspace/tools/smvectl/*.c))
SMVECTL_OBJS := $(SMVECTL_SRCS:%.c=$(BUILD)/obj/%.o)
SMVESIM_SRCS := $(sort $(wildcard userspace/tools/smve-sim/*.c))
SMVESIM_OBJS := $(SMVESIM_SRCS:%.c=$(BUILD)/obj/%.o)
TOOLS_COMMON_SRCS := $(sort $(wildcard userspace/tools/common/*.c))
TOOLS_COMMON_OBJS := $(TOOLS_COMMON_SRCS:%.c=$(BUILD)/obj/%.o)

$(SMVECTL_OBJS) $(SMVESIM_OBJS) $(TOOLS_COMMON_OBJS): XCFLAGS += -I$(TOP)/userspace/tools/common

ifneq ($(SMVECTL_SRCS),)
all: $(BUILD)/bin/smvectl
$(BUILD)/bin/smvectl: $(SMVECTL_OBJS) $(TOOLS_COMMON_OBJS) $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lm
endif

ifneq ($(SMVESIM_SRCS),)
all: $(BUILD)/bin/smve-sim
$(BUILD)/bin/smve-sim: $(SMVESIM_OBJS) $(TOOLS_COMMON_OBJS) $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lm -lutil
endif

.PHONY: install-tools
install: install-tools
install-tools: all
	install -d $(DESTDIR)$(PREFIX)/bin
	for p in smvectl smve-sim; do [ -x $(BUILD)/bin/$$p ] && install -m 0755 $(BUILD)/bin/$$p $(DESTDIR)$(PREFIX)/bin/ || true; done
