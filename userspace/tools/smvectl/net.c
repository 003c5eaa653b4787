// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Non-blocking connect with a timeout; see net.h. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "toolutil.h"

/* Returns 0 connected, -1 failed (errno set), -2 interrupted. */
static int connect_one(const struct addrinfo *ai, uint64_t timeout_ms, int *fdp)
{
	uint64_t end = tool_monotonic_ms() + timeout_ms;
	int fd, soerr = 0, one = 1;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	/* requests are tiny and latency-bound; never let Nagle hold one back */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto ok;
	if (errno != EINPROGRESS)
		goto fail;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		uint64_t now = tool_monotonic_ms();
		int r;

		if (now >= end) {
			errno = ETIMEDOUT;
			goto fail;
		}
		r = poll(&p, 1, (int)(end - now));
		if (r < 0 && errno == EINTR) {
			close(fd);
			return -2;
		}
		if (r < 0)
			goto fail;
		if (r > 0)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
		errno = soerr ? soerr : errno;
		goto fail;
	}
ok:
	*fdp = fd;
	return 0;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

int net_connect(const char *host, uint16_t port, uint64_t timeout_ms, char *err, size_t errcap)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char service[8];
	int rc, fd = -1;

	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		snprintf(err, errcap, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errcap, "no address for %s", host);
	for (ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(ai, timeout_ms, &fd);
		if (rc == 0)
			break;
		if (rc == -2) {
			freeaddrinfo(res);
			return -2;
		}
		snprintf(err, errcap, "connect to %s port %u: %s", host, port, strerror(errno));
	}
	freeaddrinfo(res);
	return rc == 0 ? fd : -1;
}
