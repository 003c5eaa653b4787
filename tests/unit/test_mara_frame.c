// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Framing, checksum, builders and the streaming reassembler (spec §2, §11). */
#include <smve/mara.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static u8 buf[4096];

static int hex(const char *s, u8 *out)
{
	int n = tap_hex(s, out, 4096);

	if (n < 0) {
		fprintf(stderr, "bad hex in test: %s\n", s);
		exit(2);
	}
	return n;
}

static void test_bcc(void)
{
	static const struct { const char *frame; } vec[] = {
		{ "FE 08 01 40 80 10 80 A7" }, { "FE 08 02 01 21 10 DE E6" },
		{ "FE 08 FF 01 80 0C 82 EA" },
		{ "FE 11 FF 40 22 12 0C 0A 10 00 37 0D 50 3D 02 3B 48" },
		{ "FE 08 01 40 7B 10 85 A7" }, { "FE 08 01 40 00 10 00 A7" },
		{ "FE 08 05 01 80 10 7C E6" }, { "FE 08 05 01 00 10 FC E6" },
		{ "FE 0C 40 01 20 10 01 01 01 01 9F E0" },
		{ "FE 0B 01 40 21 13 00 03 01 DE 9E" }, { "FE 0B 40 01 21 13 00 FF 01 9E E1" },
	};
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		int n = hex(vec[i].frame, buf);
		u16 want = (u16)(buf[n - 2] << 8 | buf[n - 1]);

		IS(mara_bcc(buf, (size_t)n - 2), want, "BCC of %s", vec[i].frame);
		IS(mara_parse(buf, (size_t)n, NULL), 0, "parse accepts %s", vec[i].frame);
	}
	/* RFC 1071 would give 80 A6 for the first vector: the plain sum must not fold carries */
	hex("FE 08 01 40 80 10", buf);
	IS(mara_bcc(buf, 6), 0x80A7, "no end-around carry");
}

static void test_poll_vectors(void)
{
	static const unsigned char seqs[] = { 0x80, 0x22, 0x23, 0x24, 0x2C, 0x34, 0x5B, 0x7A, 0x7B,
					      0x7C, 0x20, 0x21, 0x7F, 0x00 };
	size_t i;

	for (i = 0; i < sizeof(seqs); i++) {
		int n = mara_build_poll(buf, sizeof(buf), 0x01, 0x40, seqs[i]);

		IS(n, 8, "poll length");
		/* §2.3: BCL is always A7, BCH = FF - ((FF + SEQ) mod 256) */
		OK(buf[7] == 0xA7 && buf[6] == (u8)(0xFF - ((0xFF + seqs[i]) & 0xFF)),
		   "poll SEQ %02X checksum %02X %02X", seqs[i], buf[6], buf[7]);
	}
	IS(mara_build_poll(buf, 7, 1, 0x40, 0x20), -MARA_ENOSPACE, "builder refuses small buffer");
	IS(mara_build(buf, sizeof(buf), 1, 0x40, 0x20, 0x10, buf, MARA_PAYLOAD_MAX + 1), -MARA_EINVAL,
	   "builder refuses a payload over 245 bytes");
	IS(mara_build(buf, sizeof(buf), 1, 0x40, 0x20, 0x10, buf + 100, MARA_PAYLOAD_MAX), MARA_QTY_MAX,
	   "largest frame is 253 bytes");
}

static void test_parse_errors(void)
{
	struct mara_frame f;
	int n = hex("FE 08 01 40 80 10 80 A7", buf);

	IS(mara_parse(buf, (size_t)n, &f), 0, "valid poll parses");
	OK(f.dst == 1 && f.src == 0x40 && f.seq == 0x80 && f.cmd == 0x10 && f.payload_len == 0,
	   "header fields");
	buf[0] = 0xFD;
	IS(mara_parse(buf, (size_t)n, &f), -MARA_ESOF, "bad SOF");
	buf[0] = 0xFE;
	IS(mara_parse(buf, 5, &f), -MARA_ETRUNCATED, "truncated frame");
	IS(mara_parse(buf, 9, &f), -MARA_ELENGTH, "extra bytes after QTY");
	buf[7] ^= 1;
	IS(mara_parse(buf, (size_t)n, &f), -MARA_ECHECKSUM, "bad checksum");
	buf[1] = 7;
	IS(mara_parse(buf, (size_t)n, &f), -MARA_ELENGTH, "QTY 7 rejected");
	buf[1] = 0xFE;
	IS(mara_parse(buf, (size_t)n, &f), -MARA_ELENGTH, "QTY FE rejected");
	buf[1] = 0xFF;
	IS(mara_parse(buf, (size_t)n, &f), -MARA_ELENGTH, "QTY FF rejected");
	OK(strcmp(mara_err_name(-MARA_ECHECKSUM), "checksum") == 0 &&
	   strcmp(mara_err_name(-MARA_ESECTIONS), "sections") == 0 &&
	   strcmp(mara_err_name(-MARA_ETRUNCATED), "truncated") == 0 &&
	   strcmp(mara_err_name(-MARA_ECOMMAND), "command") == 0 &&
	   strcmp(mara_err_name(-MARA_ELENGTH), "length") == 0 &&
	   strcmp(mara_err_name(-MARA_ESOF), "sof") == 0 && strcmp(mara_err_name(-999), "?") == 0,
	   "error names are the stable JSON names");
}

/* Feed @in in chunks of @chunk bytes (0 = random 1..64) and collect frames. */
static int reasm_collect(struct mara_reasm *r, const u8 *in, size_t len, size_t chunk,
			 u8 frames[][256], size_t *lens, int max)
{
	int got = 0;
	size_t off = 0;

	while (off < len) {
		size_t c = chunk ? chunk : 1 + (size_t)(rand() % 64);
		const u8 *p = in + off, *f;
		size_t n = c > len - off ? len - off : c, fl;

		off += n;
		while ((f = mara_reasm_next(r, &p, &n, &fl))) {
			if (got < max) {
				memcpy(frames[got], f, fl);
				lens[got] = fl;
			}
			got++;
		}
		if (n != 0)
			return -1;
	}
	return got;
}

static void test_reasm_vectors(void)
{
	static u8 frames[16][256];
	size_t lens[16], chunks[] = { 1, 2, 3, 7, 64, 4096, 0 }, c;
	struct mara_reasm r;
	int n = hex("FE 08 0A 01 06 10 F1 E6", buf), got;

	/* §2.4 robustness vector: one frame then 132 bytes of garbage with no FE */
	hex("19 16 2D 2A 00 40 01 A4 50", buf + n);
	memset(buf + n + 9, 0, 123);
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		mara_reasm_init(&r);
		got = reasm_collect(&r, buf, (size_t)n + 132, chunks[c], frames, lens, 16);
		OK(got == 1 && lens[0] == 8 && memcmp(frames[0], buf, 8) == 0,
		   "robustness vector yields exactly one frame (chunk %zu)", chunks[c]);
		IS(r.stats.noise_bytes, 132, "garbage counted as noise (chunk %zu)", chunks[c]);
	}
}

static void test_reasm_resync(void)
{
	static u8 frames[16][256];
	size_t lens[16], pos, chunk;
	struct mara_reasm r;
	u8 good[16], in[64];
	int gl = hex("FE 08 01 40 7B 10 85 A7", good), got;

	/* a false SOF whose QTY swallows the real frame: the rescan must find it */
	for (chunk = 1; chunk <= 40; chunk++) {
		pos = 0;
		in[pos++] = 0xFE;
		in[pos++] = 0x0C;	/* claims 12 bytes: covers the next frame */
		memcpy(in + pos, good, (size_t)gl);
		pos += (size_t)gl;
		memcpy(in + pos, good, (size_t)gl);	/* and a second valid frame */
		in[pos + 4] = 0x7C;
		in[pos + 6] = 0x84;
		pos += (size_t)gl;
		mara_reasm_init(&r);
		got = reasm_collect(&r, in, pos, chunk, frames, lens, 16);
		OK(got == 2 && lens[0] == 8 && frames[0][4] == 0x7B && frames[1][4] == 0x7C,
		   "false SOF then two frames, chunk %zu: got %d frames", chunk, got);
		OK(r.stats.bad_bcc == 1 && r.stats.resyncs >= 1, "bad BCC and resync counted");
	}
	/* FE FE: the second FE is the SOF */
	in[0] = 0xFE;
	memcpy(in + 1, good, (size_t)gl);
	mara_reasm_init(&r);
	got = reasm_collect(&r, in, (size_t)gl + 1, 1, frames, lens, 16);
	OK(got == 1 && memcmp(frames[0], good, (size_t)gl) == 0, "FE FE resynchronises");
	/* bad QTY then a frame */
	in[0] = 0xFE;
	in[1] = 0xFF;
	memcpy(in + 2, good, (size_t)gl);
	mara_reasm_init(&r);
	got = reasm_collect(&r, in, (size_t)gl + 2, 1, frames, lens, 16);
	OK(got == 1 && r.stats.bad_qty == 1, "QTY FF is a framing error and the next frame survives");
	/* abort drops a partial frame (gap rule) and the stream recovers */
	mara_reasm_init(&r);
	{
		const u8 *p = good;
		size_t nn = 5, fl;

		OK(mara_reasm_missing(&r) == 0, "nothing missing before a frame starts");
		OK(mara_reasm_next(&r, &p, &nn, &fl) == NULL && mara_reasm_busy(&r), "partial frame held");
		OK(mara_reasm_missing(&r) == (size_t)gl - 5, "missing bytes follow from QTY");
		mara_reasm_abort(&r);
		OK(mara_reasm_missing(&r) == 0, "nothing missing after abort");
		OK(!mara_reasm_busy(&r) && r.stats.aborted == 1 && r.stats.aborted_bytes == 5,
		   "abort counts the dropped partial frame");
		p = good;
		nn = (size_t)gl;
		OK(mara_reasm_next(&r, &p, &nn, &fl) != NULL && fl == 8, "stream recovers after abort");
	}
}

/* Random streams: valid frames interleaved with garbage, fed in random chunks. */
static void test_reasm_random(void)
{
	static u8 stream[1 << 16], frames[512][256];
	size_t lens[512], pos;
	int want, got, i, round, lost = 0;
	struct mara_reasm r;

	for (round = 0; round < 20; round++) {
		pos = 0;
		want = 0;
		srand((unsigned int)round + 1);
		while (pos < sizeof(stream) - 600 && want < 400) {
			u8 payload[MARA_PAYLOAD_MAX];
			int plen = rand() % (MARA_PAYLOAD_MAX + 1), k, g = rand() % 8;

			for (k = 0; k < plen; k++)
				payload[k] = (u8)rand();
			/* garbage without FE so that every frame is recoverable */
			for (k = 0; k < g; k++)
				stream[pos++] = (u8)(rand() % 0xFE);
			pos += (size_t)mara_build(stream + pos, sizeof(stream) - pos, 1, 0x40,
						  (u8)want, 0x10, payload, (size_t)plen);
			want++;
		}
		mara_reasm_init(&r);
		got = reasm_collect(&r, stream, pos, 0, frames, lens, 512);
		for (i = 0; i < got && i < 512; i++)
			if (frames[i][4] != (u8)i)
				lost++;
		if (got != want)
			lost++;
	}
	IS(lost, 0, "20 random streams: every frame yielded once, in order");
}

int main(void)
{
	test_bcc();
	test_poll_vectors();
	test_parse_errors();
	test_reasm_vectors();
	test_reasm_resync();
	test_reasm_random();
	return tap_done();
}
