/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Static files (the HMI) from one web root.  The root is resolved once; each request path is
 * percent-decoded, checked segment by segment ("..", ".", empty and hidden segments, NUL and
 * backslash are refused) and opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) so
 * that neither ".." nor a symbolic link can lead outside the root (a realpath() check is the
 * fallback on kernels without openat2).  Responses carry a MIME type, an ETag and Last-Modified,
 * and answer If-None-Match / If-Modified-Since with 304.
 */
#ifndef SMVED_STATIC_H
#define SMVED_STATIC_H

#include "http.h"

struct static_root;

/* Opens the root directory.  NULL with a message when it is not a readable directory. */
struct static_root *static_root_open(const char *dir, char *err, size_t errlen);
void static_root_close(struct static_root *r);

/* Serves GET/HEAD of req->path; responds 404/403/405 itself. */
void static_serve(struct static_root *r, struct http_conn *c, const struct http_request *req);

/* MIME type from a file name's extension ("application/octet-stream" when unknown). */
const char *static_mime(const char *name);

/* Checks and normalises a decoded path into a root-relative one ("index.html" for "/").
 * Returns 0, or the HTTP status to answer (400, 403, 404). */
int static_clean_path(const char *decoded, char *out, size_t cap);

#endif
