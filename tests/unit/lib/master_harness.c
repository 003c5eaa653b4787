// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Harness of the sans-I/O TCP master tests (test_master*.c): one master, a fake clock, results
 * collected per call, fabricated replies.  See master_harness.h.
 */
#include "master_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

struct smve_master m;
struct smve_master_result res[MAXRES];
unsigned int nres;
uint64_t now;

/* fake station clock: 2014-02-06 19:35:27.5 local (a Thursday) */
int clock_synced = 1;
unsigned int clock_calls;

int fake_clock(void *ctx, int64_t *secs, uint32_t *nsec)
{
	(void)ctx;
	clock_calls++;
	if (!clock_synced)
		return -1;
	*secs = 1391715327;
	*nsec = 500000000;
	return 0;
}

void cfg_base(struct smve_master_config *c)
{
	smve_master_config_defaults(c);
	c->clock = fake_clock;
}

void start(const struct smve_master_config *c, const struct smve_master_state *st)
{
	now = 1000000;
	clock_synced = 1;
	if (smve_master_init(&m, c, st))
		abort();
	smve_master_connected(&m, now);
}

void keep(const struct smve_master_result *r)
{
	if (nres < MAXRES)
		res[nres++] = *r;
}

/* Run the timers at the current time and collect results. */
void tick(void)
{
	struct smve_master_result r;

	nres = 0;
	while (smve_master_tick(&m, now, &r))
		keep(&r);
}

/* Everything the master wants written: returns its length, copies it to @out, marks written. */
size_t take_output(uint8_t *out)
{
	const uint8_t *p;
	size_t n = smve_master_output(&m, &p);

	if (n) {
		memcpy(out, p, n);
		smve_master_written(&m, n, now);
	}
	return n;
}

void feed(const uint8_t *data, size_t len)
{
	struct smve_master_result r;

	nres = 0;
	while (smve_master_input(&m, now, &data, &len, &r))
		keep(&r);
}

/* Tick, then expect exactly a poll with @seq to be written. */
bool expect_poll(uint8_t seq, const char *what)
{
	uint8_t out[256], want[8];
	size_t n;

	tick();
	n = take_output(out);
	mara_build_poll(want, sizeof(want), 0x01, 0x40, seq);
	return OK(n == 8 && !memcmp(out, want, 8), "%s: poll SEQ %02X written (got %zu bytes, "
		  "SEQ %02X)", what, seq, n, n >= 5 ? out[4] : 0);
}

bool expect_quiet(const char *what)
{
	uint8_t out[256];
	size_t n;

	tick();
	n = take_output(out);
	return OK(n == 0, "%s: nothing written (got %zu bytes)", what, n);
}

/* A 0x10 reply: 3 IEDs laid out 1:6,3,4 2:6,1,2 3:6,1,2, @nev ENERGY events, SV[0] = @sv0. */
size_t build_reply(uint8_t *buf, uint8_t dst, uint8_t src, uint8_t seq, unsigned int nev,
			  uint8_t sv0, uint32_t evbase)
{
	uint8_t p[MARA_PAYLOAD_MAX];
	size_t k = 0;
	unsigned int i;

	p[k++] = 18 + 1;
	for (i = 0; i < 18; i++)
		p[k++] = i % 6 ? (uint8_t)i : (i ? 0x44 : sv0);
	p[k++] = 10 + 1;
	for (i = 0; i < 10; i++)
		p[k++] = (uint8_t)i;
	p[k++] = 16 + 1;
	for (i = 0; i < 16; i++)
		p[k++] = (uint8_t)(i * 3);
	p[k++] = (uint8_t)(nev * 10 + 1);
	for (i = 0; i < nev; i++) {
		uint32_t v = evbase + i;
		uint8_t ev[10] = { 0x43, 0x00, 14, 1, 13, 16, 15, (uint8_t)(v >> 16),
				   (uint8_t)v, (uint8_t)(v >> 8) };

		memcpy(p + k, ev, 10);
		k += 10;
	}
	return (size_t)mara_build(buf, 256, dst, src, seq, MARA_CMD_POLL, p, k);
}

void reply(uint8_t seq, unsigned int nev)
{
	uint8_t f[256];
	size_t n = build_reply(f, 0x40, 0x01, seq, nev, 0x44, 100);

	feed(f, n);
}

const struct mara_layout layout3 = {
	.count = 3,
	.ied = { { 1, 6, 3, 4 }, { 2, 6, 1, 2 }, { 3, 6, 1, 2 } },
};

/* One complete transaction: poll @seq, reply, commit; the clock moves to the next poll. */
void transaction(uint8_t seq, const char *what)
{
	expect_poll(seq, what);
	now += 10;
	reply(seq, 0);
	if (nres != 1 || res[0].kind != SMVE_MR_REPLY) {
		OK(0, "%s: reply SEQ %02X accepted", what, seq);
		return;
	}
	smve_master_commit(&m, seq, now);
	now += m.cfg.poll_interval_ms;
}
