#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""smved over TLS (tls_cert/tls_key, a self-signed certificate made here by openssl): REST,
Secure session cookies, wss:// with python3-websockets, and plaintext or garbage on the TLS port.
Usage: test_tls.py SMVED_BINARY [label]   (prints TAP)"""
import asyncio
import json
import os
import socket
import ssl
import sys

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import Smved, Tap, connect, read_response  # noqa: E402

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()
d = Smved(binary, tls=True, users=[("olga", "operator", "op-pass-123")])
P = d.port
ctx = ssl.create_default_context(cafile=d.cert)
ctx.check_hostname = False   # the certificate names 127.0.0.1 as CN only


def ok(c, name, diag=None):
    return t.ok(c, label + name, diag)


def treq(method, path, body=None, headers=None):
    s = ctx.wrap_socket(connect(P))
    h = {"Host": "127.0.0.1:%d" % P, "Connection": "close"}
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        h.update({"Content-Type": "application/json", "Content-Length": str(len(data))})
    h.update(headers or {})
    s.sendall(("%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items()) +
               "\r\n").encode() + data)
    r = read_response(s)
    s.close()
    return r


try:
    st, h, b = treq("GET", "/api/v1/status")
    ok(st == 200 and json.loads(b)["server"]["tls"] is True, "REST over TLS with certificate verification")
    st, h, b = treq("POST", "/api/v1/login", {"user": "olga", "password": "op-pass-123"},
                    {"Origin": "https://127.0.0.1:%d" % P})
    ck = h.get("set-cookie", "")
    ok(st == 200 and "; Secure" in ck and "HttpOnly" in ck, "session cookie is Secure under TLS", ck)
    st, h, b = treq("POST", "/api/v1/login", {"user": "olga", "password": "op-pass-123"},
                    {"Origin": "http://127.0.0.1:%d" % P})
    ok(st == 403, "an http:// Origin is foreign to an https server")

    async def wss():
        async with websockets.connect("wss://127.0.0.1:%d/ws" % P, subprotocols=["smve.v1"], ssl=ctx) as ws:
            kinds = [json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] for _ in range(3)]
            return kinds
    kinds = asyncio.run(wss())
    ok(kinds == ["hello", "dict", "snapshot"], "wss:// feed", kinds)

    s = connect(P)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    try:
        data = s.recv(100)
    except OSError:
        data = b""
    ok(not data.startswith(b"HTTP/1.1 200"), "plaintext HTTP on the TLS port is not served")
    s.close()
    s = connect(P)
    s.sendall(os.urandom(2000))
    s.close()
    st, h, b = treq("GET", "/api/v1/session")
    ok(st == 200 and d.alive(), "garbage on the TLS port does not hurt")
finally:
    rc = d.stop()
    ok(rc == 0, "smved exits cleanly (status %s)" % rc, d.logtext()[-3000:] if rc else None)
    if not t.failed:
        d.cleanup()
sys.exit(t.done())
