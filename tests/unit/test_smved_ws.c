// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* WebSocket helpers (userspace/smved/ws.c): accept key, UTF-8 validation, frame headers. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "ws.h"

static bool u8(const char *s)
{
	return ws_utf8_valid((const uint8_t *)s, strlen(s));
}

int main(void)
{
	char acc[29];
	uint8_t h[10];

	/* RFC 6455 section 1.3 example. */
	IS(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc), 0, "accept key computed");
	OK(!strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "RFC 6455 accept example (%s)", acc);

	OK(u8("") && u8("plain") && u8("Ñandú €") && u8("\xF0\x9F\x98\x80"), "valid UTF-8");
	OK(u8("\xF4\x8F\xBF\xBF"), "U+10FFFF is valid");
	OK(!u8("\xC0\xAF"), "overlong '/' refused");
	OK(!u8("\xE0\x80\xAF"), "3-byte overlong refused");
	OK(!u8("\xED\xA0\x80"), "surrogate U+D800 refused");
	OK(!u8("\xF4\x90\x80\x80"), "above U+10FFFF refused");
	OK(!u8("\xCE\xBA\xE1\xBD"), "truncated sequence refused");
	OK(!u8("\x80"), "lone continuation byte refused");
	OK(!u8("\xFF"), "0xFF refused");
	OK(!u8("\xF8\x88\x80\x80\x80"), "5-byte form refused");

	static const struct { size_t len, hl; uint8_t b1; } v[] = {
		{ 0, 2, 0 }, { 125, 2, 125 }, { 126, 4, 126 }, { 65535, 4, 126 },
		{ 65536, 10, 127 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t hl = ws_frame_header(1, v[i].len, h);

		OK(hl == v[i].hl && h[0] == 0x81 && h[1] == v[i].b1,
		   "header of a %zu-byte text frame: %zu bytes, length code %u", v[i].len, hl, h[1]);
	}
	ws_frame_header(1, 65535, h);
	OK(h[2] == 0xFF && h[3] == 0xFF, "16-bit length big-endian");
	ws_frame_header(1, 65536, h);
	OK(h[2] == 0 && h[7] == 1 && h[8] == 0 && h[9] == 0, "64-bit length big-endian");

	/* Ticks keep a grid (100 ms period, times in us). */
	IS(ws_tick_due(1000000, 1010000, 100000), 1100000,
	   "a change 10 ms after a tick waits for the grid, not 100 ms from the change");
	IS(ws_tick_due(1000000, 1060000, 100000), 1100000, "a tick that ran late does not move the grid");
	IS(ws_tick_due(1000000, 1100000, 100000), 1100000, "due exactly now");
	IS(ws_tick_due(1000000, 1250000, 100000), 1250000, "after a quiet spell: at once");
	IS(ws_tick_due(0, 3600000000, 100000), 3600000000, "the first change goes out at once");
	return tap_done();
}
