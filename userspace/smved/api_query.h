/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Query-string parameters of the read-only HMI endpoints (api_history.c, api_energy.c).  Each
 * helper responds 400 with the parameter's name and returns false when the value is absent but
 * required, malformed, too long or out of range; the caller then just returns.
 */
#ifndef SMVED_API_QUERY_H
#define SMVED_API_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_conn;

/* Decimal integer in [min, max] into *out; left untouched when absent and not required. */
bool api_query_int(struct http_conn *c, const char *query, const char *key, bool required,
		   int64_t min, int64_t max, int64_t *out);
/* Decoded string into buf (cap bytes); *out = buf when present, left untouched otherwise. */
bool api_query_str(struct http_conn *c, const char *query, const char *key, bool required,
		   char *buf, size_t cap, const char **out);
/* from/to in microseconds (both required, from <= to, span at most @max_span_us). */
bool api_query_range(struct http_conn *c, const char *query, int64_t max_span_us,
		     int64_t *from, int64_t *to);

#endif /* SMVED_API_QUERY_H */
