// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: generated values and events (see gen.h). */
#include "gen.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TICKS		128	/* per second: the 1/128 s timestamp resolution */
#define ENERGY_INTERVAL	900	/* seconds: 15-minute records */
#define SECS_PER_DAY	86400
/* Beyond this the model jumps instead of replaying every second (host suspend). */
#define MAX_CATCHUP	(7 * SECS_PER_DAY)
/* Events of one kind in one model step, a bound on runaway rates. */
#define MAX_PER_STEP	256

/* Meter flag byte (§5.3): bit 2 = no watchdog reset; bit 3 = started, no PEH yet. */
#define METER_FLAGS_BOOT	0x0C
#define METER_FLAGS_RUNNING	0x44
#define SV_NORESP		0x10
#define SV_OVERFLOW		0x20
#define SV_PEH			0x40
/* COMaster group byte 0: no reset flags active (active low), bit 6 = PEH. */
#define COMASTER_FLAGS		0x07

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t tick_ns(int64_t tick)
{
	return tick * (NSEC_PER_SEC / TICKS);
}

static int64_t now_tick(const struct gen *g);
static int64_t burst_period(const struct gen *g);

static void put_time(uint8_t *raw, int64_t sim_ns, bool seconds)
{
	struct mara_time t;

	simclock_fields(sim_ns, &t);
	raw[2] = (uint8_t)(t.year - 2000);
	raw[3] = t.month;
	raw[4] = t.day;
	raw[5] = t.hour;
	raw[6] = t.minute;
	if (seconds) {
		raw[7] = t.second;
		raw[8] = t.frac & 0xFF;	/* always 0: 1/128 s steps (§5.11) */
		raw[9] = t.frac >> 8;
	}
}

static void emit_digital(struct gen *g, unsigned int i, uint8_t port,
			 uint8_t bit, uint8_t status, int64_t sim_ns)
{
	uint8_t raw[MARA_EVENT_LEN];

	raw[0] = (uint8_t)(MARA_EV_DIGITAL << 6 | (g->ied[i].addr & 0x1F));
	raw[1] = (uint8_t)(status << 7 | (port & 7) << 4 | (bit & 15));
	put_time(raw, sim_ns, true);
	g->sink(g->ctx, i, raw);
}

static void emit_comsys(struct gen *g, unsigned int i, uint8_t code,
			uint8_t motive, int64_t sim_ns)
{
	uint8_t raw[MARA_EVENT_LEN];

	raw[0] = (uint8_t)(MARA_EV_COMSYS << 6 | (g->ied[i].addr & 0x1F));
	raw[1] = (uint8_t)(code << 4 | (motive & 15));
	put_time(raw, sim_ns, true);
	g->sink(g->ctx, i, raw);
}

static void emit_energy(struct gen *g, unsigned int i, uint8_t code,
			uint8_t channel, uint32_t value, int64_t sim_ns)
{
	uint8_t raw[MARA_EVENT_LEN];

	if (value > 0xFFFFFF)
		value = 0xFFFFFF;
	raw[0] = (uint8_t)(MARA_EV_ENERGY << 6 | (g->ied[i].addr & 0x1F));
	raw[1] = (uint8_t)(code << 3 | channel);
	put_time(raw, sim_ns, false);
	/* §5.8: bits 23-16, then the low word little-endian */
	raw[7] = (uint8_t)(value >> 16);
	raw[8] = (uint8_t)value;
	raw[9] = (uint8_t)(value >> 8);
	g->sink(g->ctx, i, raw);
}

/* The --ai/--ai-steps entry of AI word @w of @d, or NULL (the default model). */
static const struct gen_ai *ai_spec(const struct gen *g, const struct gen_ied *d,
				    unsigned int w)
{
	for (unsigned int i = 0; i < g->p.nai; i++)
		if (g->p.ai[i].addr == d->addr && g->p.ai[i].index == w)
			return &g->p.ai[i];
	return NULL;
}

static void init_ied(struct gen *g, struct gen_ied *d, bool synced)
{
	unsigned int w;

	d->peh = synced;
	d->sv[1] = (uint8_t)(1 + rng_below(&g->rng, 30));	/* starts */
	d->sv[2] = (uint8_t)rng_below(&g->rng, 4);		/* skew */
	d->sv[4] = d->comaster ? 0x01 : 0x94;			/* clock step */
	d->sv[5] = (uint8_t)rng_below(&g->rng, 4);		/* UART restarts */
	for (w = 0; w < d->ndi; w++)
		d->di[w] = (uint16_t)rng_below(&g->rng, 0x10000);
	for (w = 0; w < d->nai; w++) {
		const struct gen_ai *a = ai_spec(g, d, w);

		if (a && a->nsteps)
			d->walk[w] = a->steps[0];
		else if (a)
			d->walk[w] = a->lo + rng_below(&g->rng, a->hi - a->lo + 1u);
		else if (d->comaster)	/* bus voltages, §5.2 */
			d->walk[w] = 3000 + rng_below(&g->rng, 500);
		else if (w == 0)	/* active power */
			d->walk[w] = 800 + rng_below(&g->rng, 1700);
		else if (w == 1)	/* reactive power */
			d->walk[w] = 200 + rng_below(&g->rng, 700);
		else
			d->walk[w] = 1000 + rng_below(&g->rng, 2000);
		d->ai[w] = (uint16_t)d->walk[w];
	}
}

void gen_init(struct gen *g, const struct mara_layout *l, uint8_t own_addr,
	      bool meters_synced, const struct gen_params *p,
	      struct simclock *clock, gen_sink sink, void *ctx)
{
	unsigned int i;

	memset(g, 0, sizeof(*g));
	g->p = *p;
	g->clock = clock;
	g->sink = sink;
	g->ctx = ctx;
	rng_seed(&g->rng, p->seed, 1);
	g->count = l->count;
	g->ied = calloc(l->count ? l->count : 1, sizeof(*g->ied));
	if (!g->ied)
		sim_fatal(0, "out of memory for %u IEDs", l->count);
	for (i = 0; i < l->count; i++) {
		struct gen_ied *d = &g->ied[i];

		d->addr = l->ied[i].addr;
		d->nsv = l->ied[i].sv_bytes;
		d->ndi = l->ied[i].di_words;
		d->nai = l->ied[i].ai_words;
		d->comaster = own_addr && d->addr == own_addr;
		init_ied(g, d, meters_synced && !d->comaster);
		gen_refresh_sv(g, i);
	}
	g->step = clock->scale <= 16 ? TICKS / 8 : TICKS;
	g->tick = now_tick(g);
	g->next_burst = g->tick + burst_period(g);
}

void gen_free(struct gen *g)
{
	free(g->ied);
	g->ied = NULL;
}

int gen_find(const struct gen *g, uint8_t addr)
{
	unsigned int i;

	for (i = 0; i < g->count; i++)
		if (g->ied[i].addr == addr)
			return (int)i;
	return -1;
}

void gen_refresh_sv(struct gen *g, unsigned int index)
{
	struct gen_ied *d = &g->ied[index];
	uint8_t f;

	if (!d->nsv)
		return;
	if (d->comaster) {
		f = COMASTER_FLAGS;
		if (d->peh)
			f |= SV_PEH;
	} else {
		f = d->peh ? METER_FLAGS_RUNNING : METER_FLAGS_BOOT;
		if (d->lost)
			f |= SV_NORESP;
	}
	if (d->overflow)
		f |= SV_OVERFLOW;
	d->sv[0] = f;
}

static void step_ai(struct gen *g, struct gen_ied *d, int64_t t, double dt)
{
	unsigned int w;

	for (w = 0; w < d->nai; w++) {
		const struct gen_ai *a = ai_spec(g, d, w);
		double v = d->walk[w], lo = 0, hi = 4095, sd = 12;

		if (a && a->nsteps) {
			/* A fixed profile on the simulated clock, for tests that cross limits. */
			int64_t held = (int64_t)(a->hold_s * TICKS);

			d->ai[w] = a->steps[(t / (held > 0 ? held : 1)) % a->nsteps];
			continue;
		}
		if (a) {
			lo = a->lo;
			hi = a->hi;
			sd = fmax((hi - lo) / 50, 0.5);
			v += sd * sqrt(dt) * rng_normal(&g->rng);
			v = v < lo ? lo + (lo - v) : v > hi ? hi - (v - hi) : v;
			d->walk[w] = v < lo ? lo : v > hi ? hi : v;
			d->ai[w] = (uint16_t)lround(d->walk[w]) & 0x0FFF;
			continue;
		}
		if (d->comaster) {
			lo = 3000;
			hi = 3500;
			sd = 2;
		}
		v += sd * sqrt(dt) * rng_normal(&g->rng);
		v = v < lo ? lo + (lo - v) : v > hi ? hi - (v - hi) : v;
		d->walk[w] = v;
		/* Meters: now and then no pulses arrive, value forced to 0 with q 1. */
		if (!d->comaster && w < 2 && t >= d->zero_until[w] &&
		    rng_chance(&g->rng, dt / 7200))
			d->zero_until[w] = t + (60 + rng_below(&g->rng, 840)) *
						       (int64_t)TICKS;
		if (!d->comaster && t < d->zero_until[w])
			d->ai[w] = 0x4000;
		else
			d->ai[w] = (uint16_t)lround(v) & 0x0FFF;
	}
	if (d->nsv >= 4 && rng_chance(&g->rng, dt / 600)) {
		/* Skew drifts a little between PEHs. */
		int16_t skew = (int16_t)(d->sv[2] | d->sv[3] << 8);

		skew = (int16_t)(skew + (rng_chance(&g->rng, 0.5) ? 1 : -1));
		d->sv[2] = (uint8_t)skew;
		d->sv[3] = (uint8_t)((uint16_t)skew >> 8);
	}
}

static void accumulate_energy(struct gen_ied *d, int64_t t, double dt)
{
	unsigned int ch;

	if (d->comaster)
		return;
	for (ch = 0; ch < 2; ch++) {
		double p;

		if (ch < d->nai)
			p = t < d->zero_until[ch] ? 0 : d->walk[ch];
		else
			p = d->nai ? d->walk[0] * 0.3 : 0;
		/* One interval's record is about the mean raw power, as captured. */
		d->energy[ch] += p * dt / ENERGY_INTERVAL;
	}
}

static void energy_boundary(struct gen *g, int64_t boundary)
{
	bool midnight = boundary % SECS_PER_DAY == 0;
	int64_t stamp = midnight ? boundary - 60 : boundary;	/* 23:59, §5.8 */
	unsigned int i, ch;

	for (i = 0; i < g->count; i++) {
		struct gen_ied *d = &g->ied[i];

		if (d->comaster)
			continue;
		for (ch = 0; ch < 2; ch++) {
			uint32_t v = (uint32_t)lround(d->energy[ch]);

			d->day_total[ch] += v;
			emit_energy(g, i, midnight ? 1 : 0, (uint8_t)ch, v,
				    stamp * NSEC_PER_SEC);
			d->energy[ch] = 0;
		}
		if (!midnight)
			continue;
		for (ch = 0; ch < 2; ch++) {
			emit_energy(g, i, 3, (uint8_t)ch,
				    (uint32_t)lround(d->day_total[ch]),
				    stamp * NSEC_PER_SEC);
			d->day_total[ch] = 0;
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Flip one random DI bit of IED @i (not an output's); false if none can flip. */
static bool flip_random(struct gen *g, unsigned int i, int64_t sim_ns)
{
	struct gen_ied *d = &g->ied[i];
	unsigned int ports = d->ndi < 8 ? d->ndi : 8, tries;

	if (!ports || d->lost)
		return false;
	for (tries = 0; tries < 4; tries++) {
		uint8_t port = (uint8_t)rng_below(&g->rng, ports);
		uint8_t bit = (uint8_t)rng_below(&g->rng, 16);
		uint16_t m = (uint16_t)(1u << bit);

		if (d->forced[port] & m)
			continue;
		d->di[port] ^= m;
		emit_digital(g, i, port, bit, !!(d->di[port] & m), sim_ns);
		return true;
	}
	return false;
}

/* Flip one random bit of the --event-bits set; false if none can flip. */
static bool flip_listed(struct gen *g, int64_t sim_ns)
{
	const struct gen_bits *b = &g->p.bits[rng_below(&g->rng, g->p.nbits)];
	int i = gen_find(g, b->addr);
	struct gen_ied *d;
	unsigned int tries;

	if (i < 0)
		return false;
	d = &g->ied[i];
	if (d->lost || b->port >= d->ndi)
		return false;
	for (tries = 0; tries < 16; tries++) {
		uint8_t bit = (uint8_t)rng_below(&g->rng, 16);
		uint16_t m = (uint16_t)(1u << bit);

		if (!(b->mask & m) || (d->forced[b->port] & m))
			continue;
		d->di[b->port] ^= m;
		emit_digital(g, (unsigned int)i, b->port, bit, !!(d->di[b->port] & m), sim_ns);
		return true;
	}
	return false;
}

/* @n DI changes at random ticks of [t, t + span), in time order. */
static void digital_events(struct gen *g, int64_t t, unsigned int span,
			   unsigned int n, int only)
{
	uint32_t off[MAX_PER_STEP];
	unsigned int k;

	if (!g->count)
		return;
	if (n > MAX_PER_STEP)
		n = MAX_PER_STEP;
	for (k = 0; k < n; k++)
		off[k] = rng_below(&g->rng, span);
	qsort(off, n, sizeof(*off), cmp_u32);
	for (k = 0; k < n; k++) {
		unsigned int i = only >= 0 ? (unsigned int)only :
					     rng_below(&g->rng, g->count);

		if (g->p.nbits)
			flip_listed(g, tick_ns(t + off[k]));
		else
			flip_random(g, i, tick_ns(t + off[k]));
	}
}

static void comsys_step(struct gen *g, int64_t t, double dt)
{
	double lambda;
	unsigned int i;

	for (i = 0; i < g->count; i++) {
		struct gen_ied *d = &g->ied[i];

		if (d->lost && t >= d->lost_until) {
			d->lost = false;
			emit_comsys(g, i, 2, 1, tick_ns(t));
			gen_refresh_sv(g, i);
		}
	}
	if (g->p.comsys_every <= 0)
		return;
	lambda = dt / (g->p.comsys_every * g->clock->scale);
	if (!rng_chance(&g->rng, lambda))
		return;
	i = rng_below(&g->rng, g->count);
	if (g->ied[i].comaster || g->ied[i].lost)
		return;
	g->ied[i].lost = true;
	g->ied[i].lost_until = t + (30 + rng_below(&g->rng, 270)) *
					   (int64_t)TICKS;
	emit_comsys(g, i, 2, 0, tick_ns(t));
	gen_refresh_sv(g, i);
}

/* Ticks between trips, at least one step. */
static int64_t burst_period(const struct gen *g)
{
	int64_t p = (int64_t)ceil(g->p.burst_every * g->clock->scale * TICKS);

	return p < g->step ? g->step : p;
}

/* One model step, ticks [t, t + g->step). */
static void step(struct gen *g, int64_t t)
{
	double dt = (double)g->step / TICKS;
	unsigned int i, n;
	int trip = -1;

	if (!g->count)
		return;		/* replay mode: nothing is modelled */
	for (i = 0; i < g->count; i++) {
		/* A lost IED's words stay as last received (stale, q 0, §5.12). */
		if (!g->ied[i].lost)
			step_ai(g, &g->ied[i], t, dt);
		accumulate_energy(&g->ied[i], t, dt);
	}
	comsys_step(g, t, dt);
	n = rng_poisson(&g->rng, g->p.event_rate * dt / g->clock->scale,
			MAX_PER_STEP);
	digital_events(g, t, g->step, n, -1);
	if (g->p.burst_every > 0 && g->p.burst_size && t >= g->next_burst) {
		g->burst_left = g->p.burst_size;
		g->burst_end = t + TICKS;
		g->next_burst = t + burst_period(g);
	}
	if (g->burst_left) {
		/* A trip: dozens of contacts of one unit change within a second. */
		int64_t left = g->burst_end - t;

		n = left <= g->step ? g->burst_left :
			(unsigned int)(((uint64_t)g->burst_left * g->step +
					(uint64_t)left - 1) / (uint64_t)left);
		for (i = 0; i < g->count; i++)
			if (g->ied[i].comaster)
				trip = (int)i;
		if (trip < 0)
			trip = (int)rng_below(&g->rng, g->count);
		digital_events(g, t, g->step, n, trip);
		g->burst_left -= n;
	}
	if ((t + g->step) % (ENERGY_INTERVAL * TICKS) == 0)
		energy_boundary(g, (t + g->step) / TICKS);
}

/* The current simulated time in ticks, rounded down to a step. */
static int64_t now_tick(const struct gen *g)
{
	int64_t t = floor_div(simclock_now(g->clock), NSEC_PER_SEC / TICKS);

	return t - (t % g->step + g->step) % g->step;
}

void gen_advance(struct gen *g)
{
	int64_t now = now_tick(g);

	if (now - g->tick > MAX_CATCHUP * TICKS) {
		sim_warn("simulated clock jumped %lld s ahead; not replaying it",
			 (long long)((now - g->tick) / TICKS));
		g->next_burst += now - g->tick;
		g->burst_end += now - g->tick;
		g->tick = now;
	}
	while (g->tick < now) {
		step(g, g->tick);
		g->tick += g->step;
	}
}

void gen_peh(struct gen *g, int64_t sim_ns)
{
	int64_t old, now;
	unsigned int i;

	gen_advance(g);
	old = g->tick;
	simclock_set(g->clock, sim_ns);
	now = now_tick(g);
	for (i = 0; i < g->count; i++) {
		struct gen_ied *d = &g->ied[i];

		/* A correction across a boundary restarts the integration. */
		if (floor_div(now, ENERGY_INTERVAL * TICKS) !=
		    floor_div(old, ENERGY_INTERVAL * TICKS))
			d->energy[0] = d->energy[1] = 0;
		if (floor_div(now, SECS_PER_DAY * TICKS) !=
		    floor_div(old, SECS_PER_DAY * TICKS))
			d->day_total[0] = d->day_total[1] = 0;
		/* Pending timers keep their distance from "now". */
		if (d->lost)
			d->lost_until += now - old;
		d->zero_until[0] += now - old;
		d->zero_until[1] += now - old;
		d->peh = true;
		gen_refresh_sv(g, i);
	}
	g->next_burst += now - old;
	g->burst_end += now - old;
	g->tick = now;
}

int gen_control(struct gen *g, unsigned int index, uint8_t port, uint8_t bit,
		uint8_t state)
{
	struct gen_ied *d;
	uint16_t m;

	if (index >= g->count)
		return -1;
	d = &g->ied[index];
	/* Outputs exist where their feedback DI exists and an event can name it. */
	if (port >= d->ndi || port > 7 || bit > 15 || state > 1)
		return -1;
	gen_advance(g);
	m = (uint16_t)(1u << bit);
	d->forced[port] |= m;
	if (!!(d->di[port] & m) != state) {
		d->di[port] ^= m;
		emit_digital(g, index, port, bit, state, simclock_now(g->clock));
	}
	return 0;
}
