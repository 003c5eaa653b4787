// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: timing log (format in timing.h). */
#include "timing.h"
#include "util.h"

#include <errno.h>
#include <string.h>

void timing_open(struct timing *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	if (!path)
		return;
	t->f = fopen(path, "a");
	if (!t->f)
		sim_fatal(errno, "cannot open timing log '%s'", path);
}

void timing_close(struct timing *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
}

static void cycle(struct timing *t, const struct mara_frame *f, int64_t first)
{
	uint8_t bit = (uint8_t)(1u << (f->dst & 7));

	if (f->cmd != MARA_CMD_POLL || f->dst == MARA_ADDR_BROADCAST)
		return;
	if (t->cycle_start && (t->seen[f->dst >> 3] & bit)) {
		fprintf(t->f, "{\"ev\":\"cycle\",\"n\":%llu,\"t\":%lld,\"dur_us\":%.1f,\"polls\":%u}\n",
			(unsigned long long)++t->cycle_n,
			(long long)t->cycle_start,
			(first - t->cycle_start) / 1000.0, t->polls);
		memset(t->seen, 0, sizeof(t->seen));
		t->polls = 0;
		t->cycle_start = 0;
	}
	if (!t->cycle_start)
		t->cycle_start = first;
	t->seen[f->dst >> 3] |= bit;
	t->polls++;
}

void timing_request(struct timing *t, const struct mara_frame *f,
		    unsigned int len, int64_t first, int64_t last)
{
	if (!t->f)
		return;
	cycle(t, f, first);
	fprintf(t->f, "{\"ev\":\"req\",\"t\":%lld,\"end\":%lld,\"dst\":%u,\"src\":%u,\"seq\":%u,\"cmd\":%u,\"len\":%u,\"turnaround_us\":",
		(long long)first, (long long)last, f->dst, f->src, f->seq,
		f->cmd, len);
	if (t->last_reply_end)
		fprintf(t->f, "%.1f}\n", (first - t->last_reply_end) / 1000.0);
	else
		fputs("null}\n", t->f);
	fflush(t->f);
}

void timing_reply(struct timing *t, uint8_t src, uint8_t seq,
		  unsigned int len, int64_t start, int64_t end)
{
	t->last_reply_end = end;
	if (!t->f)
		return;
	fprintf(t->f, "{\"ev\":\"reply\",\"t\":%lld,\"end\":%lld,\"src\":%u,\"seq\":%u,\"len\":%u}\n",
		(long long)start, (long long)end, src, seq, len);
	fflush(t->f);
}
