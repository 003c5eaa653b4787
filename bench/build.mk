# Benchmarks: `make bench` builds and runs everything under bench/ (see bench/README.md).
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lm

bench: all $(BENCH_BINS) $(SMVED_BENCH_INGEST) $(SMVED_BENCH_FANOUT)
	@bench/run $(BUILD)

# smved's ingest path (bench/smved/ingest.c) links the daemon's modules; bench/smved/run runs it.
SMVED_BENCH_INGEST := $(BUILD)/bench/smved/ingest
$(BUILD)/obj/bench/smved/ingest.o: XCFLAGS += $(SMVED_CFLAGS) -I$(TOP)/userspace/smved
$(SMVED_BENCH_INGEST): $(BUILD)/obj/bench/smved/ingest.o $(SMVED_LIB) $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SMVED_LIBS)
all: $(SMVED_BENCH_INGEST)

# The fan-out load client (bench/smved/fanout.c), run by bench/smved/run against smved and the
# Node.js reference server alike.
SMVED_BENCH_FANOUT := $(BUILD)/bench/smved/fanout
$(BUILD)/obj/bench/smved/fanout.o: XCFLAGS += $(shell pkg-config --cflags jansson 2>/dev/null)
$(SMVED_BENCH_FANOUT): $(BUILD)/obj/bench/smved/fanout.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs jansson 2>/dev/null) -lpthread
all: $(SMVED_BENCH_FANOUT)
