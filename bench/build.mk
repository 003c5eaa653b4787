# Benchmarks: `make bench` builds and runs everything under bench/ (see bench/README.md).
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lm

bench: all $(BENCH_BINS)
	@bench/run $(BUILD)
