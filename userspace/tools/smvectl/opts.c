// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Shared option parsing of smvectl's subcommands. */
#include "opts.h"

#include <string.h>

int opt_layout(const char *cmd, const char *text, struct mara_layout *l)
{
	size_t pos = 0;

	if (mara_layout_parse(l, text, strlen(text), &pos) == 0)
		return 0;
	if (pos > strlen(text))
		pos = strlen(text);
	fprintf(stderr, "smvectl %s: bad layout at column %zu (expected \"addr:sv,di,ai ...\", "
		"addresses 1..254 and unique):\n  %s\n  %*s^\n", cmd, pos + 1, text, (int)pos, "");
	return -1;
}

int opt_dialect(const char *cmd, const char *text, unsigned int *dialect)
{
	if (!strcmp(text, "firmware")) {
		*dialect = MARA_DIALECT_FIRMWARE;
		return 0;
	}
	if (!strcmp(text, "nguru")) {
		*dialect = MARA_DIALECT_NGURU;
		return 0;
	}
	fprintf(stderr, "smvectl %s: unknown dialect '%s' (firmware or nguru)\n", cmd, text);
	return -1;
}

int render_json_line(FILE *out, const struct smve_frame_view *v)
{
	static char buf[SMVE_JSON_FRAME_MAX];
	struct smve_json w;

	smve_json_init(&w, buf, sizeof(buf));
	smve_json_frame(&w, v);
	if (w.overflow)
		return -1;
	fputs(buf, out);
	fputc('\n', out);
	return 0;
}
