/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TCP client connection with a bounded connect time, for smvectl poll. */
#ifndef SMVECTL_NET_H
#define SMVECTL_NET_H

#include <stddef.h>
#include <stdint.h>

/*
 * Resolve @host and connect to @port, trying each address until one answers, each within
 * @timeout_ms.  Returns a non-blocking socket, or -1 with a message in @err (capacity @errcap).
 * Returns -2 when interrupted by a signal (the caller checks its stop flag).
 */
int net_connect(const char *host, uint16_t port, uint64_t timeout_ms, char *err, size_t errcap);

#endif
