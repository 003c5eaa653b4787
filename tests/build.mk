# Unit tests (tests/unit/test_*.c, one TAP-printing program each) and fuzz targets
# (tests/fuzz/fuzz_*.c, libFuzzer).  Unit tests are built with `all` so that the sanitized build
# (make SANITIZE=1 BUILD=build-san) has them too.
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_HELPERS := $(sort $(wildcard tests/unit/lib/*.c))
UNIT_HELPER_OBJS := $(UNIT_HELPERS:%.c=$(BUILD)/obj/%.o)

all: $(UNIT_BINS)
$(UNIT_SRCS:%.c=$(BUILD)/obj/%.o) $(UNIT_HELPER_OBJS): XCFLAGS += -I$(TOP)/tests/unit/lib

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_HELPER_OBJS) $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lm

# Daemon unit tests link the daemon's modules (everything but main.c) and its libraries.
$(BUILD)/obj/tests/unit/test_smved_%.o: XCFLAGS += $(SMVED_CFLAGS) -I$(TOP)/userspace/smved
$(BUILD)/tests/unit/test_smved_%: $(BUILD)/obj/tests/unit/test_smved_%.o $(UNIT_HELPER_OBJS) $(SMVED_LIB) $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SMVED_LIBS)

# --- fuzzing (clang + libFuzzer) -------------------------------------------------------------
FUZZ_SRCS     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BUILD    := $(BUILD)-fuzz
FUZZ_BINS     := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIBSRCS  := kernel/mara.c $(sort $(wildcard userspace/libsmve/src/*.c))
FUZZ_SECONDS  ?= 60
FUZZ_CFLAGS   := $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                 -I$(TOP)/userspace/libsmve/include -I$(TOP)/kernel -I$(TOP)/kernel/include/uapi

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_LIBSRCS) $(wildcard kernel/*.h userspace/libsmve/include/smve/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBSRCS)

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Fuzz targets that include daemon sources directly (the formula language and element table).
$(FUZZ_BUILD)/fuzz_formula $(FUZZ_BUILD)/fuzz_elements: $(wildcard userspace/smved/formula*.[ch] userspace/smved/elements*.[ch] userspace/smved/csv*.[ch])
$(FUZZ_BUILD)/fuzz_http: userspace/smved/http_parse.c userspace/smved/http_chunked.c userspace/smved/http.h
$(FUZZ_BUILD)/fuzz_http: FUZZ_CFLAGS += $(SMVED_CFLAGS) -I$(TOP)/userspace/smved
