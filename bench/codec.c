// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Codec throughput: full 252-byte 0x10 replies (11 IEDs, 10 events) reassembled from a byte
 * stream, verified, split into sections, bound to the layout and every event decoded — against a
 * plain memcpy of the same bytes in the same chunks, measured side by side (interleaved rounds,
 * best of each) so machine noise affects both alike.  Prints frames/s, MB/s and the ratios.
 */
#include <smve/mara.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NFRAMES 4096
#define FRAME_LEN 252

static u8 stream[NFRAMES * FRAME_LEN];
static u8 sink[NFRAMES * FRAME_LEN];
static volatile u32 checksum_sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void make_stream(void)
{
	size_t off = 0;
	int i, k;

	srand(42);
	for (i = 0; i < NFRAMES; i++) {
		u8 p[MARA_PAYLOAD_MAX], *q = p;

		*q++ = 67;	/* 66 SV bytes */
		for (k = 0; k < 66; k++)
			*q++ = (u8)rand();
		*q++ = 27;	/* 13 DI words */
		for (k = 0; k < 26; k++)
			*q++ = (u8)rand();
		*q++ = 49;	/* 24 AI words */
		for (k = 0; k < 48; k++)
			*q++ = (u8)rand();
		*q++ = 101;	/* 10 events */
		for (k = 0; k < 10; k++) {
			u8 rec[10] = { (u8)(0x42 + k % 9), (u8)(k & 1), 14, 1, 13, 16, 15,
				       0, (u8)rand(), (u8)rand() };

			memcpy(q, rec, 10);
			q += 10;
		}
		off += (size_t)mara_build(stream + off, sizeof(stream) - off, 0x40, 0x01,
					  (u8)(0x20 + i % 96), 0x10, p, (size_t)(q - p));
	}
	if (off != sizeof(stream)) {
		fprintf(stderr, "bench: stream built wrong (%zu bytes)\n", off);
		exit(1);
	}
}

static size_t decode_all(const struct mara_layout *l, size_t chunk)
{
	struct mara_reasm r;
	size_t off = 0, frames = 0;
	u32 acc = 0;

	mara_reasm_init(&r);
	while (off < sizeof(stream)) {
		size_t n = chunk > sizeof(stream) - off ? sizeof(stream) - off : chunk, fl;
		const u8 *p = stream + off, *f;

		off += n;
		while ((f = mara_reasm_next(&r, &p, &n, &fl))) {
			struct mara_frame fr;
			struct mara_sections s;
			struct mara_ied_view v[MARA_LAYOUT_MAX];
			int k;

			if (mara_parse(f, fl, &fr) || mara_sections_parse(fr.payload, fr.payload_len, &s))
				abort();
			mara_layout_bind(l, &s, v, NULL);
			for (k = 0; k < s.ev_count; k++) {
				struct mara_event ev;

				mara_event_decode(s.ev + 10 * k, MARA_DIALECT_FIRMWARE, &ev);
				acc += ev.value;
			}
			acc += mara_word(s.ai, 23);
			frames++;
		}
	}
	checksum_sink = acc;
	return frames;
}

static void copy_all(size_t chunk)
{
	size_t off = 0;

	while (off < sizeof(stream)) {
		size_t n = chunk > sizeof(stream) - off ? sizeof(stream) - off : chunk;

		memcpy(sink + off, stream + off, n);
		off += n;
	}
	checksum_sink = sink[sizeof(sink) - 1];
}

int main(int argc, char **argv)
{
	const char *txt = "1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2 5:6,1,2 6:6,1,2 7:6,1,2 8:6,1,2 "
			  "9:6,1,2 10:6,1,2 11:6,1,2";
	static const size_t chunks[] = { 1448, 64, 1 };
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct mara_layout l;
	size_t c;

	make_stream();
	mara_layout_parse(&l, txt, strlen(txt), NULL);
	printf("codec: %d full replies of %d bytes (11 IEDs, 10 events), %.1f s per case\n",
	       NFRAMES, FRAME_LEN, secs);
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		double best_dec = 1e9, best_cpy = 1e9, start = now();

		while (now() - start < secs) {
			double t0 = now(), t1, t2;

			if (decode_all(&l, chunks[c]) != NFRAMES)
				abort();
			t1 = now();
			copy_all(chunks[c]);
			t2 = now();
			if (t1 - t0 < best_dec)
				best_dec = t1 - t0;
			if (t2 - t1 < best_cpy)
				best_cpy = t2 - t1;
		}
		printf("  chunks of %4zu B: decode %6.2f M replies/s %7.1f MB/s | memcpy %8.1f MB/s | "
		       "decode/memcpy time ratio %.1f\n", chunks[c], NFRAMES / best_dec / 1e6,
		       sizeof(stream) / best_dec / 1e6, sizeof(stream) / best_cpy / 1e6,
		       best_dec / best_cpy);
	}
	return 0;
}
