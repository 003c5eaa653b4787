// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sans-I/O TCP master driven by a fuzzer-chosen script: connects, disconnects, time steps,
 * raw input bytes, well-formed replies with fuzzer-chosen SEQ and sections, commits and 0x13
 * commands.  Invariants: every frame it writes verifies and carries a poll-range SEQ (or 0xBB
 * for PEH, which is a broadcast), and the SEQ only moves on after a commit (M1).
 */
#include <smve/mara.h>
#include <smve/master.h>

#include <stdlib.h>
#include <string.h>

struct script {
	const u8 *p;
	size_t n;
};

static u8 take(struct script *s)
{
	u8 b;

	if (!s->n)
		return 0;
	b = *s->p++;
	s->n--;
	return b;
}

static int fake_clock(void *ctx, int64_t *secs, uint32_t *nsec)
{
	(void)ctx;
	*secs = 1400000000;
	*nsec = 0;
	return 0;
}

static void check_output(struct smve_master *m, uint64_t now, u8 *last_seq, bool *committed)
{
	const u8 *out;
	size_t n = smve_master_output(m, &out);
	struct mara_frame f;

	if (!n)
		return;
	if (mara_parse(out, n, &f) != 0)
		abort();
	if (f.cmd == MARA_CMD_PEH) {
		if (f.seq != MARA_SEQ_PEH || f.dst != MARA_ADDR_BROADCAST)
			abort();
	} else {
		if (f.seq < SMVE_MASTER_SEQ_FIRST || f.seq > SMVE_MASTER_SEQ_LAST)
			abort();
		/* M1: a new SEQ only after the previous transaction was committed */
		if (f.seq != *last_seq && *last_seq && !*committed && f.cmd == MARA_CMD_POLL)
			abort();
		if (f.seq != *last_seq)
			*committed = false;
		*last_seq = f.seq;
		/* a 0x13 carries no events: nothing to commit before the next SEQ */
		if (f.cmd == MARA_CMD_CONTROL)
			*committed = true;
	}
	smve_master_written(m, n, now);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct smve_master m;
	struct smve_master_config cfg;
	struct smve_master_result r;
	struct script s = { data, size };
	const char *lt = "1:6,3,4 2:6,1,2";
	uint64_t now = 1000;
	u8 last_seq = 0, reply_seq = 0;
	bool committed = true, connected = false, have_reply = false;
	int steps = 0;

	smve_master_config_defaults(&cfg);
	mara_layout_parse(&cfg.layout, lt, strlen(lt), NULL);
	cfg.clock = fake_clock;
	cfg.peh_interval_s = 1;
	if (smve_master_init(&m, &cfg, NULL) != 0)
		abort();
	while (s.n && steps++ < 400) {
		u8 op = take(&s);

		switch (op % 8) {
		case 0:
			if (!connected)
				smve_master_connected(&m, now);
			else
				smve_master_disconnected(&m, now);
			connected = !connected;
			break;
		case 1:
			now += (uint64_t)take(&s) * 40;
			break;
		case 2: { /* raw bytes */
			u8 len = take(&s);
			const u8 *p = s.p;
			size_t n = len > s.n ? s.n : len;

			s.p += n;
			s.n -= n;
			while (connected && smve_master_input(&m, now, &p, &n, &r))
				if (r.needs_commit) {
					have_reply = true;
					reply_seq = r.seq;
				}
			break;
		}
		case 3: { /* a well-formed reply with the outstanding or another SEQ */
			u8 payload[64], frame[MARA_QTY_MAX];
			const u8 *p = frame;
			size_t n, k = 0;
			int len;
			u8 seq = (take(&s) & 1) ? last_seq : take(&s);

			payload[k++] = 7;
			for (int i = 0; i < 6; i++)
				payload[k++] = take(&s);
			u8 di_count = (u8)(1 + 2 * (take(&s) % 5));

			payload[k++] = di_count;
			for (int i = 1; i < di_count; i++)
				payload[k++] = take(&s);
			payload[k++] = 1;
			payload[k++] = (take(&s) & 1) ? 11 : 1;
			if (payload[k - 1] == 11)
				for (int i = 0; i < 10; i++)
					payload[k++] = take(&s);
			len = mara_build(frame, sizeof(frame), cfg.src, cfg.dst, seq, MARA_CMD_POLL,
					 payload, k);
			if (len < 0)
				abort();
			n = (size_t)len;
			while (connected && smve_master_input(&m, now, &p, &n, &r))
				if (r.needs_commit) {
					have_reply = true;
					reply_seq = r.seq;
				}
			break;
		}
		case 4:
			if (have_reply && smve_master_commit(&m, reply_seq, now) >= 0) {
				committed = true;
				have_reply = false;
			}
			break;
		case 5: {
			struct mara_control c = { take(&s), take(&s) & 15, take(&s) & 1 };

			(void)smve_master_control(&m, &c, op);
			break;
		}
		default:
			break;
		}
		while (smve_master_tick(&m, now, &r))
			if (r.needs_commit) {
				have_reply = true;
				reply_seq = r.seq;
			}
		if (connected)
			check_output(&m, now, &last_seq, &committed);
	}
	return 0;
}
