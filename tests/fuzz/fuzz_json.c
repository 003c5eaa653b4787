// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JSON rendering of arbitrary frames (checksum fixed up so the decoders are reached), with and
 * without a layout, in both dialects: never overflows, always NUL terminated, and the text has
 * balanced brackets outside strings.
 */
#include <smve/json.h>
#include <smve/mara.h>

#include <stdlib.h>
#include <string.h>

static void balanced(const char *s, int n)
{
	int depth = 0, i;
	bool str = false;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"')
			str = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		if (depth < 0)
			abort();
	}
	if (depth != 0 || str || s[n] != '\0' || (int)strlen(s) != n)
		abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static char out[SMVE_JSON_FRAME_MAX];
	static const char lt[] = "1:6,3,4 2:6,1,2 3:6,1,2";
	struct mara_layout l;
	u8 frame[MARA_QTY_MAX];
	size_t len;
	u16 bcc;
	int n;

	if (size < 1)
		return 0;
	/* as given: error objects for arbitrary bytes */
	n = smve_json_render(out, sizeof(out), data + 1, size - 1, NULL, 0);
	if (n < 0)
		abort();
	balanced(out, n);
	len = size - 1 + MARA_BCC_LEN;
	if (size - 1 < MARA_HDR_LEN || len > MARA_QTY_MAX)
		return 0;
	memcpy(frame, data + 1, size - 1);
	frame[0] = MARA_SOF;
	frame[1] = (u8)len;
	bcc = mara_bcc(frame, len - MARA_BCC_LEN);
	frame[len - 2] = bcc >> 8;
	frame[len - 1] = bcc & 0xFF;
	mara_layout_parse(&l, lt, sizeof(lt) - 1, NULL);
	n = smve_json_render(out, sizeof(out), frame, len, (data[0] & 1) ? &l : NULL,
			     (data[0] & 2) ? MARA_DIALECT_NGURU : MARA_DIALECT_FIRMWARE);
	if (n < 0)
		abort();
	balanced(out, n);
	return 0;
}
