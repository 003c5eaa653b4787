// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smved's HTTP request-head parser on arbitrary bytes (made to end with CRLF CRLF, as the server
 * hands it over), plus the percent and query decoders on every parsed path and query.  The parser
 * works in place, so it gets a private copy; ASan catches any read past it.
 */
#include "../../userspace/smved/http_parse.c" // NOLINT(bugprone-suspicious-include)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim;
	struct http_request req;
	const char *why = NULL;
	char *buf, out[256];
	int status;

	if (size > 70000)
		return 0;
	buf = malloc(size + 5);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf + size, "\r\n\r\n", 5);
	http_limits_default(&lim);
	memset(&req, 0, sizeof(req));
	status = http_parse_head(buf, size + 4, &lim, &req, &why);
	if (status == 0) {
		if (req.path)
			(void)http_pct_decode(req.path, strlen(req.path), out, sizeof(out));
		if (req.query) {
			(void)http_query_get(req.query, "after", out, sizeof(out));
			(void)http_query_get(req.query, "", out, sizeof(out));
		}
		(void)http_field(&req, "host");
		(void)http_field_has_token(&req, "connection", "upgrade");
	} else if (!why || status < 400 || status > 599) {
		abort();
	}
	free(buf);
	return 0;
}
