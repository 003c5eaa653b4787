#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""HTTP server limits, static files, REST API, auth/sessions/roles, audit and metrics of smved.
Usage: test_http.py SMVED_BINARY [label]   (prints TAP)"""
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import (Smved, Tap, closed_by_peer, connect, jreq, read_audit, read_response,  # noqa: E402
                     request, verify_audit)

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()
USERS = [("olga", "operator", "op-pass-123"), ("vic", "viewer", "view-pass-1")]
d = Smved(binary, extra="header_timeout_s = 2\nidle_timeout_s = 3\nmax_connections = 40\n"
          "login_max_failures = 3\n", users=USERS)
P = d.port


def ok(c, name, diag=None):
    return t.ok(c, label + name, diag)


def raw(data, timeout=5):
    s = connect(P, timeout)
    s.sendall(data)
    r = read_response(s)
    s.close()
    return r


try:
    # ---- basic requests, keep-alive, pipelining -------------------------------------------
    st, h, body = jreq(P, "GET", "/api/v1/points")
    ok(st == 200 and isinstance(body, list) and h["content-type"] == "application/json",
       "GET /api/v1/points is a JSON array", (st, h, body))
    p = body[0] if body else {}
    ok(all(k in p for k in ("tag", "kind", "value", "raw", "q", "stale", "source_time", "time")),
       "points carry tag/kind/value/raw/q/stale/source_time/time", p)
    st, h, b, s = request(P, "GET", "/api/v1/status", keep=True)
    st2, h2, b2, s = request(P, "GET", "/api/v1/session", keep=True, sock=s)
    ok(st == 200 and st2 == 200 and "connection" not in h2, "two requests on one keep-alive connection")
    s.close()
    s = connect(P)
    s.sendall(b"GET /api/v1/session HTTP/1.1\r\nHost: x\r\n\r\nGET /nonexistent HTTP/1.1\r\nHost: x\r\n\r\n")
    r1 = read_response(s)
    r2 = read_response(s)
    ok(r1[0] == 200 and r2 and r2[0] == 404, "pipelined requests answered in order", (r1[0], r2 and r2[0]))
    s.close()
    st, h, b, _ = request(P, "GET", "/api/v1/session", headers={"Connection": "close"})
    ok(h.get("connection") == "close", "Connection: close answered with close")
    r = raw(b"GET /api/v1/session HTTP/1.0\r\n\r\n")
    ok(r[0] == 200 and r[1].get("connection") == "close", "HTTP/1.0 request served and closed")

    # ---- malformed requests and limits -----------------------------------------------------
    cases = [
        (b"GET / HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without Host"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2.0"),
        (b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "control byte in target"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "obs-fold"),
        (b"GET / HTTP/1.1\nHost: x\n\n", None, "bare-LF request gets no response but a timeout"),
        (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "gzip coding"),
        (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
         "conflicting Content-Length"),
        (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413, "body over 1 MiB"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request line over 8 KiB"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 33000 + b"\r\n\r\n", 431, "header section over 32 KiB"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n", 431,
         "101 header fields"),
    ]
    for data, want, name in cases:
        r = raw(data, timeout=6)
        got = r[0] if r else None
        if want is None:
            ok(got in (None, 408), name, got)
        else:
            ok(got == want and r[1].get("connection") == "close", "%s -> %d and close" % (name, want),
               (got, r[1] if r else None))
    s = connect(P)
    s.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n")
    r = read_response(s, head_only=True)
    s.sendall(b"{}")
    r2 = read_response(s)
    ok(r and r[0] == 100 and r2 and r2[0] == 400, "Expect: 100-continue answered before the body",
       (r and r[0], r2 and r2[0]))
    s.close()
    r = raw(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: magic\r\n\r\n{}")
    ok(r and r[0] == 417, "unknown Expect -> 417", r and r[0])
    s = connect(P)
    s.sendall(b"GET /" + b"a" * 9000)
    r = read_response(s)
    ok(r and r[0] == 414, "unterminated 9 KB request line refused before it ends", r and r[0])
    s.close()
    ok(d.alive(), "smved survived the malformed requests")

    # ---- slowloris and idle timeouts -------------------------------------------------------
    s = connect(P, timeout=10)
    start = time.time()
    s.sendall(b"GET / HTTP/1.1\r\n")
    r = None
    try:
        for i in range(12):
            s.sendall(b"X-%d: a\r\n" % i)   # a byte trickle that never finishes the head
            time.sleep(0.4)
    except OSError:
        pass
    try:
        r = read_response(s)
    except OSError:
        r = None
    took = time.time() - start
    ok((r is None or r[0] == 408) and took < 6, "slowloris head cut after the 2 s header deadline (%.1f s)" % took,
       r and r[0])
    s.close()
    s = connect(P, timeout=10)
    start = time.time()
    ok(closed_by_peer(s, 8) and 2.5 < time.time() - start < 6, "idle keep-alive connection closed after 3 s")
    s.close()

    # ---- connection limit ------------------------------------------------------------------
    idle = []
    for i in range(45):
        try:
            idle.append(connect(P))
        except OSError:
            break
    time.sleep(0.3)
    busy = 0
    for s in idle[38:]:
        s.settimeout(1)
        try:
            if s.recv(200).startswith(b"HTTP/1.1 503"):
                busy += 1
        except OSError:
            pass
    ok(busy >= 5, "connections beyond max_connections get 503 (%d of %d)" % (busy, len(idle[38:])))
    for s in idle:
        s.close()
    time.sleep(0.3)
    st, _, _ = jreq(P, "GET", "/api/v1/status")
    ok(st == 200, "server accepts again once connections closed")

    # ---- static files ----------------------------------------------------------------------
    st, h, b, _ = request(P, "GET", "/")
    ok(st == 200 and h["content-type"].startswith("text/html") and b"hello" in b, "index.html at /")
    etag, lm = h.get("etag"), h.get("last-modified")
    st, h, b, _ = request(P, "GET", "/js/app.js")
    ok(st == 200 and h["content-type"].startswith("text/javascript"), "ES module MIME type")
    st, h, b, _ = request(P, "GET", "/", headers={"If-None-Match": etag})
    ok(st == 304 and b == b"", "If-None-Match -> 304")
    st, h, b, _ = request(P, "GET", "/", headers={"If-Modified-Since": lm})
    ok(st == 304, "If-Modified-Since -> 304")
    st, h, b, _ = request(P, "HEAD", "/js/app.js")
    ok(st == 200 and h["content-length"] == "20", "HEAD gives the length without a body")
    st, h, b, _ = request(P, "GET", "/inside.js")
    ok(st == 200 and b.startswith(b"export"), "symlink inside the root is served")
    for path, want in (("/escape.txt", 403), ("/../outside.txt", 400), ("/js/../../outside.txt", 400),
                       ("/%2e%2e/outside.txt", 400), ("/js/%2e%2e%2f%2e%2e%2foutside.txt", 400),
                       ("/.hidden", 404), ("/nope.html", 404), ("/a%00b", 400), ("/js%5c..%5coutside.txt", 400)):
        st, h, b, _ = request(P, "GET", path)
        ok(st == want and b"outside the web root" not in b, "static %s -> %d" % (path, want), st)
    st, _, _, _ = request(P, "POST", "/index.html", body="x")
    ok(st == 405, "POST to a static file -> 405")

    # ---- REST: auth, sessions, roles -------------------------------------------------------
    st, h, b = jreq(P, "GET", "/api/v1/session")
    ok(st == 200 and b["anonymous"] and b["role"] == "viewer", "anonymous viewer session", b)
    st, h, b = jreq(P, "POST", "/api/v1/events/1/ack", {})
    ok(st == 401 and b["error"] == "unauthenticated", "anonymous cannot acknowledge", b)
    st, h, b = jreq(P, "POST", "/api/v1/login", {"user": "olga", "password": "wrong"})
    ok(st == 401 and b["error"] == "bad_credentials", "wrong password -> 401", b)
    st, h, b = jreq(P, "POST", "/api/v1/login", {"user": "nobody", "password": "x"})
    ok(st == 401, "unknown user -> 401 (same answer)")
    st, h, b = jreq(P, "POST", "/api/v1/login", "{not json")
    ok(st in (400, 415), "malformed login body -> error", (st, b))
    st, h, b = jreq(P, "POST", "/api/v1/login", {"user": "vic", "password": "view-pass-1"})
    ck = h.get("set-cookie", "")
    ok(st == 200 and b["role"] == "viewer" and "HttpOnly" in ck and "SameSite=Strict" in ck and
       "Secure" not in ck, "viewer login sets an HttpOnly SameSite=Strict cookie", (st, ck))
    vic = {"Cookie": ck.split(";")[0]}
    st, h, b = jreq(P, "GET", "/api/v1/session", headers=vic)
    ok(st == 200 and b["user"] == "vic" and not b["anonymous"], "session shows the user", b)
    st, h, b = jreq(P, "POST", "/api/v1/events/1/ack", {}, headers=vic)
    ok(st == 403 and "operator" in b["message"], "viewer cannot acknowledge (403)", b)
    st, h, b = jreq(P, "POST", "/api/v1/login", {"user": "olga", "password": "op-pass-123"})
    olga = {"Cookie": h.get("set-cookie", "").split(";")[0]}
    ok(st == 200 and b["role"] == "operator", "operator login")
    st, h, b = jreq(P, "POST", "/api/v1/events/1/ack", {}, headers=dict(olga, Origin="http://evil.example"))
    ok(st == 403 and b["error"] == "bad_origin", "cross-origin write refused", b)
    st, h, b, _ = request(P, "POST", "/api/v1/events/1/ack", body="{}",
                          headers=dict(olga, **{"Content-Type": "text/plain"}))
    ok(st == 415, "write with a non-JSON content type refused (CSRF)", st)
    st, h, b = jreq(P, "POST", "/api/v1/events/1/ack", {}, headers=dict(olga, Origin="http://127.0.0.1:%d" % P))
    ok(st == 200 and b["ack"]["user"] == "olga" and b["id"] == 1, "operator acknowledges event 1", b)
    st, h, b = jreq(P, "POST", "/api/v1/events/1/ack", {}, headers=olga)
    ok(st == 409 and b["ack"]["user"] == "olga", "second acknowledgement -> 409, first kept", b)
    st, h, b = jreq(P, "POST", "/api/v1/events/999999/ack", {}, headers=olga)
    ok(st == 404, "ack of a missing event -> 404")
    st, h, b = jreq(P, "GET", "/api/v1/events/1/ack")
    ok(st == 405, "GET on ack -> 405")

    # ---- REST: writes on points ----------------------------------------------------------------
    st, h, pts = jreq(P, "GET", "/api/v1/points")
    tag0 = pts[0]["tag"]
    st, h, b = jreq(P, "POST", "/api/v1/points/%s/control" % tag0, {"action": "select", "state": 1}, headers=vic)
    ok(st == 403, "viewer cannot select a control", (st, b))
    st, h, b = jreq(P, "POST", "/api/v1/points/%s/control" % tag0, {"action": "operate", "state": 1,
                                                                     "token": "00"}, headers=olga)
    ok(st == 409 and b["error"] == "not_selected", "operate without select -> 409", (st, b))
    st, h, b = jreq(P, "POST", "/api/v1/points/%s/control" % tag0, {"action": "select", "state": 2}, headers=olga)
    ok(st == 400, "control state must be 0 or 1", (st, b))
    st, h, sel = jreq(P, "POST", "/api/v1/points/%s/control" % tag0, {"action": "select", "state": 1}, headers=olga)
    ok(st == 200 and len(sel.get("token", "")) == 32 and sel["expires_s"] == 30, "select gives a token", sel)
    st, h, b = jreq(P, "POST", "/api/v1/points/%s/control" % tag0, {"action": "operate", "state": 0,
                                                                     "token": sel.get("token")}, headers=olga)
    ok(st == 409, "operate with another state than selected -> 409", (st, b))
    st, h, sel = jreq(P, "POST", "/api/v1/points/%s/control" % tag0, {"action": "select", "state": 1}, headers=olga)
    st, h, b = jreq(P, "POST", "/api/v1/points/%s/control" % tag0, {"action": "operate", "state": 1,
                                                                     "token": sel.get("token")}, headers=olga)
    ok(st in (202, 404, 409, 503) and (st == 202 or b["error"] == "control_failed"),
       "operate reaches the command path (%d)" % st, b)
    # Its result is journaled as a "command" event of the point (docs/api.md), also when refused at once.
    deadline, cmds = time.time() + 10, []
    while not cmds and time.time() < deadline:
        _, _, cev = jreq(P, "GET", "/api/v1/events?type=command&tag=%s" % tag0)
        cmds = [e for e in cev.get("events", []) if e.get("tag") == tag0]
        if not cmds:
            time.sleep(0.2)
    want = ("executed", "refused", "mismatch", "unknown") if st == 202 else ("not_sent",)
    ok(len(cmds) == 1 and cmds[0]["fields"].get("outcome") in want and cmds[0]["fields"].get("user") == "olga"
       and cmds[0]["value"] == 1, "the control's result is a \"command\" event (%s)" % "/".join(want), cmds)
    st, h, b = jreq(P, "POST", "/api/v1/points/%s/manual" % tag0, {"text": "1"}, headers=olga)
    ok(st == 409 and b["error"] == "not_manual", "manual state only on derived points", (st, b))

    # ---- REST: events and points ------------------------------------------------------------
    st, h, b = jreq(P, "GET", "/api/v1/events?after=0&limit=5")
    ok(st == 200 and isinstance(b["events"], list) and b["last_id"] >= 1, "events list", b)
    evs = b["events"]
    ok([e["id"] for e in evs] == sorted(e["id"] for e in evs), "events ascending by id")
    e = evs[0] if evs else {}
    ok(all(k in e for k in ("id", "station", "ied", "type", "tag", "time", "received", "fields", "text", "ack")),
       "event fields", e)
    ok(e.get("time", "").endswith("Z") and len(e.get("time", "")) == 24, "ISO 8601 UTC with milliseconds", e.get("time"))
    st, h, b = jreq(P, "GET", "/api/v1/events?unacked=1")
    ok(st == 200 and all(x["ack"] is None for x in b["events"]), "unacked filter")
    st, h, b = jreq(P, "GET", "/api/v1/events?type=system&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00.000Z")
    ok(st == 200 and all(x["type"] == "system" for x in b["events"]) and b["events"], "type and time filters")
    for q, name in (("limit=0", "limit 0"), ("limit=1001", "limit over 1000"), ("after=-1", "negative after"),
                    ("after=abc", "non-numeric after"), ("from=yesterday", "bad time"), ("unacked=2", "bad bool"),
                    ("order=sideways", "bad order"), ("tag=%zz", "bad escape")):
        st, h, b = jreq(P, "GET", "/api/v1/events?" + q)
        ok(st == 400 and b["error"] == "bad_parameter" and b["message"], "events %s -> 400 with a message" % name,
           (st, b))
    st, h, b = jreq(P, "GET", "/api/v1/events/1")
    ok(st == 200 and b["id"] == 1, "one event by id")
    st, h, b = jreq(P, "GET", "/api/v1/events/0")
    ok(st == 404, "event 0 -> 404")
    st, h, pts = jreq(P, "GET", "/api/v1/points")
    tag = pts[0]["tag"]
    st, h, b = jreq(P, "GET", "/api/v1/points/" + tag)
    ok(st == 200 and b["tag"] == tag, "one point by tag")
    st, h, b = jreq(P, "GET", "/api/v1/points?prefix=" + tag[:3])
    ok(st == 200 and b and all(x["tag"].startswith(tag[:3]) for x in b), "points prefix filter")
    st, h, b = jreq(P, "GET", "/api/v1/points/NO.SUCH.TAG")
    ok(st == 404 and b["error"] == "not_found", "unknown point -> 404 JSON")
    st, h, b = jreq(P, "GET", "/api/v1/nothing")
    ok(st == 404, "unknown API path -> 404")
    st, h, b = jreq(P, "GET", "/api/v1/status")
    ok(st == 200 and "sources" in b and b["server"]["last_event_id"] >= 1, "status", b)

    # ---- login rate limiting ----------------------------------------------------------------
    for i in range(3):
        jreq(P, "POST", "/api/v1/login", {"user": "olga", "password": "guess%d" % i})
    st, h, b = jreq(P, "POST", "/api/v1/login", {"user": "olga", "password": "op-pass-123"})
    ok(st == 429 and int(h.get("retry-after", "0")) > 0 and b["error"] == "rate_limited",
       "locked after 3 failures even with the right password (429 + Retry-After)", (st, h, b))
    st, h, b = jreq(P, "GET", "/api/v1/session", headers=olga)
    ok(st == 200 and b["user"] == "olga", "an existing session is not affected by the lock")
    st, h, b, _ = request(P, "POST", "/api/v1/logout", body="{}", headers=dict(olga, **{"Content-Type": "application/json"}))
    ok(st == 204 and "Max-Age=0" in h.get("set-cookie", ""), "logout clears the cookie")
    st, h, b = jreq(P, "GET", "/api/v1/session", headers=olga)
    ok(st == 200 and b["anonymous"], "session gone after logout (anonymous again)")

    # ---- metrics ------------------------------------------------------------------------------
    st, h, b, _ = request(P, "GET", "/metrics")
    text = b.decode()
    names = {l.split("{")[0].split(" ")[0] for l in text.splitlines() if l and not l.startswith("#")}
    ok(st == 200 and h["content-type"].startswith("text/plain; version=0.0.4"), "metrics content type")
    ok({"smve_ws_clients", "smve_journal_events_total", "smve_http_connections", "smve_login_failures_total",
        "smve_journal_commit_seconds_last", "smve_events_per_second"} <= names, "metrics names", sorted(names))
    bad = [l for l in text.splitlines() if l and not l.startswith("#") and len(l.rsplit(" ", 1)) != 2]
    ok(not bad, "every sample line is 'name{labels} value'", bad[:3])
    fails = [l for l in text.splitlines() if l.startswith("smve_login_failures_total ")]
    ok(fails and float(fails[0].split()[1]) >= 5, "login failures counted", fails)

    # ---- reload ----------------------------------------------------------------------------
    with open(d.conf) as f:
        conf = f.read()
    with open(d.conf, "w") as f:
        f.write(conf.replace("[smved]\n", "[smved]\nanonymous = none\n", 1))
    d.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    st = None
    while time.time() < deadline:
        st, h, b = jreq(P, "GET", "/api/v1/points")
        if st == 401:
            break
        time.sleep(0.2)
    ok(st == 401, "SIGHUP applies anonymous = none: reading needs a login", st)
    st, h, b = jreq(P, "POST", "/api/v1/login", {"user": "vic", "password": "view-pass-1"})
    vic2 = {"Cookie": h.get("set-cookie", "").split(";")[0]}
    st, h, b = jreq(P, "GET", "/api/v1/points", headers=vic2)
    ok(st == 200, "a session still reads after the reload", st)

    # ---- audit ---------------------------------------------------------------------------------
    alog = os.path.join(d.dir, "state", "audit.log")
    n, err = verify_audit(alog)
    ok(err is None and n >= 8, "audit chain verifies independently (%d records)" % n, err)
    recs = read_audit(alog)
    acts = [r["action"] for r in recs]
    ok({"user_set", "start", "login", "login_failed", "login_limited", "ack", "logout", "control_select",
        "config_reload",
        "control_operate", "control_result"} <= set(acts),
       "audit has user_set, start, login(_failed/_limited), ack, logout, control select/operate/result", acts)
    ackr = [r for r in recs if r["action"] == "ack"]
    ok(ackr and ackr[0]["user"] == "olga" and ackr[0]["role"] == "operator" and ackr[0]["addr"] == "127.0.0.1"
       and ackr[0]["time"].endswith("Z"), "ack record has user, role, address and time", ackr[:1])
    ok(d.alive(), "smved still running")
finally:
    rc = d.stop()
    ok(rc == 0, "smved exits cleanly on SIGTERM (status %s; sanitizers report here)" % rc,
       d.logtext()[-3000:] if rc else None)
    if not t.failed:
        d.cleanup()
    else:
        print("# kept " + d.dir)
sys.exit(t.done())
