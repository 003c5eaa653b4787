// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JSON rendering against the spec's vectors (§11.4 TV-R1/TV-R4 and a TV-R2 sample, §11.5
 * single records, §11.6 frames): the expected strings are written from the spec's decodes, so
 * any change of field order, naming or number formatting fails here.
 */
#include <smve/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static char out[SMVE_JSON_FRAME_MAX];

static size_t hex(const char *s, uint8_t *buf)
{
	int n = tap_hex(s, buf, 512);

	if (n < 0) {
		fprintf(stderr, "bad hex in test: %s\n", s);
		exit(2);
	}
	return (size_t)n;
}

static bool same(const char *got, const char *want, const char *what)
{
	if (OK(!strcmp(got, want), "%s", what))
		return true;
	tap_diag("  got:  %s", got);
	tap_diag("  want: %s", want);
	return false;
}

static void frame_is(const char *hexframe, const char *layout, unsigned int dialect,
		     const char *want, const char *what)
{
	uint8_t buf[512];
	struct mara_layout l = { 0 };
	size_t n = hex(hexframe, buf);

	if (layout && mara_layout_parse(&l, layout, strlen(layout), NULL)) {
		OK(0, "%s: layout parses", what);
		return;
	}
	if (smve_json_render(out, sizeof(out), buf, n, layout ? &l : NULL, dialect) < 0) {
		OK(0, "%s: renders", what);
		return;
	}
	same(out, want, what);
}

static void event_is(const char *rec, unsigned int dialect, const char *want, const char *what)
{
	uint8_t buf[16];
	struct mara_event ev;
	struct smve_json w;

	hex(rec, buf);
	mara_event_decode(buf, dialect, &ev);
	smve_json_init(&w, out, sizeof(out));
	smve_json_event(&w, &ev, dialect);
	OK(!w.overflow, "%s: fits", what);
	same(out, want, what);
}

#define AI81 "{\"raw\":81,\"value\":81,\"q\":0}"
#define AI4000 "{\"raw\":16384,\"value\":0,\"q\":1}"

static void test_poll_replies(void)
{
	frame_is("FE 44 40 01 4A 10 19 00 00 90 1D 01 00 00 00 00 00 80 80 00 00 80 80 00 00 80 80"
		 " 00 00 80 80 0F 00 00 43 00 00 00 00 04 00 04 00 04 00 04 13 48 05 51 00 51 00 51"
		 " 00 51 00 51 00 51 00 51 00 51 00 01 E1 29", NULL, 0,
		 "{\"ok\":true,\"qty\":68,\"dst\":64,\"src\":1,\"seq\":74,\"cmd\":16,"
		 "\"sv\":[0,0,144,29,1,0,0,0,0,0,128,128,0,0,128,128,0,0,128,128,0,0,128,128],"
		 "\"di\":[0,67,0,1024,1024,1024,1024],"
		 "\"ai\":[{\"raw\":1352,\"value\":1352,\"q\":0}," AI81 "," AI81 "," AI81 "," AI81 ","
		 AI81 "," AI81 "," AI81 "," AI81 "],\"events\":[]}", "§11.4 TV-R1 exact");

	frame_is("FE 58 40 01 22 10 19 00 00 8D 1D 01 00 00 00 00 EF 00 04 00 00 00 04 00 00 80 80"
		 " 00 00 80 80 0F 00 00 43 00 00 00 40 F6 40 F6 00 F4 40 B6 13 83 09 00 40 00 40 00"
		 " 40 00 40 00 40 00 40 24 00 1E 00 15 44 00 0C 08 03 0E 2D 00 0E 00 44 01 0C 08 03"
		 " 0E 2D 00 0C 00 B3 5C", NULL, 0,
		 "{\"ok\":true,\"qty\":88,\"dst\":64,\"src\":1,\"seq\":34,\"cmd\":16,"
		 "\"sv\":[0,0,141,29,1,0,0,0,0,239,0,4,0,0,0,4,0,0,128,128,0,0,128,128],"
		 "\"di\":[0,67,0,63040,63040,62464,46656],"
		 "\"ai\":[{\"raw\":2435,\"value\":2435,\"q\":0}," AI4000 "," AI4000 "," AI4000 ","
		 AI4000 "," AI4000 "," AI4000 ",{\"raw\":36,\"value\":36,\"q\":0},"
		 "{\"raw\":30,\"value\":30,\"q\":0}],\"events\":["
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":4,\"code\":0,\"channel\":0,"
		 "\"time\":\"2012-08-03T14:45\",\"value\":14},"
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":4,\"code\":0,\"channel\":1,"
		 "\"time\":\"2012-08-03T14:45\",\"value\":12}]}", "§11.4 TV-R4 exact");

	/* TV-R2: 18 digital events; check the header and the first two and last events */
	{
		uint8_t buf[512];
		size_t n = hex("FE F8 40 01 4D 10 19 00 00 8D 1D 01 00 00 00 00 00 00 01 00 00 00 01 00"
			       " 00 00 01 00 00 00 01 0F 00 00 43 00 00 00 00 04 00 04 00 04 00 04 13 81"
			       " 09 51 00 51 00 51 00 51 00 51 00 51 00 51 00 51 00 B5 01 93 0C 01 01 01"
			       " 08 22 00 14 01 E3 0C 01 01 01 08 22 00 14 01 05 0C 01 01 01 08 22 00 14"
			       " 01 92 0C 01 01 01 08 22 00 18 01 E2 0C 01 01 01 08 22 00 18 01 04 0C 01"
			       " 01 01 08 22 00 18 01 F1 0C 01 01 01 08 22 00 1C 01 93 0C 01 01 01 08 22"
			       " 00 1C 01 F3 0C 01 01 01 08 22 00 1C 01 05 0C 01 01 01 08 22 00 1C 01 F2"
			       " 0C 01 01 01 08 22 00 20 01 04 0C 01 01 01 08 22 00 20 01 F0 0C 01 01 01"
			       " 08 22 00 24 01 92 0C 01 01 01 08 22 00 24 01 15 0C 01 01 01 08 22 00 60"
			       " 01 14 0C 01 01 01 08 22 00 7C 01 F3 0C 01 01 01 08 23 00 00 01 15 0C 01"
			       " 01 01 08 23 00 00 3C 91", buf);
		static const char head[] =
			"{\"ok\":true,\"qty\":248,\"dst\":64,\"src\":1,\"seq\":77,\"cmd\":16,";
		int len = smve_json_render(out, sizeof(out), buf, n, NULL, 0);

		OK(len > 0 && !strncmp(out, head, strlen(head)), "TV-R2 header");
		OK(strstr(out, "\"events\":[{\"type\":\"digital\",\"calif\":0,\"addr\":1,\"status\":1,"
			       "\"port\":1,\"bit\":3,\"time\":\"2012-01-01T01:08:34.156250\"},"
			       "{\"type\":\"digital\",\"calif\":0,\"addr\":1,\"status\":1,\"port\":6,"
			       "\"bit\":3,\"time\":\"2012-01-01T01:08:34.156250\"},") != NULL,
		   "TV-R2 events 1 and 2 (ports beyond the DI words are still printed)");
		OK(strstr(out, "{\"type\":\"digital\",\"calif\":0,\"addr\":1,\"status\":0,\"port\":1,"
			       "\"bit\":5,\"time\":\"2012-01-01T01:08:35.000000\"}]}") != NULL,
		   "TV-R2 event 18 ends the object");
		OK(strstr(out, "\"time\":\"2012-01-01T01:08:34.968750\"") != NULL,
		   "TV-R2 event 16: 124/128 s");
	}
}

static void test_records(void)
{
	event_is("01 93 0C 01 01 01 08 22 00 14", 0,
		 "{\"type\":\"digital\",\"calif\":0,\"addr\":1,\"status\":1,\"port\":1,\"bit\":3,"
		 "\"time\":\"2012-01-01T01:08:34.156250\"}", "§11.5 digital 0x1400/32768 s");
	event_is("01 15 0C 01 01 01 08 23 00 00", 0,
		 "{\"type\":\"digital\",\"calif\":0,\"addr\":1,\"status\":0,\"port\":1,\"bit\":5,"
		 "\"time\":\"2012-01-01T01:08:35.000000\"}", "§11.5 digital whole second");
	event_is("43 00 0E 01 0D 10 0F 00 C3 05", 0,
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":3,\"code\":0,\"channel\":0,"
		 "\"time\":\"2014-01-13T16:15\",\"value\":1475}", "§11.5 energy capture line 1");
	event_is("43 01 0E 01 0D 10 0F 00 58 02", 0,
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":3,\"code\":0,\"channel\":1,"
		 "\"time\":\"2014-01-13T16:15\",\"value\":600}", "§11.5 energy reactive");
	event_is("42 18 0E 01 14 17 3B 1D 76 6C", 0,
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":2,\"code\":3,\"channel\":0,"
		 "\"time\":\"2014-01-20T23:59\",\"value\":1928310}", "§11.5 energy 24-hour total");
	event_is("42 18 0E 01 14 17 3B 1D 76 6C", MARA_DIALECT_NGURU,
		 "{\"type\":\"energy\",\"q\":0,\"addr\":2,\"code\":1,\"hnn\":1,\"channel\":0,"
		 "\"time\":\"2014-01-20T23:59\",\"value\":1928310}", "§11.5 nguru: code 1, hnn 1");
	event_is("43 08 0E 01 14 17 3B 00 CF 05", 0,
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":3,\"code\":1,\"channel\":0,"
		 "\"time\":\"2014-01-20T23:59\",\"value\":1487}", "§11.5 energy code 1 (23:45-24:00)");
	event_is("43 08 0E 01 14 17 3B 00 CF 05", MARA_DIALECT_NGURU,
		 "{\"type\":\"energy\",\"q\":0,\"addr\":3,\"code\":0,\"hnn\":1,\"channel\":0,"
		 "\"time\":\"2014-01-20T23:59\",\"value\":1487}", "§11.5 nguru: code 0, hnn 1");
	event_is("C3 21 0E 01 0D 10 0F 05 00 20", 0,
		 "{\"type\":\"comsys\",\"calif\":0,\"addr\":3,\"code\":2,\"motive\":1,"
		 "\"time\":\"2014-01-13T16:15:05.250000\"}", "§11.5 comsys connection restored");
	event_is("21 93 0C 01 01 01 08 22 00 14", 0,
		 "{\"type\":\"digital\",\"calif\":1,\"addr\":1,\"status\":1,\"port\":1,\"bit\":3,"
		 "\"time\":\"2012-01-01T01:08:34.156250\"}", "§11.5 TCD 21: calif 1");
	event_is("21 93 0C 01 01 01 08 22 00 14", MARA_DIALECT_NGURU,
		 "{\"type\":\"digital\",\"q\":2,\"addr\":1,\"status\":1,\"port\":1,\"bit\":3,"
		 "\"time\":\"2012-01-01T01:08:34.000610\"}",
		 "§11.5 TCD 21 nguru: q 2, fraction big-endian");
	event_is("51 00 0E 01 0D 10 0F 00 C3 05", 0,
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":17,\"code\":0,\"channel\":0,"
		 "\"time\":\"2014-01-13T16:15\",\"value\":1475}", "§11.5 TCD 51: address 17");
	event_is("51 00 0E 01 0D 10 0F 00 C3 05", MARA_DIALECT_NGURU,
		 "{\"type\":\"energy\",\"q\":1,\"addr\":1,\"code\":0,\"hnn\":0,\"channel\":0,"
		 "\"time\":\"2014-01-13T16:15\",\"value\":1475}", "§11.5 TCD 51 nguru: q 1, addr 1");
	event_is("81 08 0C 01 01 01 08 22 00 14", 0,
		 "{\"type\":\"idle\",\"calif\":0,\"addr\":1,\"code\":1,"
		 "\"time\":\"2012-01-01T01:08:34.156250\"}", "idle event carries its code");
	event_is("01 93 0C 00 01 01 08 22 00 14", 0,
		 "{\"type\":\"digital\",\"calif\":0,\"addr\":1,\"status\":1,\"port\":1,\"bit\":3,"
		 "\"time\":\"2012-00-01T01:08:34.156250\",\"bad_time\":true}",
		 "month 0: bad_time, fields as sent");
	event_is("43 00 0E 01 0D 18 0F 00 C3 05", 0,
		 "{\"type\":\"energy\",\"calif\":0,\"addr\":3,\"code\":0,\"channel\":0,"
		 "\"time\":\"2014-01-13T24:15\",\"bad_time\":true,\"value\":1475}",
		 "hour 24 on an energy record: bad_time");
}

static void test_other_frames(void)
{
	frame_is("FE 0C 40 01 20 10 01 01 01 01 9F E0", NULL, 0,
		 "{\"ok\":true,\"qty\":12,\"dst\":64,\"src\":1,\"seq\":32,\"cmd\":16,\"sv\":[],"
		 "\"di\":[],\"ai\":[],\"events\":[]}", "§11.6 empty sections");
	frame_is("FE 08 01 40 80 10 80 A7", NULL, 0,
		 "{\"ok\":true,\"qty\":8,\"dst\":1,\"src\":64,\"seq\":128,\"cmd\":16,\"payload\":[]}",
		 "a poll request has no sections");
	frame_is("FE 0B 01 40 21 13 00 03 01 DE 9E", NULL, 0,
		 "{\"ok\":true,\"qty\":11,\"dst\":1,\"src\":64,\"seq\":33,\"cmd\":19,\"port\":0,"
		 "\"bit\":3,\"state\":1}", "§11.6 0x13 request");
	frame_is("FE 0B 40 01 21 13 00 FF 01 9E E1", NULL, 0,
		 "{\"ok\":true,\"qty\":11,\"dst\":64,\"src\":1,\"seq\":33,\"cmd\":19,\"port\":0,"
		 "\"bit\":255,\"state\":1}", "§11.6 0x13 error reply");
	frame_is("FE 11 FF 40 BB 12 0E 02 06 13 23 1B 00 40 04 0C 2C", NULL, 0,
		 "{\"ok\":true,\"qty\":17,\"dst\":255,\"src\":64,\"seq\":187,\"cmd\":18,"
		 "\"time\":\"2014-02-06T19:35:27.500000\",\"dow\":4}", "§11.2 normative PEH");
	frame_is("FE 08 FF 01 80 0C 82 EA", NULL, 0,
		 "{\"ok\":true,\"qty\":8,\"dst\":255,\"src\":1,\"seq\":128,\"cmd\":12,\"payload\":[]}",
		 "§11.6 legacy Sync: header and empty payload");
	frame_is("FE 0A 01 07 80 03 07 05 79 E6", NULL, 0,
		 "{\"ok\":true,\"qty\":10,\"dst\":1,\"src\":7,\"seq\":128,\"cmd\":3,"
		 "\"payload\":[7,5]}", "§11.6 legacy 0x03: payload bytes");
}

#define IED05 "FE 18 01 05 80 10 07 44 0E 02 00 94 02 03 04 06 05 57 01 63 01 01 5D 34"
#define IED05_BODY "{\"ok\":true,\"qty\":24,\"dst\":1,\"src\":5,\"seq\":128,\"cmd\":16," \
	"\"sv\":[68,14,2,0,148,2],\"di\":[1540],\"ai\":[{\"raw\":343,\"value\":343,\"q\":0}," \
	"{\"raw\":355,\"value\":355,\"q\":0}],\"events\":[]"
#define IED05_IED "{\"addr\":5,\"sv\":[68,14,2,0,148,2],\"di\":[1540]," \
	"\"ai\":[{\"raw\":343,\"value\":343,\"q\":0},{\"raw\":355,\"value\":355,\"q\":0}]," \
	"\"complete\":true}"

static void test_layout(void)
{
	frame_is(IED05, NULL, 0, IED05_BODY "}", "§11.6 IED 05 reply without a layout");
	frame_is(IED05, "5:6,1,2", 0,
		 IED05_BODY ",\"ieds\":[" IED05_IED "],\"layout\":{\"match\":true,\"short\":false,"
		 "\"long\":false,\"ieds\":1,\"complete_ieds\":1,"
		 "\"sv_bytes\":{\"expected\":6,\"actual\":6},\"di_words\":{\"expected\":1,\"actual\":1},"
		 "\"ai_words\":{\"expected\":2,\"actual\":2}}}", "layout match");
	frame_is(IED05, "5:6,1,2 6:6,1,2", 0,
		 IED05_BODY ",\"ieds\":[" IED05_IED ",{\"addr\":6,\"sv\":[],\"di\":[],\"ai\":[],"
		 "\"complete\":false}],\"layout\":{\"match\":false,\"short\":true,\"long\":false,"
		 "\"ieds\":2,\"complete_ieds\":1,\"sv_bytes\":{\"expected\":12,\"actual\":6},"
		 "\"di_words\":{\"expected\":2,\"actual\":1},\"ai_words\":{\"expected\":4,\"actual\":2}}}",
		 "layout short: the matching IED is still bound");
	frame_is(IED05, "5:4,1,1", 0,
		 IED05_BODY ",\"ieds\":[{\"addr\":5,\"sv\":[68,14,2,0],\"di\":[1540],"
		 "\"ai\":[{\"raw\":343,\"value\":343,\"q\":0}],\"complete\":true}],"
		 "\"layout\":{\"match\":false,\"short\":false,\"long\":true,\"ieds\":1,"
		 "\"complete_ieds\":1,\"sv_bytes\":{\"expected\":4,\"actual\":6},"
		 "\"di_words\":{\"expected\":1,\"actual\":1},\"ai_words\":{\"expected\":1,\"actual\":2}}}",
		 "layout long");
}

static void test_errors(void)
{
	uint8_t buf[64];
	static const uint8_t count0[] = { 0x00, 0x01, 0x01, 0x01 };
	static const uint8_t overrun[] = { 0x05, 0x01, 0x01, 0x01 };
	int n;

	frame_is("FD 08 01 40 80 10 80 A7", NULL, 0,
		 "{\"ok\":false,\"error\":\"sof\",\"message\":\"frame does not start with FE\"}",
		 "error sof");
	frame_is("FE 07 01 40 80 10 80", NULL, 0,
		 "{\"ok\":false,\"error\":\"length\",\"message\":"
		 "\"QTY out of range 8..253 or not the frame's length\"}", "error length");
	frame_is("FE 08 01 40 80 10 80 A8", NULL, 0,
		 "{\"ok\":false,\"error\":\"checksum\",\"message\":\"checksum (BCC) does not verify\"}",
		 "error checksum");
	frame_is("FE 0C 40 01 20 10 01 01 01", NULL, 0,
		 "{\"ok\":false,\"error\":\"truncated\",\"message\":"
		 "\"frame or payload shorter than it declares\"}", "error truncated");
	n = mara_build(buf, sizeof(buf), 0x40, 0x01, 0x20, 0x10, count0, sizeof(count0));
	OK(smve_json_render(out, sizeof(out), buf, (size_t)n, NULL, 0) > 0, "renders");
	same(out, "{\"ok\":false,\"error\":\"sections\",\"message\":"
	     "\"0x10 sections malformed: bad count byte or not ending at the BCC\"}",
	     "error sections (count 0)");
	n = mara_build(buf, sizeof(buf), 0x40, 0x01, 0x20, 0x10, overrun, sizeof(overrun));
	OK(smve_json_render(out, sizeof(out), buf, (size_t)n, NULL, 0) > 0, "renders");
	OK(strstr(out, "\"ok\":false") != NULL, "a count running past the payload fails (%s)", out);
	n = mara_build(buf, sizeof(buf), 0xFF, 0x40, 0xBB, 0x12, count0, sizeof(count0));
	OK(smve_json_render(out, sizeof(out), buf, (size_t)n, NULL, 0) > 0, "renders");
	same(out, "{\"ok\":false,\"error\":\"truncated\",\"message\":"
	     "\"frame or payload shorter than it declares\"}", "PEH with a 4-byte payload");
	{
		struct smve_json w;

		smve_json_init(&w, out, sizeof(out));
		smve_json_error(&w, -MARA_ECOMMAND);
		same(out, "{\"ok\":false,\"error\":\"command\",\"message\":\"unexpected command code\"}",
		     "error command");
	}
}

static void test_writer(void)
{
	uint8_t buf[64];
	char small[40];
	struct smve_json w;
	size_t n = hex("FE 0C 40 01 20 10 01 01 01 01 9F E0", buf);

	IS(smve_json_render(small, sizeof(small), buf, n, NULL, 0), -MARA_ENOSPACE,
	   "too small a buffer is reported");
	OK(memchr(small, '\0', sizeof(small)) != NULL, "and the buffer stays NUL terminated");
	smve_json_init(&w, out, sizeof(out));
	smve_json_string(&w, "a\"b\\c\n\x01\x7f", 8);
	same(out, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\"", "string escaping");
	smve_json_init(&w, small, 4);
	smve_json_raw(&w, "abc");
	OK(!w.overflow && !strcmp(small, "abc"), "exact fit with the NUL");
	smve_json_raw(&w, "d");
	OK(w.overflow && !strcmp(small, "abc"), "one more byte overflows, nothing partial");
}

/* Brackets and braces balance outside strings, and the text is a single object. */
static bool balanced(const char *t)
{
	int depth = 0;
	bool str = false;

	for (; *t; t++) {
		if (str) {
			if (*t == '\\')
				t++;
			else if (*t == '"')
				str = false;
			continue;
		}
		if (*t == '"')
			str = true;
		else if (*t == '{' || *t == '[')
			depth++;
		else if ((*t == '}' || *t == ']') && --depth == 0 && t[1])
			return false;
	}
	return depth == 0 && !str;
}

/*
 * Random 0x10 replies of every shape (all section splits up to 253 bytes, random event bytes)
 * rendered with a 64-IED layout: the output always fits SMVE_JSON_FRAME_MAX and is balanced.
 */
static void test_worst_cases(void)
{
	static struct mara_layout l;
	uint8_t p[MARA_PAYLOAD_MAX], f[MARA_QTY_MAX];
	uint32_t x = 0xC0FFEE;
	unsigned int i, k, fits = 0, bal = 0, runs = 3000;
	size_t maxlen = 0;

	l.count = MARA_LAYOUT_MAX;
	for (i = 0; i < MARA_LAYOUT_MAX; i++) {
		l.ied[i].addr = (uint8_t)(i + 1);
		l.ied[i].sv_bytes = 1;
		l.ied[i].di_words = 1;
		l.ied[i].ai_words = 2;
	}
	for (i = 0; i < runs; i++) {
		unsigned int room = MARA_PAYLOAD_MAX - 4, sv, di, ai, ev, n;
		int len, flen;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		ev = x % 3 ? 0 : (x >> 8) % (room / 10 + 1);
		room -= ev * 10;
		ai = (x >> 4) % (room / 2 + 1);
		room -= ai * 2;
		di = (x >> 12) % (room / 2 + 1);
		room -= di * 2;
		sv = (x >> 20) % (room + 1);
		n = 0;
		p[n++] = (uint8_t)(sv + 1);
		for (k = 0; k < sv; k++)
			p[n++] = (uint8_t)(x >> (k % 24));
		p[n++] = (uint8_t)(2 * di + 1);
		for (k = 0; k < 2 * di; k++)
			p[n++] = 0xFF;
		p[n++] = (uint8_t)(2 * ai + 1);
		for (k = 0; k < 2 * ai; k++)
			p[n++] = 0xFF;
		p[n++] = (uint8_t)(10 * ev + 1);
		for (k = 0; k < 10 * ev; k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			p[n++] = (uint8_t)x;
		}
		flen = mara_build(f, sizeof(f), 0x40, 0x01, 0x20, 0x10, p, n);
		len = flen > 0 ? smve_json_render(out, sizeof(out), f, (size_t)flen, &l,
						  i % 2 ? MARA_DIALECT_NGURU : 0) : -1;
		fits += len > 0 && strstr(out, "\"ok\":true") != NULL;
		bal += len > 0 && balanced(out);
		if (len > 0 && (size_t)len > maxlen)
			maxlen = (size_t)len;
	}
	IS(fits, runs, "every random reply renders within SMVE_JSON_FRAME_MAX");
	IS(bal, runs, "every rendering is one balanced object");
	tap_diag("largest rendering: %zu bytes of %d", maxlen, SMVE_JSON_FRAME_MAX);
}

int main(void)
{
	test_poll_replies();
	test_records();
	test_other_frames();
	test_layout();
	test_errors();
	test_writer();
	test_worst_cases();
	return tap_done();
}
