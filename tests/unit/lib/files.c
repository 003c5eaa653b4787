// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit test file helpers; see files.h. */
#include <ftw.h>
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

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int test_remove_tree(const char *dir)
{
	/* depth first, not following links: a test never removes anything outside its folder */
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}
