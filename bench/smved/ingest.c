// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smved's ingest path on one core, without sockets or disk: full 0x10 replies (10 IEDs x 6 SV
 * bytes, 2 DI words, 6 AI words = 440 points) go through libsmve's master (reassemble, verify,
 * SEQ check, sections, layout binding, event decode), source_apply_values() into the store
 * (smved's own bindings and change detection), and, once per reply (tick 0, the worst case),
 * store_sub_drain() + ws_delta_frame(): the one JSON + WebSocket frame shared by every client.
 * Values are random, so most points change in every reply.
 *
 * Measured in stages (decode; + store; + delta) so that the cost of each is visible.  A "point
 * update" is a point whose value the store saw change (store_version()), i.e. what a delta
 * carries; points whose value repeated are applied but not counted.  CPU time of this process
 * (CLOCK_PROCESS_CPUTIME_ID), so the figure is per core whatever else runs on the machine.
 * Usage: ingest [SECONDS]   Prints one line per stage and one JSON line last.
 */
#include <smve/mara.h>
#include <smve/master.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sheets.h"
#include "source_tcp.h"
#include "store.h"
#include "ws_int.h"

#define LAYOUT		"1:6,2,6 2:6,2,6 3:6,2,6 4:6,2,6 5:6,2,6 6:6,2,6 7:6,2,6 8:6,2,6 9:6,2,6 10:6,2,6"
#define NIEDS		10
#define VARIANTS	8	/* frames per SEQ, so values keep changing */
#define NSEQ		96	/* 0x20..0x7F */
#define TARGET		1000000.0

static uint8_t frames[NSEQ][VARIANTS][MARA_QTY_MAX];
static size_t frame_len[NSEQ][VARIANTS];

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int build_frames(void)
{
	srand(7);
	for (int s = 0; s < NSEQ; s++)
		for (int v = 0; v < VARIANTS; v++) {
			uint8_t p[MARA_PAYLOAD_MAX], *q = p;
			int n;

			*q++ = 1 + 6 * NIEDS;
			for (int k = 0; k < 6 * NIEDS; k++)	/* bit 4 of byte 0: not responding */
				*q++ = (uint8_t)(k % 6 ? rand() : rand() & ~0x10);
			*q++ = 1 + 4 * NIEDS;
			for (int k = 0; k < 4 * NIEDS; k++)
				*q++ = (uint8_t)rand();
			*q++ = 1 + 12 * NIEDS;
			for (int k = 0; k < 6 * NIEDS; k++) {	/* quality 0, 12-bit value */
				*q++ = (uint8_t)(rand() & 0x0F);
				*q++ = (uint8_t)rand();
			}
			*q++ = 1;	/* no events */
			n = mara_build(frames[s][v], sizeof(frames[s][v]), 0x40, 0x01,
				       (uint8_t)(0x20 + s), 0x10, p, (size_t)(q - p));
			if (n < 0)
				return -1;
			frame_len[s][v] = (size_t)n;
		}
	return 0;
}

struct collect {
	const struct point *v[1024];
	size_t n;
};

static void collect(const struct point *p, void *arg)
{
	struct collect *c = arg;

	if (c->n < sizeof(c->v) / sizeof(c->v[0]))
		c->v[c->n++] = p;
}

static void discard(const struct point *p, void *arg)
{
	(void)p;
	(void)arg;
}

struct stage {
	const char *name;
	bool store, delta;
	double updates_per_s, replies_per_s, mb_per_s;
};

static int run(struct stage *sg, double secs)
{
	struct store *st = store_new();
	struct store_sub *sub = st ? store_subscribe(st, NULL, NULL) : NULL;
	struct source_points sp;
	struct smve_master m;
	struct smve_master_config mc;
	struct ws_group all = { .all = true };
	bool nr[MARA_LAYOUT_MAX] = { false };
	uint64_t now = 1, replies = 0, bytes = 0, v0;
	struct collect *c = calloc(1, sizeof(*c));
	double t0, t;
	int rc = -1;

	smve_master_config_defaults(&mc);
	if (!sub || !c || mara_layout_parse(&mc.layout, LAYOUT, strlen(LAYOUT), NULL) < 0 ||
	    sheets_bind(NULL, st, "B", "B", &mc.layout, -1, &sp) < 0)
		goto out;
	mc.poll_interval_ms = 0;
	mc.peh_enabled = false;
	if (smve_master_init(&m, &mc, NULL) < 0)
		goto out_sp;
	smve_master_connected(&m, now);
	v0 = store_version(st);
	t0 = cpu_now();
	do {
		for (int i = 0; i < 1000; i++, now++) {
			struct smve_master_result r;
			const uint8_t *out, *p;
			size_t n, len;
			int s;

			while (smve_master_tick(&m, now, &r))
				;
			n = smve_master_output(&m, &out);
			if (n < 8)
				goto out_sp;
			smve_master_written(&m, n, now);
			s = out[4] - 0x20;
			p = frames[s][replies % VARIANTS];
			len = frame_len[s][replies % VARIANTS];
			while (smve_master_input(&m, now, &p, &len, &r)) {
				if (r.kind != SMVE_MR_REPLY)
					continue;
				if (sg->store)
					source_apply_values(st, &sp, &r, mc.layout.count, nr,
							    (int64_t)now * 1000);
				smve_master_commit(&m, r.seq, now);
				replies++;
			}
			if (sg->delta) {
				struct ws_blob *b;

				c->n = 0;
				store_sub_drain(sub, collect, c);
				b = ws_delta_frame(&all, c->v, c->n, replies, (long long)now);
				if (b)
					bytes += b->len;
				ws_blob_put(b);
			} else if (sg->store) {
				store_sub_drain(sub, discard, NULL);
			}
		}
		t = cpu_now() - t0;
	} while (t < secs);
	sg->replies_per_s = (double)replies / t;
	sg->updates_per_s = (double)(store_version(st) - v0) / t;
	sg->mb_per_s = (double)bytes / t / 1e6;
	rc = 0;
out_sp:
	source_points_free(&sp);
out:
	free(c);
	store_free(st);
	return rc;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2;
	struct stage stages[] = {
		{ "decode (master: reassemble, verify, bind)", false, false, 0, 0, 0 },
		{ "decode -> store", true, false, 0, 0, 0 },
		{ "decode -> store -> delta frame", true, true, 0, 0, 0 },
	};
	const struct stage *full = &stages[2];

	if (secs <= 0)
		secs = 2;
	if (build_frames() < 0) {
		fprintf(stderr, "ingest: cannot build the frames\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		if (run(&stages[i], secs / 3) < 0) {
			fprintf(stderr, "ingest: setup failed\n");
			return 1;
		}
		printf("  %-42s %9.0f replies/s  %10.0f point updates/s  %6.1f MB/s of delta frames\n",
		       stages[i].name, stages[i].replies_per_s, stages[i].updates_per_s,
		       stages[i].mb_per_s);
	}
	printf("  ingest on one core: %.0f point updates/s (target >= %.0f): %s\n", full->updates_per_s,
	       TARGET, full->updates_per_s >= TARGET ? "met" : "NOT met");
	printf("{\"updates_per_s\": %.0f, \"replies_per_s\": %.0f, \"target\": %.0f}\n",
	       full->updates_per_s, full->replies_per_s, TARGET);
	return 0;
}
