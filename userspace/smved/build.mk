# smved, the daemon.
SMVED_SRCS := $(sort $(wildcard userspace/smved/*.c))
SMVED_OBJS := $(SMVED_SRCS:%.c=$(BUILD)/obj/%.o)

ifneq ($(SMVED_SRCS),)
all: $(BUILD)/bin/smved
$(BUILD)/bin/smved: $(SMVED_OBJS) $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^
endif
