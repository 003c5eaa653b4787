// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Persisted master state for smvectl poll; see statefile.h. */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int statefile_load(const char *path, struct smve_master_state *st)
{
	char buf[128], extra;
	unsigned int seq, complete;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		fprintf(stderr, "smvectl poll: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "smvectl poll: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	/* a hostile or truncated file must never select a SEQ outside the poll range */
	if (sscanf(buf, "seq=%x complete=%u %c", &seq, &complete, &extra) != 2 ||
	    seq < SMVE_MASTER_SEQ_FIRST || seq > SMVE_MASTER_SEQ_LAST || complete > 1) {
		fprintf(stderr, "smvectl poll: %s: not a state file (expected \"seq=0x20..0x7F "
			"complete=0|1\")\n", path);
		return -1;
	}
	st->last_seq = (uint8_t)seq;
	st->complete = complete;
	return 1;
}

int statefile_save(const char *path, const struct smve_master_state *st)
{
	char tmp[4096], line[64];
	int fd, len;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "smvectl poll: state file name too long\n");
		return -1;
	}
	len = snprintf(line, sizeof(line), "seq=0x%02X complete=%u\n", st->last_seq,
		       st->complete ? 1u : 0u);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (write(fd, line, (size_t)len) != len || fsync(fd)) {
		close(fd);
		goto fail;
	}
	if (close(fd) || rename(tmp, path))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "smvectl poll: cannot write %s: %s\n", path, strerror(errno));
	unlink(tmp);
	return -1;
}
