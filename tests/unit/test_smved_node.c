// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bus node source without a kernel: records built as smve.ko would (UAPI
 * <linux/smve.h>) are fed to the record walk.  Checks values into the
 * store (and the offline flag), events into the journal with the reply's
 * SRC as their IED, online/offline events, the cursor persisted with them,
 * the duplicate filter on re-read records, and refusal of malformed ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/smve.h>

#include "config.h"
#include "journal.h"
#include "smved.h"
#include "source_node.h"
#include "store.h"
#include "files.h"
#include "tap.h"

static uint8_t buf[4096];
static size_t blen;

static void put_rec(uint64_t seq, uint16_t type, uint32_t flags, const void *payload,
		    uint16_t len)
{
	struct smve_record h = { .seq = seq, .epoch = 0x1234, .time_ns = 1700000000000000000LL,
				 .type = type, .len = len, .flags = flags };

	memset(buf + blen, 0, SMVE_RECORD_SIZE(len));
	memcpy(buf + blen, &h, sizeof(h));
	memcpy(buf + blen + sizeof(h), payload, len);
	blen += SMVE_RECORD_SIZE(len);
}

static void diag(void *ctx, const char *msg)
{
	(void)ctx;
	tap_diag("%s", msg);
}

static int count_cb(const struct journal_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int count(struct journal *j, const char *type)
{
	struct journal_filter f = { .type = type };
	int n = 0;

	journal_query(j, &f, count_cb, &n);
	return n;
}

static int ied_cb(const struct journal_event *e, void *arg)
{
	*(int *)arg = e->ied;
	return 0;
}

int main(void)
{
	char tmpl[] = "/tmp/test_smved_node.XXXXXX", p[128];
	struct smved sm = { 0 };
	struct journal_opts jo = { 0 };
	struct journal_state js;
	struct buses *bs;
	char err[256];
	FILE *f;
	uint8_t state[sizeof(struct smve_rec_state) + 6 + 2 + 4];
	struct smve_rec_state *st = (struct smve_rec_state *)state;
	struct smve_rec_event ev = { .raw = { 0x02, 0x93, 14, 1, 13, 16, 15, 0, 0, 0x14 },
				     .source = 2 };
	struct smve_rec_status status = { .status = SMVE_STATUS_ONLINE };
	const struct point *pt;
	int ied = -1;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(p, sizeof(p), "%s/smved.conf", tmpl);
	f = fopen(p, "w");
	fprintf(f, "[smved]\nstate_dir = %s\nrequire_clock_sync = false\n[bus ttyS9]\n"
		"station = B9\nlayout = 2:6,1,2 3:6,1,2 4:6,1,2\n", tmpl);
	fclose(f);
	sm.cfg = config_load(p, diag, NULL);
	if (!OK(sm.cfg != NULL, "config with a bus"))
		return tap_done();
	snprintf(p, sizeof(p), "%s/j.db", tmpl);
	jo.path = p;
	sm.journal = journal_open(&jo, err, sizeof(err));
	sm.store = store_new();
	sm.base = event_base_new();
	bs = buses_new(&sm);
	if (!OK(bs && sm.journal, "buses start without a kernel module"))
		return tap_done();

	/* IED 2 state: SV flags, DI word 0x0005, AI words q=0 value 0x123 and q=2 value 7. */
	memset(state, 0, sizeof(state));
	st->flags = SMVE_STATE_ONLINE;
	st->address = 2;
	st->sv_len = 6;
	st->di_words = 1;
	st->ai_words = 2;
	memcpy(state + sizeof(*st), "\x43\x00\x00\x00\x00\x00" "\x05\x00" "\x23\x01\x07\x80", 12); // NOLINT(bugprone-not-null-terminated-result)
	put_rec(1, SMVE_REC_STATE, SMVE_RECF_COALESCED, state, sizeof(state));
	put_rec(1, SMVE_REC_STATUS, 0, &status, sizeof(status));
	put_rec(2, SMVE_REC_EVENT, 0, &ev, sizeof(ev));
	IS(buses_feed(bs, "ttyS9", 2, buf, blen), 3, "three records walked");
	pt = store_find(sm.store, "B9.2.DI0.2");
	OK(pt && pt->value == 1 && !(pt->flags & POINT_F_STALE), "DI bit 2 of word 0x0005 is 1");
	pt = store_find(sm.store, "B9.2.AI1");
	OK(pt && (pt->raw & 0xFFF) == 7 && pt->q == 2, "AI value and qualifier from the word");
	pt = store_find(sm.store, "B9.2.COMM");
	OK(pt && pt->value == 1, "IED online point");
	IS(count(sm.journal, "digital"), 1, "the event is journalled");
	IS(count(sm.journal, "comm"), 1, "and the online transition");
	{
		struct journal_filter jf = { .type = "digital" };

		journal_query(sm.journal, &jf, ied_cb, &ied);
		IS(ied, 2, "the event's IED is the node's address (SRC)");
	}
	IS(journal_get_state(sm.journal, "node:ttyS9.2", &js), 1, "cursor persisted");
	IS((long long)js.cursor, 3, "cursor = last record + 1");
	IS((long long)js.epoch, 0x1234, "with its epoch");

	/* The same records read again (a crash before SMVE_IOC_COMMIT): no duplicate. */
	IS(buses_feed(bs, "ttyS9", 2, buf, blen), 3, "re-read");
	IS(count(sm.journal, "digital"), 1, "the re-read event is dropped as a duplicate");

	/* Offline: the IED's points go stale. */
	blen = 0;
	status.status = SMVE_STATUS_OFFLINE;
	status.value = 4;
	put_rec(3, SMVE_REC_STATUS, 0, &status, sizeof(status));
	IS(buses_feed(bs, "ttyS9", 2, buf, blen), 1, "offline status");
	pt = store_find(sm.store, "B9.2.AI1");
	OK(pt && (pt->flags & POINT_F_STALE), "offline IED: its AIs are stale");
	IS(count(sm.journal, "comm"), 2, "offline event");

	/*
	 * A node opened after a restart: its last STATUS lies before the cursor, only the
	 * coalesced STATE tells whether the IED answers.  IED 3 answers, IED 4 does not.
	 */
	blen = 0;
	st->address = 3;
	put_rec(7, SMVE_REC_STATE, SMVE_RECF_COALESCED, state, sizeof(state));
	IS(buses_feed(bs, "ttyS9", 3, buf, blen), 1, "IED 3: only the current state");
	pt = store_find(sm.store, "B9.3.COMM");
	OK(pt && pt->value == 1 && !(pt->flags & POINT_F_NEVER), "IED 3 online from its STATE record");
	pt = store_find(sm.store, "B9.3.DI0.2");
	OK(pt && !(pt->flags & POINT_F_STALE), "and its points fresh");
	IS(count(sm.journal, "comm"), 3, "online event for IED 3");
	blen = 0;
	st->address = 4;
	st->flags = SMVE_STATE_OFFLINE;
	put_rec(9, SMVE_REC_STATE, SMVE_RECF_COALESCED, state, sizeof(state));
	IS(buses_feed(bs, "ttyS9", 4, buf, blen), 1, "IED 4: only the current state");
	pt = store_find(sm.store, "B9.4.COMM");
	OK(pt && pt->value == 0 && !(pt->flags & POINT_F_NEVER), "IED 4 offline from its STATE record");
	pt = store_find(sm.store, "B9.4.AI0");
	OK(pt && (pt->flags & POINT_F_STALE), "and its points stale");
	IS(count(sm.journal, "comm"), 4, "offline event for IED 4");

	/* Malformed: a record longer than the buffer is refused and nothing is stored. */
	blen = 0;
	put_rec(4, SMVE_REC_EVENT, 0, &ev, sizeof(ev));
	IS(buses_feed(bs, "ttyS9", 2, buf, blen - 8), -1, "truncated record refused");
	journal_get_state(sm.journal, "node:ttyS9.2", &js);
	IS((long long)js.cursor, 4, "cursor not advanced past a refused batch");

	buses_free(bs);
	event_base_free(sm.base);
	journal_close(sm.journal);
	store_free(sm.store);
	config_free(sm.cfg);
	if (test_remove_tree(tmpl))
		tap_diag("cleanup failed");
	return tap_done();
}
