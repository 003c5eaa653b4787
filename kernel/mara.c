// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mara 1.4 codec shared by smve.ko and libsmve.  See mara.h for the
 * contract; section numbers refer to shared/spec/mara.md.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "mara.h"

static const char * const mara_err_names[MARA_ERR_COUNT] = {
	[MARA_OK] = "ok",
	[MARA_ESOF] = "sof",
	[MARA_ELENGTH] = "length",
	[MARA_ECHECKSUM] = "checksum",
	[MARA_ESECTIONS] = "sections",
	[MARA_ETRUNCATED] = "truncated",
	[MARA_ECOMMAND] = "command",
	[MARA_ENOSPACE] = "nospace",
	[MARA_EINVAL] = "invalid",
	[MARA_ELAYOUT] = "layout",
	[MARA_EREFUSED] = "refused",
	[MARA_EMISMATCH] = "mismatch",
};

static const char * const mara_err_text[MARA_ERR_COUNT] = {
	[MARA_OK] = "no error",
	[MARA_ESOF] = "frame does not start with FE",
	[MARA_ELENGTH] = "QTY out of range 8..253 or not the frame's length",
	[MARA_ECHECKSUM] = "checksum (BCC) does not verify",
	[MARA_ESECTIONS] =
		"0x10 sections malformed: bad count byte or not ending at the BCC",
	[MARA_ETRUNCATED] = "frame or payload shorter than it declares",
	[MARA_ECOMMAND] = "unexpected command code",
	[MARA_ENOSPACE] = "output buffer too small",
	[MARA_EINVAL] = "argument out of range",
	[MARA_ELAYOUT] = "layout text does not parse",
	[MARA_EREFUSED] = "output control refused by the device (Bit = FF)",
	[MARA_EMISMATCH] = "output control echo differs from the request",
};

static unsigned int mara_err_index(int err)
{
	if (err < 0)
		err = -err;
	return err < MARA_ERR_COUNT ? (unsigned int)err : MARA_ERR_COUNT;
}

const char *mara_err_name(int err)
{
	unsigned int i = mara_err_index(err);

	return i < MARA_ERR_COUNT ? mara_err_names[i] : "?";
}

const char *mara_strerror(int err)
{
	unsigned int i = mara_err_index(err);

	return i < MARA_ERR_COUNT ? mara_err_text[i] : "unknown error";
}

/* --- frames -------------------------------------------------------------- */

u16 mara_bcc(const u8 *buf, size_t len)
{
	u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (u32)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (u32)buf[len - 1] << 8;
	return (u16)(0xFFFF - (sum & 0xFFFF));
}

static bool mara_bcc_ok(const u8 *frame, size_t qty)
{
	u16 got = (u16)(frame[qty - 2] << 8 | frame[qty - 1]);

	return mara_bcc(frame, qty - MARA_BCC_LEN) == got;
}

static bool mara_qty_ok(u8 qty)
{
	return qty >= MARA_QTY_MIN && qty <= MARA_QTY_MAX;
}

int mara_parse(const u8 *buf, size_t len, struct mara_frame *f)
{
	u8 qty;

	if (len < 1)
		return -MARA_ETRUNCATED;
	if (buf[0] != MARA_SOF)
		return -MARA_ESOF;
	if (len < 2)
		return -MARA_ETRUNCATED;
	qty = buf[1];
	if (!mara_qty_ok(qty))
		return -MARA_ELENGTH;
	if (len < qty)
		return -MARA_ETRUNCATED;
	if (len > qty)
		return -MARA_ELENGTH;
	if (!mara_bcc_ok(buf, qty))
		return -MARA_ECHECKSUM;
	if (f) {
		f->qty = qty;
		f->dst = buf[2];
		f->src = buf[3];
		f->seq = buf[4];
		f->cmd = buf[5];
		f->payload_len = qty - MARA_HDR_LEN - MARA_BCC_LEN;
		f->payload = buf + MARA_HDR_LEN;
	}
	return 0;
}

int mara_build(u8 *buf, size_t cap, u8 dst, u8 src, u8 seq, u8 cmd,
	       const u8 *payload, size_t payload_len)
{
	size_t qty = MARA_HDR_LEN + payload_len + MARA_BCC_LEN;
	u16 bcc;

	if (payload_len > MARA_PAYLOAD_MAX)
		return -MARA_EINVAL;
	if (cap < qty)
		return -MARA_ENOSPACE;
	buf[0] = MARA_SOF;
	buf[1] = (u8)qty;
	buf[2] = dst;
	buf[3] = src;
	buf[4] = seq;
	buf[5] = cmd;
	if (payload_len)
		memmove(buf + MARA_HDR_LEN, payload, payload_len);
	bcc = mara_bcc(buf, qty - MARA_BCC_LEN);
	buf[qty - 2] = bcc >> 8;
	buf[qty - 1] = bcc & 0xFF;
	return (int)qty;
}

int mara_build_poll(u8 *buf, size_t cap, u8 dst, u8 src, u8 seq)
{
	return mara_build(buf, cap, dst, src, seq, MARA_CMD_POLL, NULL, 0);
}

/* --- reassembly ----------------------------------------------------------- */

void mara_reasm_init(struct mara_reasm *r)
{
	memset(r, 0, sizeof(*r));
	r->state = MARA_RS_WAIT_SOF;
}

void mara_reasm_abort(struct mara_reasm *r)
{
	u32 pending = r->delivered ? 0 : r->len;

	pending += r->rescan_len - r->rescan_pos;
	if (pending) {
		r->stats.aborted++;
		r->stats.aborted_bytes += pending;
	}
	r->state = MARA_RS_WAIT_SOF;
	r->len = 0;
	r->delivered = 0;
	r->rescan_len = 0;
	r->rescan_pos = 0;
}

bool mara_reasm_busy(const struct mara_reasm *r)
{
	return r->state != MARA_RS_WAIT_SOF || r->rescan_pos < r->rescan_len;
}

size_t mara_reasm_missing(const struct mara_reasm *r)
{
	if (r->state != MARA_RS_CONSUME || r->len >= r->qty)
		return 0;
	return (size_t)(r->qty - r->len);
}

enum mara_feed_result {
	MARA_FEED_MORE,		/* input exhausted */
	MARA_FEED_FRAME,	/* a valid frame is complete */
	MARA_FEED_BAD,		/* r->buf holds a frame whose BCC failed */
};

static const u8 *mara_find_sof(const u8 *p, size_t n)
{
	return memchr(p, MARA_SOF, n);
}

/*
 * Run the §2.4 machine over p[0..n).  Stops after a valid frame (zero-copy
 * when the whole frame lies in p and nothing is buffered) or a bad BCC on a
 * buffered frame.  A bad BCC on an in-place frame is resolved here by
 * resuming the scan one byte after its SOF, which is the rescan rule.
 */
static enum mara_feed_result mara_feed(struct mara_reasm *r, const u8 *p,
				       size_t n, size_t *used,
				       const u8 **frame, size_t *frame_len)
{
	size_t i = 0;

	while (i < n) {
		switch (r->state) {
		case MARA_RS_WAIT_SOF: {
			const u8 *s = mara_find_sof(p + i, n - i);
			size_t k, avail;
			u8 qty;

			if (!s) {
				r->stats.noise_bytes += n - i;
				i = n;
				break;
			}
			k = (size_t)(s - p);
			r->stats.noise_bytes += k - i;
			i = k;
			avail = n - i;
			qty = avail >= 2 ? p[i + 1] : 0;
			if (mara_qty_ok(qty) && avail >= qty) {
				if (mara_bcc_ok(p + i, qty)) {
					*frame = p + i;
					*frame_len = qty;
					*used = i + qty;
					r->stats.frames++;
					return MARA_FEED_FRAME;
				}
				r->stats.bad_bcc++;
				r->stats.resyncs++;
				r->stats.noise_bytes++;
				i++;
				break;
			}
			r->buf[0] = MARA_SOF;
			r->len = 1;
			r->state = MARA_RS_WAIT_QTY;
			i++;
			break;
		}
		case MARA_RS_WAIT_QTY: {
			u8 b = p[i++];

			if (b == MARA_SOF) {
				/* the previous FE was noise; this one is SOF */
				r->stats.noise_bytes++;
				r->stats.resyncs++;
				break;
			}
			if (!mara_qty_ok(b)) {
				r->stats.bad_qty++;
				r->stats.noise_bytes += 2;
				r->len = 0;
				r->state = MARA_RS_WAIT_SOF;
				break;
			}
			r->buf[1] = b;
			r->qty = b;
			r->len = 2;
			r->state = MARA_RS_CONSUME;
			break;
		}
		case MARA_RS_CONSUME: {
			size_t take = r->qty - r->len;

			if (take > n - i)
				take = n - i;
			memcpy(r->buf + r->len, p + i, take);
			r->len += (u8)take;
			i += take;
			if (r->len < r->qty)
				break;
			*used = i;
			if (mara_bcc_ok(r->buf, r->qty)) {
				r->delivered = 1;
				*frame = r->buf;
				*frame_len = r->qty;
				r->stats.frames++;
				return MARA_FEED_FRAME;
			}
			r->stats.bad_bcc++;
			return MARA_FEED_BAD;
		}
		}
	}
	*used = n;
	return MARA_FEED_MORE;
}

/*
 * After a bad BCC on a buffered frame: the bytes after its SOF, followed by
 * whatever was still waiting to be rescanned, become the new rescan input.
 * Buffered bytes only ever come from the rescan input while it is not
 * drained, so the result is always shorter than the old rescan plus one
 * frame and fits.
 */
static void mara_rescan_rebuild(struct mara_reasm *r)
{
	size_t head = r->len - 1;
	size_t tail = r->rescan_len - r->rescan_pos;

	if (head + tail > sizeof(r->rescan)) {
		/* unreachable by the argument above; fail safe by dropping */
		r->stats.aborted++;
		r->stats.aborted_bytes += (u32)(head + tail);
		head = 0;
		tail = 0;
	}
	memmove(r->rescan + head, r->rescan + r->rescan_pos, tail);
	memcpy(r->rescan, r->buf + 1, head);
	r->rescan_pos = 0;
	r->rescan_len = (u8)(head + tail);
	r->stats.noise_bytes++;	/* the false SOF */
	r->stats.resyncs++;
	r->len = 0;
	r->state = MARA_RS_WAIT_SOF;
}

const u8 *mara_reasm_next(struct mara_reasm *r, const u8 **data, size_t *len,
			  size_t *frame_len)
{
	const u8 *frame = NULL;
	enum mara_feed_result res;
	size_t used;

	if (r->delivered) {
		r->delivered = 0;
		r->len = 0;
		r->state = MARA_RS_WAIT_SOF;
	}
again:
	while (r->rescan_pos < r->rescan_len) {
		u8 pos = r->rescan_pos;

		res = mara_feed(r, r->rescan + pos, r->rescan_len - pos, &used,
				&frame, frame_len);
		r->rescan_pos = (u8)(pos + used);
		if (res == MARA_FEED_FRAME)
			return frame;
		if (res == MARA_FEED_BAD)
			mara_rescan_rebuild(r);
	}
	r->rescan_pos = 0;
	r->rescan_len = 0;
	while (*len) {
		res = mara_feed(r, *data, *len, &used, &frame, frame_len);
		*data += used;
		*len -= used;
		if (res == MARA_FEED_FRAME)
			return frame;
		if (res == MARA_FEED_BAD) {
			mara_rescan_rebuild(r);
			goto again;
		}
	}
	return NULL;
}

/* --- 0x10 sections --------------------------------------------------------- */

static int mara_section(const u8 *p, size_t len, size_t *off, size_t elem,
			const u8 **start, u8 *count)
{
	u8 c;

	if (*off >= len)
		return -MARA_ESECTIONS;
	c = p[*off];
	if (c == 0 || *off + c > len || (c - 1) % elem)
		return -MARA_ESECTIONS;
	*start = p + *off + 1;
	*count = (u8)((c - 1) / elem);
	*off += c;
	return 0;
}

int mara_sections_parse(const u8 *payload, size_t len,
			struct mara_sections *s)
{
	size_t off = 0;
	int err;

	memset(s, 0, sizeof(*s));
	err = mara_section(payload, len, &off, 1, &s->sv, &s->sv_len);
	if (!err)
		err = mara_section(payload, len, &off, 2, &s->di, &s->di_words);
	if (!err)
		err = mara_section(payload, len, &off, 2, &s->ai, &s->ai_words);
	if (!err)
		err = mara_section(payload, len, &off, MARA_EVENT_LEN, &s->ev,
				   &s->ev_count);
	if (!err && off != len)
		err = -MARA_ESECTIONS;
	return err;
}

/* --- events ----------------------------------------------------------------- */

static void mara_time_decode(const u8 *rec, bool seconds, unsigned int dialect,
			     struct mara_time *t)
{
	t->year = 2000 + rec[2];
	t->month = rec[3];
	t->day = rec[4];
	t->hour = rec[5];
	t->minute = rec[6];
	t->has_seconds = seconds;
	if (seconds) {
		t->second = rec[7];
		if (dialect & MARA_FRAC_BE)
			t->frac = (u16)(rec[8] << 8 | rec[9]);
		else
			t->frac = (u16)(rec[8] | rec[9] << 8);
	} else {
		t->second = 0;
		t->frac = 0;
	}
	/* IED calendars use 30-day months, so only the field ranges count */
	t->valid = t->month >= 1 && t->month <= 12 && t->day >= 1 &&
		   t->day <= 31 && t->hour <= 23 && t->minute <= 59 &&
		   t->second <= 59 && t->frac < MARA_FRAC_ONE;
}

void mara_event_decode(const u8 *rec, unsigned int dialect,
		       struct mara_event *ev)
{
	u8 tcd = rec[0];

	memset(ev, 0, sizeof(*ev));
	memcpy(ev->raw, rec, MARA_EVENT_LEN);
	ev->type = tcd >> 6;
	if (dialect & MARA_TCD_NGURU) {
		ev->calif = (tcd >> 4) & 3;
		ev->addr = tcd & 0x0F;
	} else {
		ev->calif = (tcd >> 5) & 1;
		ev->addr = tcd & 0x1F;
	}
	switch (ev->type) {
	case MARA_EV_DIGITAL:
		ev->status = rec[1] >> 7;
		ev->port = (rec[1] >> 4) & 7;
		ev->bit = rec[1] & 0x0F;
		mara_time_decode(rec, true, dialect, &ev->time);
		break;
	case MARA_EV_ENERGY:
		ev->code = (rec[1] >> 3) & 7;
		ev->channel = rec[1] & 7;
		/* §5.8: high byte, then the low word little-endian */
		ev->value = (u32)rec[7] << 16 | (u32)rec[9] << 8 | rec[8];
		mara_time_decode(rec, false, dialect, &ev->time);
		break;
	case MARA_EV_IDLE:
		ev->code = (rec[1] >> 3) & 7;
		mara_time_decode(rec, true, dialect, &ev->time);
		break;
	default:
		ev->code = rec[1] >> 4;
		ev->motive = rec[1] & 0x0F;
		mara_time_decode(rec, true, dialect, &ev->time);
		break;
	}
}

/* --- layouts ---------------------------------------------------------------- */

static bool mara_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Parse a decimal number of at most 3 digits within min..max.  On error *i
 * is left at the start of the number so the caller reports that position.
 */
static int mara_number(const char *t, size_t len, size_t *i, unsigned int min,
		       unsigned int max, u8 *out)
{
	unsigned int v = 0, digits = 0;
	size_t start = *i;

	while (*i < len && t[*i] >= '0' && t[*i] <= '9') {
		v = v * 10 + (unsigned int)(t[*i] - '0');
		(*i)++;
		if (++digits > 3)
			break;
	}
	if (!digits || digits > 3 || v < min || v > max) {
		*i = start;
		return -MARA_ELAYOUT;
	}
	*out = (u8)v;
	return 0;
}

static bool mara_expect(const char *t, size_t len, size_t *i, char c)
{
	if (*i >= len || t[*i] != c)
		return false;
	(*i)++;
	return true;
}

int mara_layout_parse(struct mara_layout *l, const char *text, size_t len,
		      size_t *errpos)
{
	size_t i = 0, start;
	unsigned int k;

	l->count = 0;
	for (;;) {
		struct mara_layout_ied ied;

		while (i < len && mara_is_space(text[i]))
			i++;
		if (i >= len || text[i] == '\0')
			return 0;
		start = i;
		if (l->count >= MARA_LAYOUT_MAX ||
		    mara_number(text, len, &i, 1, 254, &ied.addr) ||
		    !mara_expect(text, len, &i, ':') ||
		    mara_number(text, len, &i, 0, MARA_PAYLOAD_MAX,
				&ied.sv_bytes) ||
		    !mara_expect(text, len, &i, ',') ||
		    mara_number(text, len, &i, 0, MARA_PAYLOAD_MAX / 2,
				&ied.di_words) ||
		    !mara_expect(text, len, &i, ',') ||
		    mara_number(text, len, &i, 0, MARA_PAYLOAD_MAX / 2,
				&ied.ai_words))
			goto fail;
		if (i < len && !mara_is_space(text[i]) && text[i] != '\0')
			goto fail;
		for (k = 0; k < l->count; k++)
			if (l->ied[k].addr == ied.addr) {
				i = start;	/* point at the duplicate */
				goto fail;
			}
		l->ied[l->count++] = ied;
	}
fail:
	if (errpos)
		*errpos = i;
	l->count = 0;
	return -MARA_ELAYOUT;
}

static size_t mara_utoa(unsigned int v, char *out)
{
	char tmp[10];
	size_t n = 0, k;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (k = 0; k < n; k++)
		out[k] = tmp[n - 1 - k];
	return n;
}

int mara_layout_format(const struct mara_layout *l, char *buf, size_t cap)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < l->count; i++) {
		const struct mara_layout_ied *d = &l->ied[i];
		char tmp[20];
		size_t t = 0;

		if (i)
			tmp[t++] = ' ';
		t += mara_utoa(d->addr, tmp + t);
		tmp[t++] = ':';
		t += mara_utoa(d->sv_bytes, tmp + t);
		tmp[t++] = ',';
		t += mara_utoa(d->di_words, tmp + t);
		tmp[t++] = ',';
		t += mara_utoa(d->ai_words, tmp + t);
		if (n + t + 1 > cap)
			return -MARA_ENOSPACE;
		memcpy(buf + n, tmp, t);
		n += t;
	}
	if (n + 1 > cap)
		return -MARA_ENOSPACE;
	buf[n] = '\0';
	return (int)n;
}

static u16 mara_present(unsigned int off, unsigned int want, unsigned int have)
{
	if (off >= have)
		return 0;
	return (u16)(have - off < want ? have - off : want);
}

unsigned int mara_layout_bind(const struct mara_layout *l,
			      const struct mara_sections *s,
			      struct mara_ied_view *views,
			      struct mara_bind_report *rep)
{
	unsigned int sv = 0, di = 0, ai = 0, i;
	struct mara_bind_report r = { 0 };

	for (i = 0; i < l->count; i++) {
		const struct mara_layout_ied *d = &l->ied[i];
		struct mara_ied_view v;

		v.addr = d->addr;
		v.sv_off = (u16)sv;
		v.di_off = (u16)di;
		v.ai_off = (u16)ai;
		v.sv_len = mara_present(sv, d->sv_bytes, s->sv_len);
		v.di_len = mara_present(di, d->di_words, s->di_words);
		v.ai_len = mara_present(ai, d->ai_words, s->ai_words);
		v.complete = v.sv_len == d->sv_bytes &&
			     v.di_len == d->di_words &&
			     v.ai_len == d->ai_words;
		if (v.complete)
			r.complete_ieds++;
		if (views)
			views[i] = v;
		sv += d->sv_bytes;
		di += d->di_words;
		ai += d->ai_words;
	}
	r.sv_expected = (u16)sv;
	r.di_expected = (u16)di;
	r.ai_expected = (u16)ai;
	r.sv_actual = s->sv_len;
	r.di_actual = s->di_words;
	r.ai_actual = s->ai_words;
	if (s->sv_len < sv || s->di_words < di || s->ai_words < ai)
		r.flags |= MARA_BIND_SHORT;
	if (s->sv_len > sv || s->di_words > di || s->ai_words > ai)
		r.flags |= MARA_BIND_LONG;
	if (rep)
		*rep = r;
	return r.flags;
}

/* --- PEH ------------------------------------------------------------------- */

int mara_time_from_unix(s64 secs, u32 nsec, struct mara_time *t, u8 *dow)
{
	s64 days, sod, z, era, doe, yoe, y, doy, mp;

	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	/* Proleptic Gregorian civil date from a day count (H. Hinnant) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->day = (u8)(doy - (153 * mp + 2) / 5 + 1);
	t->month = (u8)(mp < 10 ? mp + 3 : mp - 9);
	if (t->month <= 2)
		y++;
	if (y < 2000 || y > 2253 || nsec >= 1000000000u)
		return -MARA_EINVAL;
	t->year = (u16)y;
	t->hour = (u8)(sod / 3600);
	t->minute = (u8)(sod / 60 % 60);
	t->second = (u8)(sod % 60);
	/* §6.1: fraction in 1/32768 s, truncated to a multiple of 1/128 s */
	t->frac = (u16)(((u64)nsec * MARA_FRAC_ONE / 1000000000u) & ~0xFFu);
	t->has_seconds = 1;
	t->valid = 1;
	if (dow) {
		/* 1970-01-01 was a Thursday (4) */
		s64 w = (days % 7 + 7 + 3) % 7;

		*dow = (u8)(w + 1);
	}
	return 0;
}

int mara_build_peh(u8 *buf, size_t cap, u8 src, const struct mara_time *t,
		   u8 dow, unsigned int dialect)
{
	u8 p[MARA_PEH_PAYLOAD_LEN];

	if (t->year < 2000 || t->year > 2253 || dow < 1 || dow > 7)
		return -MARA_EINVAL;
	p[0] = (u8)(t->year - 2000);
	p[1] = t->month;
	p[2] = t->day;
	p[3] = t->hour;
	p[4] = t->minute;
	p[5] = t->second;
	p[6] = t->frac & 0xFF;
	p[7] = t->frac >> 8;
	p[8] = (dialect & MARA_DOW_MONDAY0) ? dow - 1 : dow;
	return mara_build(buf, cap, MARA_ADDR_BROADCAST, src, MARA_SEQ_PEH,
			  MARA_CMD_PEH, p, sizeof(p));
}

int mara_decode_peh(const struct mara_frame *f, struct mara_time *t, u8 *dow)
{
	const u8 *p = f->payload;

	if (f->cmd != MARA_CMD_PEH)
		return -MARA_ECOMMAND;
	if (f->payload_len != MARA_PEH_PAYLOAD_LEN)
		return -MARA_ETRUNCATED;
	t->year = 2000 + p[0];
	t->month = p[1];
	t->day = p[2];
	t->hour = p[3];
	t->minute = p[4];
	t->second = p[5];
	t->frac = (u16)(p[6] | p[7] << 8);
	t->has_seconds = 1;
	t->valid = t->month >= 1 && t->month <= 12 && t->day >= 1 &&
		   t->day <= 31 && t->hour <= 23 && t->minute <= 59 &&
		   t->second <= 59 && t->frac < MARA_FRAC_ONE;
	if (dow)
		*dow = p[8];
	return 0;
}

/* --- output control --------------------------------------------------------- */

int mara_build_control(u8 *buf, size_t cap, u8 dst, u8 src, u8 seq,
		       const struct mara_control *c)
{
	u8 p[3] = { c->port, c->bit, c->state };

	if (c->state > 1)
		return -MARA_EINVAL;
	return mara_build(buf, cap, dst, src, seq, MARA_CMD_CONTROL, p,
			  sizeof(p));
}

int mara_decode_control(const struct mara_frame *f, struct mara_control *c)
{
	if (f->cmd != MARA_CMD_CONTROL)
		return -MARA_ECOMMAND;
	if (f->payload_len != 3)
		return -MARA_ETRUNCATED;
	c->port = f->payload[0];
	c->bit = f->payload[1];
	c->state = f->payload[2];
	return 0;
}

int mara_control_check(const struct mara_frame *reply,
		       const struct mara_control *req)
{
	struct mara_control got;
	int err = mara_decode_control(reply, &got);

	if (err)
		return err;
	if (got.bit == MARA_CONTROL_BIT_ERROR)
		return -MARA_EREFUSED;
	if (got.port != req->port || got.bit != req->bit ||
	    got.state != req->state)
		return -MARA_EMISMATCH;
	return 0;
}
