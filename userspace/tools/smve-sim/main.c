// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve-sim: command line.  Two modes, each with its own option table so
 * that an option of the other mode is an error rather than silently
 * ignored: "concentrator" (a COMaster on Mara/TCP) and "bus" (IEDs on an
 * RS485 line).  Every invalid value exits with status 2 and a message
 * naming the option.
 */
#include "config.h"
#include "station.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
"Usage: smve-sim concentrator --listen ADDR:PORT --layout L [options]\n"
"       smve-sim concentrator --listen ADDR:PORT --replay FILE [options]\n"
"       smve-sim bus (--pty | --socket PATH) --ied ADDR[:SV,DI,AI][:DELAY_US] ... [options]\n"
"       smve-sim --help\n"
"\n"
"Simulates the slaves of the Mara 1.4 protocol (spec shared/spec/mara.md) for\n"
"tests and demos: a concentrator (COMaster) serving Mara/TCP, or IEDs on an\n"
"RS485 line.  Both apply the slave rules of spec 3.1: a request repeating the\n"
"stored SEQ (while a reply is stored) gets the stored reply byte for byte and\n"
"executes nothing; a new SEQ acknowledges (removes) the events of the previous\n"
"reply and gets a fresh reply with SEQ = the request's; frames with a bad BCC\n"
"or for another address change nothing; broadcasts (DST FF) are processed and\n"
"never answered.  PEH (0x12) sets the simulated clock.  0x13 flips an output\n"
"that is mirrored into the DI bit of the same port/bit of the addressed unit\n"
"(the concentrator's own group for TCP) and emits its DIGITAL event; a port\n"
"without a DI word there, a bit > 15 or a state > 1 gets Bit = FF.\n"
"\n"
"concentrator mode:\n"
"  --listen ADDR:PORT     TCP address (PORT 0 = any free port); the address\n"
"                         actually bound is printed first on stdout as\n"
"                         'listen HOST:PORT'\n"
"  --layout L             IEDs in frame order, 'addr:sv_bytes,di_words,ai_words'\n"
"                         separated by spaces, e.g. '1:6,3,4 2:6,1,2 3:6,1,2';\n"
"                         the IED at --addr gets the COMaster group (spec 5.3)\n"
"  --addr A               our address (default 1): DST of requests, SRC of replies\n"
"  --replay FILE          serve recorded 0x10 replies in order (one frame per line\n"
"                         in hex); each is verified at start-up, its DST/SRC/SEQ\n"
"                         and BCC rewritten to answer the request; --layout, if\n"
"                         given, must match every frame; 0x13 is refused\n"
"  --replay-end loop|stop at the end of the file start again (default) or leave\n"
"                         new polls unanswered (retries are still answered)\n"
"  --reset-on-connect     forget the stored SEQ and retry buffer on every new\n"
"                         connection (default: they survive reconnects)\n"
"  --max-clients N        concurrent connections (default 64; more are refused)\n"
"  --queue N              events held before new ones are refused (default 4096)\n"
"  --comsys-every S       mean real seconds between IED losses: COMSYS code 2\n"
"                         motive 0, SV bit 4 while lost, motive 1 on restore\n"
"                         (default 1800, 0 = never)\n"
"  replies carry as many events as fit in 253 bytes (spec 5.2)\n"
"\n"
"bus mode:\n"
"  --pty                  create a pseudo-terminal; 'pty /dev/pts/N' is printed\n"
"                         first on stdout\n"
"  --socket PATH          listen on a unix stream socket (QEMU -chardev\n"
"                         socket,path=PATH connects to it; reconnects accepted);\n"
"                         'socket PATH' is printed first on stdout\n"
"  --ied ADDR[:SV,DI,AI][:DELAY_US]\n"
"                         one IED (repeat for more); layout default 6,1,2; the\n"
"                         reply delay defaults to TO2 = 5 Tc after the request\n"
"  --baud B               line speed for pacing and timeouts (default 115200)\n"
"  --bits N               bits per character (default 10, i.e. 8N1); Tc = N / B\n"
"  --to1 US               inter-byte timeout: a partial frame is dropped after a\n"
"                         longer gap (default 3 Tc)\n"
"  --seq-compare bit7|byte  how an IED compares SEQ (default bit7)\n"
"  --timing-log FILE      JSON lines per request (first/last byte read, the\n"
"                         master's turnaround since our last reply), per reply\n"
"                         and per polling cycle; times are CLOCK_MONOTONIC ns\n"
"  each IED replies with at most 2 events and holds at most 5; when its stack\n"
"  is full further events are refused and SV bit 5 is set until an ack makes\n"
"  room; SV bit 6 stays 0 until the first PEH\n"
"\n"
"common options:\n"
"  --name NAME            source name in the events log (default: the mode)\n"
"  --events-log FILE      append JSON lines: {\"t\":\"out\"|\"ack\"|\"refused\",\n"
"                         \"src\",\"ied\",\"id\",\"seq\",\"raw\",\"type\",\"time\",...}\n"
"                         for each event handed out in a fresh reply, each\n"
"                         acknowledgement by a following new SEQ, each refusal\n"
"  --seed N               seed of every random choice (default 1)\n"
"  --start now|YYYY-MM-DDTHH:MM:SS  initial simulated local time (default now)\n"
"  --time-scale X         simulated seconds per real second (default 1)\n"
"  --event-rate N         DIGITAL events per real second, all IEDs (default 0.2)\n"
"  --event-bits A:P:MASK  random DI changes only flip these bits of IED A, DI word P\n"
"                         (repeatable; default: any DI bit of any IED)\n"
"  --ai A:N:LO-HI         AI word N (0-based) of IED A walks at random within raw\n"
"                         LO..HI (0..4095) instead of the default model, e.g. a\n"
"                         station's plausible range (repeatable)\n"
"  --ai-steps A:N:V1,V2,...:S  AI word N of IED A takes the raw values in turn,\n"
"                         each for S simulated seconds, cycling (q 0; tests)\n"
"  --burst-every S        a trip every S real seconds (default 0 = never)...\n"
"  --burst-size N         ...changing N contacts within one second (default 30)\n"
"  --broadcast-seq store|aa|none  what a broadcast does to the stored SEQ\n"
"                         (default store, as observed on production COMasters)\n"
"  -v, --verbose          log what happens on stderr (twice: more)\n"
"  Every meter emits 15-minute ENERGY records per channel (codes 0, 1 and 3 at\n"
"  23:59, spec 5.8) at the boundaries of the simulated clock.\n"
"\n"
"faults (decisions are deterministic for a given --seed):\n"
"  --drop P               probability of not answering a request (it is still\n"
"                         processed: the reply waits in the retry buffer)\n"
"  --corrupt P            probability of changing one byte of a reply\n"
"  --delay MS[:JITTER]    extra reply delay, plus 0..JITTER ms\n"
"  concentrator only:\n"
"  --split                write replies in random 1..16-byte chunks, 0..5 ms apart\n"
"  --disconnect P         probability per request of closing the connection\n"
"                         instead of answering (the request is processed)\n"
"  bus only:\n"
"  --silence ADDR[:P][@S] IED ADDR ignores requests (with probability P, default 1);\n"
"                         with @S only from S seconds after the first request to it\n"
"  --noise P              probability of 1..16 garbage bytes (never FE) before a reply\n"
"  --bad-bcc P            probability of a reply with a wrong BCC\n"
"  --wrong-addr P         probability of a reply with a wrong SRC (valid BCC)\n"
"  --wrong-seq P          probability of a reply with SEQ bit 7 flipped (valid BCC)\n"
"  --echo                 echo every request back first, like a half-duplex adapter\n"
"\n"
"SIGINT or SIGTERM stop the simulator cleanly.  Exit status: 0 after a signal,\n"
"1 on a runtime error, 2 on invalid usage.\n";

enum { OPT_COMMON = 1000 };

#define COMMON_OPTS                                                  \
	{ "name", required_argument, NULL, OPT_COMMON },             \
	{ "events-log", required_argument, NULL, OPT_COMMON },       \
	{ "seed", required_argument, NULL, OPT_COMMON },             \
	{ "start", required_argument, NULL, OPT_COMMON },            \
	{ "time-scale", required_argument, NULL, OPT_COMMON },       \
	{ "event-rate", required_argument, NULL, OPT_COMMON },       \
	{ "event-bits", required_argument, NULL, OPT_COMMON },       \
	{ "ai", required_argument, NULL, OPT_COMMON },               \
	{ "ai-steps", required_argument, NULL, OPT_COMMON },         \
	{ "burst-every", required_argument, NULL, OPT_COMMON },      \
	{ "burst-size", required_argument, NULL, OPT_COMMON },       \
	{ "broadcast-seq", required_argument, NULL, OPT_COMMON },    \
	{ "drop", required_argument, NULL, OPT_COMMON },             \
	{ "corrupt", required_argument, NULL, OPT_COMMON },          \
	{ "delay", required_argument, NULL, OPT_COMMON },            \
	{ "verbose", no_argument, NULL, 'v' },                       \
	{ "help", no_argument, NULL, 'h' }

static const struct option co_opts[] = {
	COMMON_OPTS,
	{ "listen", required_argument, NULL, OPT_COMMON },
	{ "layout", required_argument, NULL, OPT_COMMON },
	{ "addr", required_argument, NULL, OPT_COMMON },
	{ "replay", required_argument, NULL, OPT_COMMON },
	{ "replay-end", required_argument, NULL, OPT_COMMON },
	{ "reset-on-connect", no_argument, NULL, OPT_COMMON },
	{ "max-clients", required_argument, NULL, OPT_COMMON },
	{ "queue", required_argument, NULL, OPT_COMMON },
	{ "split", no_argument, NULL, OPT_COMMON },
	{ "disconnect", required_argument, NULL, OPT_COMMON },
	{ "comsys-every", required_argument, NULL, OPT_COMMON },
	{ NULL, 0, NULL, 0 }
};

static const struct option bus_opts[] = {
	COMMON_OPTS,
	{ "pty", no_argument, NULL, OPT_COMMON },
	{ "socket", required_argument, NULL, OPT_COMMON },
	{ "ied", required_argument, NULL, OPT_COMMON },
	{ "baud", required_argument, NULL, OPT_COMMON },
	{ "bits", required_argument, NULL, OPT_COMMON },
	{ "to1", required_argument, NULL, OPT_COMMON },
	{ "seq-compare", required_argument, NULL, OPT_COMMON },
	{ "timing-log", required_argument, NULL, OPT_COMMON },
	{ "silence", required_argument, NULL, OPT_COMMON },
	{ "noise", required_argument, NULL, OPT_COMMON },
	{ "bad-bcc", required_argument, NULL, OPT_COMMON },
	{ "wrong-addr", required_argument, NULL, OPT_COMMON },
	{ "wrong-seq", required_argument, NULL, OPT_COMMON },
	{ "echo", no_argument, NULL, OPT_COMMON },
	{ NULL, 0, NULL, 0 }
};

static void usage(void)
{
	fputs(usage_text, stdout);
	exit(0);
}

static void common_defaults(struct sim_common *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->time_scale = 1.0;
	c->start_ns = -1;
	c->gen.event_rate = 0.2;
	c->gen.burst_size = 30;
	c->gen.seed = 1;
	c->bcast = BCAST_SEQ_STORE;
}

/* Settle what depends on several options, once all are parsed. */
static void common_finish(struct sim_common *c)
{
	if (c->start_ns < 0)
		c->start_ns = simclock_host_local();
	faults_init(&c->faults, c->gen.seed);
}

/*
 * --ai A:N:LO-HI (random walk of AI word N of IED A within raw LO..HI) or
 * --ai-steps A:N:V1,V2,...:S (the values in turn, each held S simulated
 * seconds, cycling).  A later entry for the same word replaces it.
 */
static void parse_ai(struct gen_params *g, const char *name, const char *arg)
{
	struct gen_ai a = { 0 };
	unsigned int addr, idx, lo, hi;
	int used = 0;
	char tail;

	if (!strcmp(name, "ai")) {
		if (sscanf(arg, "%u:%u:%u-%u%c", &addr, &idx, &lo, &hi, &tail) != 4 ||
		    addr < 1 || addr > 254 || idx >= GEN_MAX_WORDS || lo > hi || hi > 4095)
			sim_usage_error("--ai: '%s' is not ADDR:N:LO-HI with 0 <= LO <= HI <= 4095"
					" (e.g. 1:0:1742-1850)", arg);
		a.lo = (uint16_t)lo;
		a.hi = (uint16_t)hi;
	} else {
		const char *p;

		if (sscanf(arg, "%u:%u:%n", &addr, &idx, &used) != 2 || !used || addr < 1 ||
		    addr > 254 || idx >= GEN_MAX_WORDS)
			sim_usage_error("--ai-steps: '%s' is not ADDR:N:V1,V2,...:SECONDS", arg);
		for (p = arg + used; ; p++) {
			char *end;
			unsigned long v = strtoul(p, &end, 10);

			if (end == p || v > 4095 || a.nsteps == GEN_MAX_AI_STEPS)
				sim_usage_error("--ai-steps: '%s': 1..%d raw values 0..4095 expected",
						arg, GEN_MAX_AI_STEPS);
			a.steps[a.nsteps++] = (uint16_t)v;
			p = end;
			if (*p != ',')
				break;
		}
		if (*p != ':')
			sim_usage_error("--ai-steps: '%s' is not ADDR:N:V1,V2,...:SECONDS", arg);
		a.hold_s = sim_parse_double(p + 1, 0.125, 86400, "--ai-steps SECONDS");
	}
	a.addr = (uint8_t)addr;
	a.index = (uint8_t)idx;
	for (unsigned int i = 0; i < g->nai; i++) {
		if (g->ai[i].addr == a.addr && g->ai[i].index == a.index) {
			g->ai[i] = a;
			return;
		}
	}
	if (g->nai >= GEN_MAX_AI_SPECS)
		sim_usage_error("--ai/--ai-steps: at most %d entries", GEN_MAX_AI_SPECS);
	g->ai[g->nai++] = a;
}

static bool common_option(struct sim_common *c, const char *name,
			  const char *arg)
{
	if (!strcmp(name, "name")) {
		if (!*arg || strlen(arg) > 63)
			sim_usage_error("--name: 1..63 characters");
		c->name = arg;
	} else if (!strcmp(name, "events-log")) {
		c->events_log = arg;
	} else if (!strcmp(name, "seed")) {
		c->gen.seed = sim_parse_u64(arg, "--seed");
	} else if (!strcmp(name, "start")) {
		c->start_ns = simclock_parse(arg);
		if (c->start_ns < 0)
			sim_usage_error("--start: '%s' is not 'now' or a valid YYYY-MM-DDTHH:MM:SS in 2000..2253",
					arg);
	} else if (!strcmp(name, "time-scale")) {
		c->time_scale = sim_parse_double(arg, 0.001, 100000,
						 "--time-scale");
	} else if (!strcmp(name, "event-rate")) {
		c->gen.event_rate = sim_parse_double(arg, 0, 10000,
						     "--event-rate");
	} else if (!strcmp(name, "event-bits")) {
		struct gen_bits *b = &c->gen.bits[c->gen.nbits];
		unsigned int addr, port;
		int mask;
		char tail;

		if (c->gen.nbits >= GEN_MAX_EVENT_BITS)
			sim_usage_error("--event-bits: at most %d entries", GEN_MAX_EVENT_BITS);
		if (sscanf(arg, "%u:%u:%i%c", &addr, &port, &mask, &tail) != 3 || addr < 1 ||
		    addr > 254 || port > 7 || mask < 1 || mask > 0xFFFF)
			sim_usage_error("--event-bits: '%s' is not ADDR:PORT:MASK (e.g. 1:0:0xFFFF)", arg);
		b->addr = (uint8_t)addr;
		b->port = (uint8_t)port;
		b->mask = (uint16_t)mask;
		c->gen.nbits++;
	} else if (!strcmp(name, "ai") || !strcmp(name, "ai-steps")) {
		parse_ai(&c->gen, name, arg);
	} else if (!strcmp(name, "burst-every")) {
		c->gen.burst_every = sim_parse_double(arg, 0, 86400 * 365.0,
						      "--burst-every");
	} else if (!strcmp(name, "burst-size")) {
		c->gen.burst_size = (unsigned int)sim_parse_int(arg, 0, 256,
								"--burst-size");
	} else if (!strcmp(name, "comsys-every")) {
		c->gen.comsys_every = sim_parse_double(arg, 0, 86400 * 365.0,
						       "--comsys-every");
	} else if (!strcmp(name, "broadcast-seq")) {
		if (!strcmp(arg, "store"))
			c->bcast = BCAST_SEQ_STORE;
		else if (!strcmp(arg, "aa"))
			c->bcast = BCAST_SEQ_AA;
		else if (!strcmp(arg, "none"))
			c->bcast = BCAST_SEQ_NONE;
		else
			sim_usage_error("--broadcast-seq: '%s' is not store, aa or none",
					arg);
	} else {
		return faults_option(&c->faults, name, arg);
	}
	return true;
}

static void parse_layout(struct mara_layout *l, const char *text,
			 const char *what)
{
	size_t pos = 0;

	if (mara_layout_parse(l, text, strlen(text), &pos) < 0)
		sim_usage_error("%s: invalid layout '%s' at character %zu ('%.8s'); expected 'addr:sv_bytes,di_words,ai_words ...' with unique addresses 1..254",
				what, text, pos + 1, text + pos);
}

/*
 * The option loop both modes share: -v, -h and the common options are
 * handled here; returns the long name of the next mode-specific option (its
 * argument in optarg), or NULL when the options end.
 */
static const char *next_mode_option(int argc, char **argv,
				    const struct option *opts,
				    struct sim_common *c, const char *mode)
{
	int opt, idx;

	while ((opt = getopt_long(argc, argv, "vh", opts, &idx)) != -1) {
		if (opt == 'v') {
			sim_verbose++;
			continue;
		}
		if (opt == 'h')
			usage();
		if (opt != OPT_COMMON)
			sim_usage_error("%s: invalid option", mode);
		if (!common_option(c, opts[idx].name, optarg))
			return opts[idx].name;
	}
	return NULL;
}

/* Every --ai/--ai-steps entry must name an AI word of the layout: a typo is no silent no-op. */
static void check_ai_specs(const struct gen_params *g, const struct mara_layout *l)
{
	for (unsigned int i = 0; i < g->nai; i++) {
		unsigned int k;

		for (k = 0; k < l->count && l->ied[k].addr != g->ai[i].addr; k++)
			;
		if (k == l->count || g->ai[i].index >= l->ied[k].ai_words)
			sim_usage_error("--ai/--ai-steps: IED %u has no AI word %u in the layout",
					g->ai[i].addr, g->ai[i].index);
	}
}

static void check_fits(const struct mara_layout *l, unsigned int first,
		       unsigned int n, const char *what)
{
	unsigned int need = station_fixed_payload(l, first, n);

	if (need > MARA_PAYLOAD_MAX)
		sim_usage_error("%s: the reply needs %u payload bytes before any event; a frame holds %d",
				what, need, MARA_PAYLOAD_MAX);
}

static int run_concentrator(int argc, char **argv)
{
	struct co_config cfg;
	const char *name;

	memset(&cfg, 0, sizeof(cfg));
	common_defaults(&cfg.c, "concentrator");
	cfg.c.gen.comsys_every = 1800;
	cfg.addr = MARA_ADDR_COMASTER;
	cfg.replay_loop = true;
	cfg.max_clients = 64;
	cfg.queue = 4096;
	while ((name = next_mode_option(argc, argv, co_opts, &cfg.c,
					"concentrator"))) {
		if (!strcmp(name, "listen")) {
			cfg.listen = optarg;
		} else if (!strcmp(name, "layout")) {
			parse_layout(&cfg.layout, optarg, "--layout");
			if (!cfg.layout.count)
				sim_usage_error("--layout: no IED given");
			cfg.have_layout = true;
		} else if (!strcmp(name, "addr")) {
			cfg.addr = (uint8_t)sim_parse_int(optarg, 1, 254, "--addr");
		} else if (!strcmp(name, "replay")) {
			cfg.replay = optarg;
		} else if (!strcmp(name, "replay-end")) {
			if (!strcmp(optarg, "loop"))
				cfg.replay_loop = true;
			else if (!strcmp(optarg, "stop"))
				cfg.replay_loop = false;
			else
				sim_usage_error("--replay-end: '%s' is not loop or stop",
						optarg);
		} else if (!strcmp(name, "reset-on-connect")) {
			cfg.reset_on_connect = true;
		} else if (!strcmp(name, "max-clients")) {
			cfg.max_clients = (unsigned int)sim_parse_int(optarg, 1, 1000,
								      "--max-clients");
		} else if (!strcmp(name, "queue")) {
			cfg.queue = (unsigned int)sim_parse_int(optarg, MARA_EVENTS_MAX,
								10000000, "--queue");
		}
	}
	if (optind < argc)
		sim_usage_error("concentrator: unexpected argument '%s'",
				argv[optind]);
	if (!cfg.listen)
		sim_usage_error("concentrator: --listen ADDR:PORT is required");
	if (!cfg.have_layout && !cfg.replay)
		sim_usage_error("concentrator: --layout is required (unless --replay)");
	if (cfg.have_layout)
		check_fits(&cfg.layout, 0, cfg.layout.count, "--layout");
	if (cfg.c.gen.nai && !cfg.have_layout)
		sim_usage_error("--ai/--ai-steps need --layout (they do not apply to --replay)");
	if (cfg.have_layout)
		check_ai_specs(&cfg.c.gen, &cfg.layout);
	common_finish(&cfg.c);
	return concentrator_run(&cfg);
}

/* --ied ADDR[:SV,DI,AI][:DELAY_US] */
static void parse_ied(struct bus_config *cfg, const char *arg)
{
	char buf[128], text[160], *lay, *delay = NULL;
	struct mara_layout one;
	unsigned int i, n = cfg->layout.count;
	long long addr;

	if (strlen(arg) >= sizeof(buf))
		sim_usage_error("--ied: '%s' is too long", arg);
	if (n == BUS_MAX_IEDS)
		sim_usage_error("--ied: at most %d IEDs", BUS_MAX_IEDS);
	strcpy(buf, arg);
	lay = strchr(buf, ':');
	if (lay) {
		*lay++ = '\0';
		delay = strchr(lay, ':');
		if (delay)
			*delay++ = '\0';
	}
	addr = sim_parse_int(buf, 2, 254, "--ied ADDR");
	snprintf(text, sizeof(text), "%lld:%s", addr,
		 lay && *lay ? lay : "6,1,2");
	parse_layout(&one, text, "--ied");
	if (one.count != 1)
		sim_usage_error("--ied: '%s' describes %u IEDs", arg, one.count);
	for (i = 0; i < n; i++)
		if (cfg->layout.ied[i].addr == addr)
			sim_usage_error("--ied: address %lld given twice", addr);
	if (addr > 31)
		sim_warn("--ied %lld: events carry 5 address bits; a COMaster could not attribute them",
			 addr);
	cfg->layout.ied[n] = one.ied[0];
	cfg->delay_ns[n] = delay && *delay ?
		sim_parse_int(delay, 0, 10000000, "--ied DELAY_US") * NSEC_PER_USEC :
		-1;
	cfg->layout.count++;
	check_fits(&cfg->layout, n, 1, "--ied");
}

static int run_bus(int argc, char **argv)
{
	struct bus_config cfg;
	const char *name;

	memset(&cfg, 0, sizeof(cfg));
	common_defaults(&cfg.c, "bus");
	cfg.baud = 115200;
	cfg.bits = 10;
	cfg.seq_cmp = SEQ_CMP_BIT7;
	cfg.to1_ns = -1;
	while ((name = next_mode_option(argc, argv, bus_opts, &cfg.c,
					"bus"))) {
		if (!strcmp(name, "pty")) {
			cfg.pty = true;
		} else if (!strcmp(name, "socket")) {
			if (!*optarg)
				sim_usage_error("--socket: empty path");
			cfg.socket = optarg;
		} else if (!strcmp(name, "ied")) {
			parse_ied(&cfg, optarg);
		} else if (!strcmp(name, "baud")) {
			cfg.baud = (unsigned int)sim_parse_int(optarg, 50, 4000000,
							       "--baud");
		} else if (!strcmp(name, "bits")) {
			cfg.bits = (unsigned int)sim_parse_int(optarg, 7, 13, "--bits");
		} else if (!strcmp(name, "to1")) {
			cfg.to1_ns = sim_parse_int(optarg, 1, 10000000, "--to1") *
				     NSEC_PER_USEC;
		} else if (!strcmp(name, "seq-compare")) {
			if (!strcmp(optarg, "bit7"))
				cfg.seq_cmp = SEQ_CMP_BIT7;
			else if (!strcmp(optarg, "byte"))
				cfg.seq_cmp = SEQ_CMP_BYTE;
			else
				sim_usage_error("--seq-compare: '%s' is not bit7 or byte",
						optarg);
		} else if (!strcmp(name, "timing-log")) {
			cfg.timing_log = optarg;
		}
	}
	if (optind < argc)
		sim_usage_error("bus: unexpected argument '%s'", argv[optind]);
	if (cfg.pty == !!cfg.socket)
		sim_usage_error("bus: give exactly one of --pty and --socket PATH");
	if (!cfg.layout.count)
		sim_usage_error("bus: at least one --ied ADDR is required");
	check_ai_specs(&cfg.c.gen, &cfg.layout);
	common_finish(&cfg.c);
	return bus_run(&cfg);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2)
		sim_usage_error("a mode is required: concentrator or bus");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		usage();
	sim_signals_init();
	if (!strcmp(argv[1], "concentrator"))
		rc = run_concentrator(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "bus"))
		rc = run_bus(argc - 1, argv + 1);
	else
		sim_usage_error("unknown mode '%s': expected concentrator or bus",
				argv[1]);
	return rc;
}
