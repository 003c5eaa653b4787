// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * 0x10 sections, events in both dialects, layouts and binding, PEH and 0x13 (spec §4-§6, §8.3,
 * §11), and the production capture when shared/data is present.
 */
#include <smve/mara.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const char tv_r1[] =
	"FE 44 40 01 4A 10 19 00 00 90 1D 01 00 00 00 00 00 80 80 00 00 80 80 00 00 80 80 00 00 80 80 0F"
	"00 00 43 00 00 00 00 04 00 04 00 04 00 04 13 48 05 51 00 51 00 51 00 51 00 51 00 51 00 51 00 51"
	"00 01 E1 29";
static const char tv_r2[] =
	"FE F8 40 01 4D 10 19 00 00 8D 1D 01 00 00 00 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 01 0F"
	"00 00 43 00 00 00 00 04 00 04 00 04 00 04 13 81 09 51 00 51 00 51 00 51 00 51 00 51 00 51 00 51"
	"00 B5 01 93 0C 01 01 01 08 22 00 14 01 E3 0C 01 01 01 08 22 00 14 01 05 0C 01 01 01 08 22 00 14"
	"01 92 0C 01 01 01 08 22 00 18 01 E2 0C 01 01 01 08 22 00 18 01 04 0C 01 01 01 08 22 00 18 01 F1"
	"0C 01 01 01 08 22 00 1C 01 93 0C 01 01 01 08 22 00 1C 01 F3 0C 01 01 01 08 22 00 1C 01 05 0C 01"
	"01 01 08 22 00 1C 01 F2 0C 01 01 01 08 22 00 20 01 04 0C 01 01 01 08 22 00 20 01 F0 0C 01 01 01"
	"08 22 00 24 01 92 0C 01 01 01 08 22 00 24 01 15 0C 01 01 01 08 22 00 60 01 14 0C 01 01 01 08 22"
	"00 7C 01 F3 0C 01 01 01 08 23 00 00 01 15 0C 01 01 01 08 23 00 00 3C 91";
static const char tv_r3[] =
	"FE E4 40 01 F1 10 19 00 00 86 1D 01 00 00 00 00 EF 00 03 00 00 00 04 00 00 80 80 00 00 80 80 0F"
	"00 00 43 00 00 00 40 F6 40 F6 00 F4 00 3A 13 7F 09 00 40 00 40 00 40 00 40 00 40 00 40 00 40 00"
	"40 A1 45 00 0C 08 03 0F 00 00 00 00 45 01 0C 08 03 0F 00 00 00 00 42 00 0C 08 03 0F 00 00 00 00"
	"42 01 0C 08 03 0F 00 00 00 00 43 00 0C 08 03 0F 00 00 00 00 43 01 0C 08 03 0F 00 00 00 00 44 00"
	"0C 08 03 0F 00 00 00 00 44 01 0C 08 03 0F 00 00 00 00 43 00 0C 08 03 0F 0F 00 00 00 43 01 0C 08"
	"03 0F 0F 00 00 00 44 00 0C 08 03 0F 0F 00 00 00 44 01 0C 08 03 0F 0F 00 00 00 45 00 0C 08 03 0F"
	"0F 00 00 00 45 01 0C 08 03 0F 0F 00 00 00 42 00 0C 08 03 0F 0F 00 00 00 42 01 0C 08 03 0F 0F 00"
	"00 00 1D C2";
static const char tv_r4[] =
	"FE 58 40 01 22 10 19 00 00 8D 1D 01 00 00 00 00 EF 00 04 00 00 00 04 00 00 80 80 00 00 80 80 0F"
	"00 00 43 00 00 00 40 F6 40 F6 00 F4 40 B6 13 83 09 00 40 00 40 00 40 00 40 00 40 00 40 24 00 1E"
	"00 15 44 00 0C 08 03 0E 2D 00 0E 00 44 01 0C 08 03 0E 2D 00 0C 00 B3 5C";

static u8 frame[512];

static int load(const char *hex, struct mara_frame *f, struct mara_sections *s)
{
	int n = tap_hex(hex, frame, sizeof(frame));

	memset(f, 0, sizeof(*f));
	memset(s, 0, sizeof(*s));

	if (n < 0 || mara_parse(frame, (size_t)n, f))
		return -1;
	return mara_sections_parse(f->payload, f->payload_len, s);
}

static void test_tv_r1_r4(void)
{
	static const u16 di[] = { 0x0000, 0x0043, 0x0000, 0x0400, 0x0400, 0x0400, 0x0400 };
	struct mara_frame f;
	struct mara_sections s;
	unsigned int i;
	bool ok = true;

	if (!IS(load(tv_r1, &f, &s), 0, "TV-R1 parses"))
		return;
	OK(f.qty == 68 && f.dst == 0x40 && f.src == 1 && f.seq == 0x4A && f.cmd == 0x10, "TV-R1 header");
	if (!OK(s.sv_len == 24 && s.di_words == 7 && s.ai_words == 9 && s.ev_count == 0 && s.di &&
		s.ai, "TV-R1 sections 24/7/9/0") || !s.di || !s.ai)
		return;
	for (i = 0; i < 7; i++)
		ok &= mara_word(s.di, i) == di[i];
	OK(ok, "TV-R1 DI words");
	OK(mara_word(s.ai, 0) == 0x0548 && mara_word(s.ai, 8) == 0x0051 &&
	   mara_ai_q(mara_word(s.ai, 0)) == 0, "TV-R1 AI words, q 0");

	if (!IS(load(tv_r3, &f, &s), 0, "TV-R3 parses (SEQ F1 outside the poll range)"))
		return;
	if (!OK(s.ev_count == 16 && f.seq == 0xF1 && s.ev && s.ai && s.ai_words == 9,
		"TV-R3 has 16 events") || !s.ev || !s.ai)
		return;
	ok = true;
	for (i = 0; i < 16; i++) {
		struct mara_event ev;

		mara_event_decode(s.ev + 10 * i, MARA_DIALECT_FIRMWARE, &ev);
		ok &= ev.type == MARA_EV_ENERGY && ev.code == 0 && ev.value == 0 &&
		      ev.time.year == 2012 && ev.time.month == 8 && ev.time.day == 3 &&
		      ev.time.hour == 15 && ev.time.minute == (i < 8 ? 0 : 15);
	}
	OK(ok, "TV-R3 all ENERGY code 0 value 0 at 2012-08-03 15:00/15:15");
	OK(mara_word(s.ai, 1) == 0x4000 && mara_ai_q(0x4000) == 1 && mara_ai_value(0x4000) == 0,
	   "TV-R3 AI 4000 is q 1 value 0");

	if (!IS(load(tv_r4, &f, &s), 0, "TV-R4 parses"))
		return;
	{
		struct mara_event a, b;

		mara_event_decode(s.ev, 0, &a);
		mara_event_decode(s.ev + 10, 0, &b);
		OK(a.addr == 4 && a.channel == 0 && a.value == 14 && a.time.hour == 14 &&
		   a.time.minute == 45 && b.channel == 1 && b.value == 12, "TV-R4 energy values 14 and 12");
	}
}

static void test_tv_r2_digital(void)
{
	static const struct { u8 status, port, bit, sec; u16 frac; } want[18] = {
		{ 1, 1, 3, 34, 20 << 8 }, { 1, 6, 3, 34, 20 << 8 }, { 0, 0, 5, 34, 20 << 8 },
		{ 1, 1, 2, 34, 24 << 8 }, { 1, 6, 2, 34, 24 << 8 }, { 0, 0, 4, 34, 24 << 8 },
		{ 1, 7, 1, 34, 28 << 8 }, { 1, 1, 3, 34, 28 << 8 }, { 1, 7, 3, 34, 28 << 8 },
		{ 0, 0, 5, 34, 28 << 8 }, { 1, 7, 2, 34, 32 << 8 }, { 0, 0, 4, 34, 32 << 8 },
		{ 1, 7, 0, 34, 36 << 8 }, { 1, 1, 2, 34, 36 << 8 }, { 0, 1, 5, 34, 96 << 8 },
		{ 0, 1, 4, 34, 124 << 8 }, { 1, 7, 3, 35, 0 }, { 0, 1, 5, 35, 0 },
	};
	struct mara_frame f;
	struct mara_sections s;
	unsigned int i;

	if (!IS(load(tv_r2, &f, &s), 0, "TV-R2 parses"))
		return;
	if (!IS(s.ev_count, 18, "TV-R2 has 18 events") || !s.ev)
		return;
	for (i = 0; i < 18 && i < s.ev_count; i++) {
		struct mara_event ev;

		mara_event_decode(s.ev + 10 * i, MARA_DIALECT_FIRMWARE, &ev);
		OK(ev.type == MARA_EV_DIGITAL && ev.addr == 1 && ev.calif == 0 &&
		   ev.status == want[i].status && ev.port == want[i].port && ev.bit == want[i].bit &&
		   ev.time.year == 2012 && ev.time.hour == 1 && ev.time.minute == 8 &&
		   ev.time.second == want[i].sec && ev.time.frac == want[i].frac && ev.time.valid,
		   "TV-R2 event %u: status %u port %u bit %u frac %u", i + 1, ev.status, ev.port, ev.bit,
		   ev.time.frac);
	}
}

static void test_single_records(void)
{
	struct mara_event ev;
	u8 rec[10];

	tap_hex("21 93 0C 01 01 01 08 22 00 14", rec, 10);
	mara_event_decode(rec, MARA_DIALECT_FIRMWARE, &ev);
	OK(ev.type == 0 && ev.calif == 1 && ev.addr == 1, "TCD 21: DIGITAL calif 1 address 1");
	mara_event_decode(rec, MARA_DIALECT_NGURU, &ev);
	OK(ev.calif == 2 && ev.addr == 1, "TCD 21 in the nguru dialect: q 2 address 1");
	OK(ev.time.frac == 0x0014, "nguru dialect reads the fraction big-endian");
	tap_hex("51 00 0E 01 0D 10 0F 00 C3 05", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.type == MARA_EV_ENERGY && ev.calif == 0 && ev.addr == 17, "TCD 51: ENERGY address 17");
	mara_event_decode(rec, MARA_TCD_NGURU, &ev);
	OK(ev.calif == 1 && ev.addr == 1, "TCD 51 in nguru's reading: q 1 address 1");
	tap_hex("5F 00 0E 01 0D 10 0F 00 C3 05", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.addr == 31, "addresses up to 31 decode");
	tap_hex("43 00 0E 01 0D 10 0F 00 C3 05", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.addr == 3 && ev.code == 0 && ev.channel == 0 && ev.value == 1475 &&
	   ev.time.year == 2014 && ev.time.month == 1 && ev.time.day == 13 && ev.time.hour == 16 &&
	   ev.time.minute == 15 && !ev.time.has_seconds, "energy 1475 (capture line 1)");
	tap_hex("43 01 0E 01 0D 10 0F 00 58 02", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.channel == 1 && ev.value == 600, "energy channel 1 value 600");
	tap_hex("42 18 0E 01 14 17 3B 1D 76 6C", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.code == 3 && ev.channel == 0 && ev.value == 1928310 && ev.time.hour == 23 &&
	   ev.time.minute == 59, "code 3: 24-hour total 1928310 at 23:59");
	tap_hex("43 08 0E 01 14 17 3B 00 CF 05", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.code == 1 && ev.value == 1487, "code 1: last interval 1487");
	tap_hex("41 00 0E 01 0D 10 0F 02 13 BA", rec, 10);
	mara_event_decode(rec, 0, &ev);
	IS(ev.value, 178707, "value bytes 02 13 BA = 178707 (high byte, then LE word)");
	tap_hex("C3 21 0E 01 0D 10 0F 05 00 20", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.type == MARA_EV_COMSYS && ev.addr == 3 && ev.code == 2 && ev.motive == 1 &&
	   ev.time.second == 5 && ev.time.frac == 0x2000, "COMSYS code 2 motive 1 at 16:15:05.250");
	tap_hex("83 28 0E 01 0D 10 0F 05 00 20", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.type == MARA_EV_IDLE && ev.addr == 3 && ev.code == 5 && ev.time.frac == 0x2000,
	   "IDLE code 5");
	tap_hex("01 93 0C 00 01 01 08 22 00 14", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(!ev.time.valid, "month 0 is a bad time");
	tap_hex("01 93 0C 01 01 01 08 22 00 80", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(!ev.time.valid, "fraction 0x8000 is a bad time");
	tap_hex("01 93 0C 02 1E 17 3B 3B 00 7F", rec, 10);
	mara_event_decode(rec, 0, &ev);
	OK(ev.time.valid, "February 30 is accepted (IED calendars use 30-day months)");
}

static void test_sections_errors(void)
{
	static const struct { const char *payload; int err; const char *what; } vec[] = {
		{ "01 01 01 01", 0, "all sections empty" },
		{ "00 01 01 01", -MARA_ESECTIONS, "count byte 0" },
		{ "01 02 AA 01 01", -MARA_ESECTIONS, "odd DI byte count" },
		{ "01 01 02 AA 01", -MARA_ESECTIONS, "odd AI byte count" },
		{ "01 01 01 05 00 00 00 00", -MARA_ESECTIONS, "events not a multiple of 10" },
		{ "01 01 01 01 00", -MARA_ESECTIONS, "bytes after the last section" },
		{ "01 01 01", -MARA_ESECTIONS, "missing event section" },
		{ "07 01 01", -MARA_ESECTIONS, "SV count past the end" },
		{ "", -MARA_ESECTIONS, "empty payload" },
	};
	struct mara_sections s;
	u8 p[64];
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		int n = tap_hex(vec[i].payload, p, sizeof(p));

		IS(mara_sections_parse(p, (size_t)n, &s), vec[i].err, "sections: %s", vec[i].what);
	}
}

static void test_layout(void)
{
	struct mara_layout l;
	struct mara_ied_view v[MARA_LAYOUT_MAX];
	struct mara_bind_report rep;
	struct mara_sections s;
	struct mara_frame f;
	char out[256];
	size_t pos = 99;
	const char *txt = "1:6,3,4 2:6,1,2  3:6,1,2";

	IS(mara_layout_parse(&l, txt, strlen(txt), &pos), 0, "layout parses");
	OK(l.count == 3 && l.ied[0].addr == 1 && l.ied[0].di_words == 3 && l.ied[0].ai_words == 4 &&
	   l.ied[2].addr == 3 && l.ied[2].sv_bytes == 6, "layout fields");
	IS(mara_layout_format(&l, out, sizeof(out)), 23, "layout formats");
	OK(strcmp(out, "1:6,3,4 2:6,1,2 3:6,1,2") == 0, "layout round-trips: %s", out);
	IS(mara_layout_format(&l, out, 10), -MARA_ENOSPACE, "format refuses a small buffer");
	IS(mara_layout_parse(&l, "", 0, NULL), 0, "empty layout");
	IS(l.count, 0, "empty layout has no IED");
	{
		static const struct { const char *t; size_t pos; } bad[] = {
			{ "1:6,3", 5 }, { "1:6,3,4 1:6,1,2", 8 }, { "0:6,1,2", 0 }, { "1:6;1,2", 3 },
			{ "1:6,1,2x", 7 }, { "1:6,1,2 2:", 10 }, { "1:1000,1,2", 2 }, { "a:6,1,2", 0 },
			{ "255:6,1,2", 0 }, { "1:246,1,2", 2 }, { "1:6,123,2", 4 },
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			pos = 999;
			OK(mara_layout_parse(&l, bad[i].t, strlen(bad[i].t), &pos) == -MARA_ELAYOUT &&
			   pos == bad[i].pos, "bad layout '%s' rejected at %zu (got %zu)", bad[i].t,
			   bad[i].pos, pos);
		}
	}
	/* bind TV-R1 (24 SV, 7 DI, 9 AI): exact, short and long layouts */
	if (load(tv_r1, &f, &s))
		return;
	txt = "1:6,3,3 2:6,1,2 3:6,1,2 4:6,2,2";
	mara_layout_parse(&l, txt, strlen(txt), NULL);
	IS(mara_layout_bind(&l, &s, v, &rep), MARA_BIND_OK, "exact layout binds");
	OK(v[3].sv_off == 18 && v[3].di_off == 5 && v[3].ai_off == 7 && v[3].complete,
	   "offsets of the 4th IED");
	txt = "1:6,3,3 2:6,1,2 3:6,1,2 4:6,2,2 5:6,1,2";
	mara_layout_parse(&l, txt, strlen(txt), NULL);
	IS(mara_layout_bind(&l, &s, v, &rep), MARA_BIND_SHORT, "reply shorter than the layout");
	OK(rep.complete_ieds == 4 && rep.sv_expected == 30 && rep.sv_actual == 24 &&
	   rep.ai_expected == 11 && rep.ai_actual == 9 && !v[4].complete && v[4].sv_len == 0,
	   "short reply: report and the four complete IEDs still bound");
	txt = "1:6,3,3 2:6,1,2";
	mara_layout_parse(&l, txt, strlen(txt), NULL);
	IS(mara_layout_bind(&l, &s, v, &rep), MARA_BIND_LONG, "reply longer than the layout");
	OK(rep.complete_ieds == 2 && v[1].complete, "long reply binds what matches");
	txt = "1:6,3,3 2:4,1,2";
	mara_layout_parse(&l, txt, strlen(txt), NULL);
	OK(mara_layout_bind(&l, &s, v, &rep) == MARA_BIND_LONG && rep.sv_expected == 10,
	   "mismatch per section is reported");
}

static void test_peh(void)
{
	struct mara_time t;
	struct mara_frame f;
	u8 dow, want[32], got[32];
	int n;

	/* 2014-02-06 19:35:27.500 (a Thursday) */
	IS(mara_time_from_unix(1391715327, 500000000, &t, &dow), 0, "civil time from seconds");
	OK(t.year == 2014 && t.month == 2 && t.day == 6 && t.hour == 19 && t.minute == 35 &&
	   t.second == 27 && t.frac == 0x4000 && dow == 4, "2014-02-06 19:35:27.500 Thursday");
	n = mara_build_peh(got, sizeof(got), 0x40, &t, dow, MARA_DIALECT_FIRMWARE);
	tap_hex("FE 11 FF 40 BB 12 0E 02 06 13 23 1B 00 40 04 0C 2C", want, sizeof(want));
	OK(n == 17 && memcmp(got, want, 17) == 0, "normative PEH vector (SRC 40)");
	n = mara_build_peh(got, sizeof(got), 0x01, &t, dow, 0);
	tap_hex("FE 11 FF 01 BB 12 0E 02 06 13 23 1B 00 40 04 0C 6B", want, sizeof(want));
	OK(n == 17 && memcmp(got, want, 17) == 0, "normative PEH vector from a bus master (SRC 01)");
	/* 2014-01-01 12:00:00 Wednesday: normative DoW 03, nguru 02 */
	mara_time_from_unix(1388577600, 0, &t, &dow);
	n = mara_build_peh(got, sizeof(got), 0x40, &t, dow, 0);
	tap_hex("FE 11 FF 40 BB 12 0E 01 01 0C 00 00 00 00 03 35 8F", want, sizeof(want));
	OK(n == 17 && memcmp(got, want, 17) == 0, "Wednesday is 03");
	n = mara_build_peh(got, sizeof(got), 0x40, &t, dow, MARA_DIALECT_NGURU);
	tap_hex("FE 11 FF 40 BB 12 0E 01 01 0C 00 00 00 00 02 36 8F", want, sizeof(want));
	OK(n == 17 && memcmp(got, want, 17) == 0, "nguru dialect sends Wednesday as 02");
	mara_time_from_unix(1391715327, 999999999, &t, NULL);
	IS(t.frac, 0x7F00, "fraction truncated to a multiple of 1/128 s");
	IS(mara_time_from_unix(946684799, 0, &t, NULL), -MARA_EINVAL, "1999 is out of range");
	mara_time_from_unix(951782400, 0, &t, &dow);
	OK(t.month == 2 && t.day == 29 && t.year == 2000 && dow == 2, "leap day 2000-02-29 Tuesday");
	n = tap_hex("FE 11 FF 40 22 12 0C 0A 10 00 37 0D 50 3D 02 3B 48", want, sizeof(want));
	IS(mara_parse(want, (size_t)n, &f), 0, "nguru test_peh frame verifies");
	IS(mara_decode_peh(&f, &t, &dow), 0, "PEH decodes");
	OK(t.year == 2012 && t.month == 10 && t.day == 16 && t.hour == 0 && t.minute == 55 &&
	   t.second == 13 && t.frac == 0x3D50 && dow == 2, "2012-10-16 00:55:13 + 0x3D50, DoW 02");
	n = tap_hex("FE 08 01 40 80 10 80 A7", want, sizeof(want));
	mara_parse(want, (size_t)n, &f);
	IS(mara_decode_peh(&f, &t, &dow), -MARA_ECOMMAND, "PEH decoder refuses a poll");
}

static void test_control(void)
{
	struct mara_control c = { 0, 3, 1 }, got;
	struct mara_frame f;
	u8 want[16], b[16];
	int n = mara_build_control(b, sizeof(b), 0x01, 0x40, 0x21, &c);

	tap_hex("FE 0B 01 40 21 13 00 03 01 DE 9E", want, sizeof(want));
	OK(n == 11 && memcmp(b, want, 11) == 0, "0x13 request vector");
	mara_parse(b, 11, &f);
	OK(mara_decode_control(&f, &got) == 0 && got.port == 0 && got.bit == 3 && got.state == 1,
	   "0x13 request decodes");
	n = tap_hex("FE 0B 40 01 21 13 00 03 01 9F DD", b, sizeof(b));
	mara_parse(b, (size_t)n, &f);
	IS(mara_control_check(&f, &c), 0, "success echo");
	n = tap_hex("FE 0B 40 01 21 13 00 FF 01 9E E1", b, sizeof(b));
	mara_parse(b, (size_t)n, &f);
	IS(mara_control_check(&f, &c), -MARA_EREFUSED, "Bit = FF is refused");
	mara_build(b, sizeof(b), 0x40, 0x01, 0x21, 0x13, (const u8[]){ 0, 4, 1 }, 3);
	mara_parse(b, 11, &f);
	IS(mara_control_check(&f, &c), -MARA_EMISMATCH, "a different echo is a mismatch");
	c.state = 2;
	IS(mara_build_control(b, sizeof(b), 1, 0x40, 0x21, &c), -MARA_EINVAL, "state must be 0 or 1");
}

/* spec §11.7: the 199 production frames of station E4 */
static void test_capture(void)
{
	const char *dir = getenv("SMVE_SHARED");
	char path[512], line[2048];
	struct mara_layout l;
	FILE *fp;
	int frames = 0, bad = 0, events = 0, energy = 0;
	const char *txt = "1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2 5:6,1,2 6:6,1,2 7:6,1,2 8:6,1,2 "
			  "9:6,1,2 10:6,1,2 11:6,1,2";

	snprintf(path, sizeof(path), "%s/data/tramas140114.txt", dir ? dir : "../shared");
	fp = fopen(path, "r");
	if (!fp) {
		tap_skip("shared/data/tramas140114.txt not found (set SMVE_SHARED)",
			 "production capture decodes");
		return;
	}
	mara_layout_parse(&l, txt, strlen(txt), NULL);
	while (fgets(line, sizeof(line), fp)) {
		struct mara_frame f;
		struct mara_sections s;
		struct mara_bind_report rep;
		int n = tap_hex(line, frame, sizeof(frame)), k;

		if (n <= 0)
			continue;
		frames++;
		if (mara_parse(frame, (size_t)n, &f) || mara_sections_parse(f.payload, f.payload_len, &s) ||
		    s.sv_len != 66 || s.di_words != 13 || s.ai_words != 24 ||
		    mara_layout_bind(&l, &s, NULL, &rep) != MARA_BIND_OK || rep.complete_ieds != 11) {
			bad++;
			continue;
		}
		for (k = 0; k < s.ev_count; k++) {
			struct mara_event ev;

			mara_event_decode(s.ev + 10 * k, 0, &ev);
			events++;
			if (ev.type == MARA_EV_ENERGY && ev.addr >= 2 && ev.addr <= 10 && ev.time.valid &&
			    (ev.code == 0 || ev.code == 1 || ev.code == 3) && ev.channel <= 1 &&
			    !(ev.time.hour == 0 && ev.time.minute == 0) &&
			    (ev.code == 0 || (ev.time.hour == 23 && ev.time.minute == 59)))
				energy++;
		}
	}
	fclose(fp);
	IS(frames, 199, "capture holds 199 frames");
	IS(bad, 0, "every frame verifies, splits 66/13/24 and binds to the 11-IED layout");
	IS(events, 1989, "1989 events in all");
	IS(energy, 1989, "all are ENERGY from 2..10 with codes 0/1/3, none stamped 00:00");
}

int main(void)
{
	test_tv_r1_r4();
	test_tv_r2_digital();
	test_single_records();
	test_sections_errors();
	test_layout();
	test_peh();
	test_control();
	test_capture();
	return tap_done();
}
