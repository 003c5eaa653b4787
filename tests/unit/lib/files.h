/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small file helpers for unit tests that build sheets and configurations in a temporary folder. */
#ifndef SMVE_TEST_FILES_H
#define SMVE_TEST_FILES_H

/* Write @text to @dir/@name (created or truncated).  0, or -1 when it could not be written. */
int test_write_file(const char *dir, const char *name, const char *text);

/* Remove @dir and everything below it (a test's own mkdtemp folder).  0, or -1 on any failure. */
int test_remove_tree(const char *dir);

#endif /* SMVE_TEST_FILES_H */
