// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Layout parser: arbitrary text never crashes; what parses formats and parses back identically. */
#include <smve/mara.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct mara_layout a, b;
	static char text[MARA_LAYOUT_MAX * 20 + 1];
	size_t pos = 0;
	int n;

	if (mara_layout_parse(&a, (const char *)data, size, &pos) != 0) {
		if (pos > size)
			abort();
		return 0;
	}
	n = mara_layout_format(&a, text, sizeof(text));
	if (n < 0)
		abort();
	if (mara_layout_parse(&b, text, (size_t)n, NULL) != 0 || a.count != b.count ||
	    memcmp(a.ied, b.ied, a.count * sizeof(a.ied[0])) != 0)
		abort();
	return 0;
}
