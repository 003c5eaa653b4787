/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: the value and event model of a station's IEDs in generated
 * mode.  Every simulated second it moves AI random walks, flips DI bits at
 * the configured rate (DIGITAL events), runs bursts, IED losses (COMSYS
 * code 2, SV bit 4) and, at every 15-minute boundary of the simulated
 * clock, emits each meter's ENERGY records (§5.8).  Simulated time is
 * counted in ticks of 1/128 s (the event timestamp resolution) and the
 * model moves in steps of 1/8 s (1 s beyond --time-scale 16, to bound the
 * work per real second).  Deterministic for a given seed and
 * simulated-time history.
 */
#ifndef SMVE_SIM_GEN_H
#define SMVE_SIM_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <smve/mara.h>

#include "rng.h"
#include "simclock.h"

#define GEN_MAX_SV	MARA_PAYLOAD_MAX
#define GEN_MAX_WORDS	(MARA_PAYLOAD_MAX / 2)

struct gen_ied {
	uint8_t addr;
	uint8_t nsv, ndi, nai;
	bool comaster;		/* the concentrator's own group (§5.3, 2nd table) */
	bool peh;		/* has received a PEH (SV bit 6) */
	bool overflow;		/* event stack overflow (SV bit 5), set by the bus */
	bool lost;		/* simulated communication loss (SV bit 4) */
	int64_t lost_until;	/* tick of the restore */
	uint8_t sv[GEN_MAX_SV];
	uint16_t di[GEN_MAX_WORDS];
	uint16_t forced[GEN_MAX_WORDS];	/* DI bits driven by 0x13 outputs */
	uint16_t ai[GEN_MAX_WORDS];
	double walk[GEN_MAX_WORDS];
	int64_t zero_until[GEN_MAX_WORDS];	/* q = 1 "no pulses" until (tick) */
	double energy[2];	/* current 15-minute interval, per channel */
	double day_total[2];
};

/* Receives every generated event (10 raw bytes) of IED @index. */
typedef void (*gen_sink)(void *ctx, unsigned int index, const uint8_t *raw);

#define GEN_MAX_EVENT_BITS	32

#define GEN_MAX_AI_SPECS	64
#define GEN_MAX_AI_STEPS	16

/* --ai / --ai-steps: what one AI word of one IED does instead of the default walk. */
struct gen_ai {
	uint8_t addr;		/* IED address */
	uint8_t index;		/* AI word within the IED, 0-based */
	uint16_t lo, hi;	/* random walk within lo..hi (12-bit raw values) */
	unsigned int nsteps;	/* > 0: cycle through steps[], each held hold_s */
	uint16_t steps[GEN_MAX_AI_STEPS];
	double hold_s;		/* simulated seconds per step */
};

struct gen_params {
	double event_rate;	/* DIGITAL events per real second, all IEDs */
	double burst_every;	/* real seconds between trips; 0 = none */
	unsigned int burst_size;	/* events per trip, within one second */
	double comsys_every;	/* mean real seconds between IED losses; 0 = none */
	uint64_t seed;
	/*
	 * When non-empty, random DI changes (and trips) only flip these bits, e.g. the contacts a
	 * station's point list names, so a demo shows named alarms rather than spare inputs.
	 */
	unsigned int nbits;
	struct gen_bits {
		uint8_t addr;
		uint8_t port;
		uint16_t mask;
	} bits[GEN_MAX_EVENT_BITS];
	unsigned int nai;	/* --ai / --ai-steps entries */
	struct gen_ai ai[GEN_MAX_AI_SPECS];
};

struct gen {
	struct rng rng;
	struct simclock *clock;	/* not owned */
	struct gen_params p;
	unsigned int count;
	struct gen_ied *ied;	/* owned, count entries in frame order */
	int64_t tick;		/* the model has run up to this tick (1/128 s) */
	int64_t next_burst;	/* tick of the next trip */
	int64_t burst_end;	/* tick by which the current trip is over */
	unsigned int burst_left;	/* changes of the current trip still to come */
	unsigned int step;	/* ticks per model step: 1/8 s, or 1 s when fast */
	gen_sink sink;
	void *ctx;
};

/*
 * Build the model for @l.  The IED whose address is @own_addr (0 = none)
 * gets the COMaster's group.  @meters_synced: meter groups start with the
 * PEH flag set (a COMaster keeps its IEDs synchronised); otherwise every
 * IED waits for a PEH.  Exits on allocation failure.
 */
void gen_init(struct gen *g, const struct mara_layout *l, uint8_t own_addr,
	      bool meters_synced, const struct gen_params *p,
	      struct simclock *clock, gen_sink sink, void *ctx);
void gen_free(struct gen *g);

/* Run the model up to the current simulated time, emitting events. */
void gen_advance(struct gen *g);

/*
 * A PEH set the clock to @sim_ns: re-anchor the model (skipped or repeated
 * intervals produce no records) and set every IED's PEH flag.
 */
void gen_peh(struct gen *g, int64_t sim_ns);

/*
 * 0x13 on the outputs of IED @index, mirrored into its DI word @port bit
 * @bit.  Returns 0 (executed; a DIGITAL event is emitted when the bit
 * changes) or -1 when the port/bit/state does not exist (Bit = FF reply).
 */
int gen_control(struct gen *g, unsigned int index, uint8_t port, uint8_t bit,
		uint8_t state);

/* Index of the IED with address @addr, or -1. */
int gen_find(const struct gen *g, uint8_t addr);

/* Refresh the SV flag byte of IED @index from its state (before a reply). */
void gen_refresh_sv(struct gen *g, unsigned int index);

#endif
