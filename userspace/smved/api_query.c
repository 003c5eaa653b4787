// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Query-string parameters of the HMI endpoints (see api_query.h). */
#include "api_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "http.h"

static void bad(struct http_conn *c, const char *key, const char *why)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", key, why);
	http_respond_error(c, 400, "bad_parameter", msg);
}

bool api_query_str(struct http_conn *c, const char *query, const char *key, bool required,
		   char *buf, size_t cap, const char **out)
{
	int n = http_query_get(query, key, buf, cap);

	if (n == -1 || (n == 0 && required)) {
		if (required)
			bad(c, key, "required");
		return !required;
	}
	if (n < 0) {
		bad(c, key, "malformed or too long");
		return false;
	}
	*out = buf;
	return true;
}

bool api_query_int(struct http_conn *c, const char *query, const char *key, bool required,
		   int64_t min, int64_t max, int64_t *out)
{
	char buf[32], *end = NULL, why[96];
	const char *v = NULL;

	if (!api_query_str(c, query, key, required, buf, sizeof(buf), &v))
		return false;
	if (!v)
		return true;
	errno = 0;
	long long x = strtoll(v, &end, 10);

	if (!*v || *end || errno || x < min || x > max) {
		snprintf(why, sizeof(why), "must be an integer in [%lld, %lld]", (long long)min,
			 (long long)max);
		bad(c, key, why);
		return false;
	}
	*out = x;
	return true;
}

bool api_query_range(struct http_conn *c, const char *query, int64_t max_span_us,
		     int64_t *from, int64_t *to)
{
	/* Year 9999 bounds the arithmetic below well inside int64_t. */
	const int64_t hi = 253402300799LL * 1000000LL;

	if (!api_query_int(c, query, "from", true, 0, hi, from) ||
	    !api_query_int(c, query, "to", true, 0, hi, to))
		return false;
	if (*to < *from) {
		bad(c, "to", "must not be before from");
		return false;
	}
	if (*to - *from > max_span_us) {
		bad(c, "to", "range too long");
		return false;
	}
	return true;
}
