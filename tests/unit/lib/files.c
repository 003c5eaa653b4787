// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit test file helpers; see files.h. */
#include <stdio.h>

#include "files.h"

int test_write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}
