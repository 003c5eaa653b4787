#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Chunked request bodies through the running smved: a login and an acknowledgement sent chunked
(split across many small writes), keep-alive and pipelining after a chunked body, 100-continue,
request-smuggling refusals (Content-Length with Transfer-Encoding), unknown codings, malformed
chunks, the body size limit and the body deadline (a trickled chunked body is cut).
Usage: test_http_chunked.py SMVED_BINARY [label]   (prints TAP)"""
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import Smved, Tap, connect, read_response  # noqa: E402

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()
d = Smved(binary, extra="anonymous = none\nbody_timeout_s = 2\nmax_body_kib = 4\n",
          users=[("olga", "operator", "op-pass-123")])
P = d.port


def ok(c, name, diag=None):
    return t.ok(c, label + name, diag)


def chunked(body, sizes):
    """body cut into chunks of the given sizes (cycled), with an extension on each, and a trailer."""
    out, i, k = b"", 0, 0
    while i < len(body):
        n = sizes[k % len(sizes)]
        out += b"%x;n=%d\r\n" % (len(body[i:i + n]), k) + body[i:i + n] + b"\r\n"
        i, k = i + n, k + 1
    return out + b"0\r\nX-Trailer: ignored\r\n\r\n"


def head(path, extra=b"", cookie=None):
    h = b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n" % (path.encode(), P)
    if cookie:
        h += b"Cookie: " + cookie.encode() + b"\r\n"
    return h + extra


def send_pieces(s, data, piece):
    for i in range(0, len(data), piece):
        s.sendall(data[i:i + piece])
        time.sleep(0.002)


try:
    # ---- a login whose body arrives chunked, a few bytes per write --------------------------
    s = connect(P)
    body = b'{"user": "olga", "password": "op-pass-123"}'
    send_pieces(s, head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") + chunked(body, [1, 7, 3]), 3)
    r = read_response(s)
    cookie = r[1].get("set-cookie", "").split(";")[0] if r else ""
    ok(r and r[0] == 200 and cookie.startswith("smve_session="), "login with a chunked body split in 3-byte writes",
       r and r[:2])
    # The same connection stays usable: a chunked ack, then a pipelined GET in the same write.
    ack = chunked(b"{}", [1])
    s.sendall(head("/api/v1/events/1/ack", b"Transfer-Encoding: chunked\r\n\r\n", cookie) + ack +
              b"GET /api/v1/session HTTP/1.1\r\nHost: x\r\nCookie: " + cookie.encode() + b"\r\n\r\n")
    r1 = read_response(s)
    r2 = read_response(s)
    ok(r1 and r1[0] == 200 and b'"user":"olga"' in r1[2], "chunked ack on a keep-alive connection is journaled",
       r1)
    ok(r2 and r2[0] == 200 and b'"olga"' in r2[2], "pipelined request after a chunked body answered", r2 and r2[:2])
    s.close()
    # A wrong password sent chunked is read as such (the body really is the decoded one).
    s = connect(P)
    s.sendall(head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") +
              chunked(b'{"user": "olga", "password": "wrong-pass"}', [5]))
    r = read_response(s)
    ok(r and r[0] == 401, "decoded chunked body carries the wrong password -> 401", r and r[0])
    s.close()

    # ---- Expect: 100-continue with a chunked body -------------------------------------------
    s = connect(P)
    s.sendall(head("/api/v1/login", b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"))
    r = read_response(s, head_only=True)
    s.sendall(chunked(body, [10]))
    r2 = read_response(s)
    ok(r and r[0] == 100 and r2 and r2[0] == 200, "100-continue before a chunked body", (r and r[0], r2 and r2[0]))
    s.close()

    # ---- refusals -------------------------------------------------------------------------
    cases = [
        (head("/api/v1/login", b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") + b"0\r\n\r\n",
         400, "Content-Length with Transfer-Encoding (smuggling)"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n") + b"0\r\n\r\n",
         400, "Transfer-Encoding with Content-Length"),
        (head("/api/v1/login", b"Transfer-Encoding: gzip, chunked\r\n\r\n"), 501, "gzip coding"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked, chunked\r\n\r\n"), 400, "chunked twice"),
        (b"POST /api/v1/login HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "chunked in HTTP/1.0"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") + b"zz\r\n", 400, "non-hex chunk size"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") + b"2\r\n{}}\r\n", 400,
         "chunk longer than its size"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") + b"1001\r\n", 413,
         "one chunk over max_body_kib"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") + chunked(b"x" * 5000, [1000]), 413,
         "chunks summing over max_body_kib"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") + b"FFFFFFFFFFFFFFFFFFFFFFFF\r\n", 413,
         "chunk size overflowing 64 bits"),
        (head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n") + b"1;" + b"e" * 2000 + b"\r\n", 400,
         "chunk-size line over 1 KiB"),
    ]
    for data, want, name in cases:
        s = connect(P, 6)
        s.sendall(data)
        r = read_response(s)
        s.close()
        ok(r and r[0] == want and r[1].get("connection") == "close", "%s -> %d and close" % (name, want),
           r and r[:2])

    # ---- slowloris on a chunked body: the body deadline still applies -------------------------
    s = connect(P, 10)
    start = time.time()
    s.sendall(head("/api/v1/login", b"Transfer-Encoding: chunked\r\n\r\n"))
    try:
        for i in range(12):
            if select.select([s], [], [], 0.4)[0]:
                break                  # the answer is there: stop before our bytes draw a reset
            s.sendall(b"1\r\nx\r\n")   # a valid but endless trickle of 1-byte chunks
    except OSError:
        pass
    try:
        r = read_response(s)
    except OSError:
        r = None
    took = time.time() - start
    ok(r and r[0] == 408 and took < 6, "trickled chunked body cut at the 2 s body deadline (%.1f s)" % took,
       r and r[:2])
    s.close()
    ok(d.alive(), "smved still running")
finally:
    rc = d.stop()
    ok(rc == 0, "smved exits cleanly on SIGTERM (status %s)" % rc, d.logtext()[-3000:] if rc else None)
    if not t.failed:
        d.cleanup()
sys.exit(t.done())
