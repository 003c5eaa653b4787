/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small strict CSV reader (RFC 4180 plus what spreadsheets export):
 * comma-separated, fields optionally in double quotes with "" for a quote
 * and commas/newlines inside, LF or CRLF line ends, an optional UTF-8 BOM.
 * Hostile input is bounded: file size, field length and field count, and
 * every field must be valid UTF-8.
 */
#ifndef SMVED_CSV_H
#define SMVED_CSV_H

#include <stddef.h>

#define CSV_FILE_MAX	(16u << 20)	/* bytes */
#define CSV_FIELD_MAX	1024		/* bytes per field, by default */
#define CSV_FIELD_MAX_LONG	(16u << 10)	/* highest field_max a caller may set */
#define CSV_FIELDS_MAX	64		/* fields per record */

struct csv {
	char *buf;		/* the whole file, parsed in place */
	size_t len, pos;
	unsigned line;		/* next line to read, 1-based */
	char err[160];		/* why csv_next() returned -1 */
	/*
	 * Longest field accepted: csv_open() sets CSV_FIELD_MAX; a sheet with
	 * long cells (formulas.csv) may raise it before csv_next(), values
	 * above CSV_FIELD_MAX_LONG count as CSV_FIELD_MAX_LONG.
	 */
	size_t field_max;
};

/* Read @path.  Returns 0, or -1 with a message (no file name) in @err. */
int csv_open(struct csv *c, const char *path, char *err, size_t errlen);
/*
 * The next record: @f[0..*@n) point into the reader (valid until
 * csv_close()), *@line is the line it starts on.  Blank lines are skipped.
 * Returns 1, 0 at the end, or -1 with c->err set (the rest of the file is
 * not read).
 */
int csv_next(struct csv *c, char *f[CSV_FIELDS_MAX], size_t *n, unsigned *line);
void csv_close(struct csv *c);

#endif /* SMVED_CSV_H */
