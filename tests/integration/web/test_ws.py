#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The smve.v1 WebSocket feed of smved fed by smve-sim: handshake checks, hello/dict/snapshot,
coalesced deltas, events, resume, subscriptions, acks, keepalive; python3-websockets and (when
installed) npm `ws` act as strict client oracles.
Usage: test_ws.py SMVED_BINARY [label]   (prints TAP)"""
import asyncio
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import BUILD, SLOW, TOP, Smved, Tap, connect, finish, jreq, read_response  # noqa: E402

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()


def ok(c, name, diag=None):
    return t.ok(c, label + name, diag)


sim = subprocess.Popen([os.path.join(BUILD, "bin", "smve-sim"), "concentrator", "--listen", "127.0.0.1:0",
                        "--layout", "1:6,3,4 2:6,1,2 3:6,1,2", "--event-rate", "4", "--seed", "7"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
sim_port = int(sim.stdout.readline().split(":")[-1])
d = Smved(binary, extra="ws_tick_ms = 100\nws_ping_s = 1\n",
          sections="[concentrator E7]\nhost = 127.0.0.1\nport = %d\nlayout = 1:6,3,4 2:6,1,2 3:6,1,2\n"
                   "poll_interval_ms = 200\n" % sim_port,
          users=[("olga", "operator", "op-pass-123")])
P = d.port
URI = "ws://127.0.0.1:%d/ws" % P


def handshake(extra=None, drop=(), method="GET"):
    h = {"Host": "127.0.0.1:%d" % P, "Upgrade": "websocket", "Connection": "Upgrade",
         "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Version": "13",
         "Sec-WebSocket-Protocol": "smve.v1"}
    h.update(extra or {})
    for k in drop:
        h.pop(k, None)
    s = connect(P)
    s.sendall(("%s /ws HTTP/1.1\r\n" % method + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n").encode())
    r = read_response(s, head_only=True)
    return s, r


async def recv(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout * SLOW))


async def until(ws, kind, timeout=8):
    end = time.time() + timeout * SLOW
    seen = []
    while time.time() < end:
        m = await recv(ws, max(0.1, end - time.time()))
        seen.append(m)
        if m["type"] == kind:
            return m, seen
    raise TimeoutError(kind)


async def main():
    # ---- handshake validation (raw) --------------------------------------------------------
    s, r = handshake()
    ok(r[0] == 101 and r[1].get("sec-websocket-protocol") == "smve.v1", "handshake -> 101 with smve.v1", r[:2])
    s.close()
    for extra, drop, method, want, name in (
            ({}, ("Sec-WebSocket-Key",), "GET", 400, "missing key"),
            ({"Sec-WebSocket-Key": "c2hvcnQ="}, (), "GET", 400, "key not 16 bytes"),
            ({"Sec-WebSocket-Version": "8"}, (), "GET", 426, "version 8"),
            ({}, ("Upgrade",), "GET", 426, "no Upgrade"),
            ({"Origin": "http://evil.example"}, (), "GET", 403, "foreign Origin"),
            ({}, ("Sec-WebSocket-Protocol",), "GET", 400, "no subprotocol"),
            ({}, (), "POST", 405, "POST")):
        s, r = handshake(extra, drop, method)
        ok(r and r[0] == want, "handshake with %s -> %d" % (name, want), r and r[:2])
        if want == 426 and "Version" in str(extra):
            ok(r[1].get("sec-websocket-version") == "13", "426 names version 13")
        s.close()

    # ---- the feed ----------------------------------------------------------------------------
    async with websockets.connect(URI, subprotocols=["smve.v1"], origin="http://127.0.0.1:%d" % P,
                                  max_size=2 ** 24) as ws:
        hello = await recv(ws)
        ok(hello["type"] == "hello" and hello["protocol"] == "smve.v1" and "last_event_id" in hello and
           hello["time"].endswith("Z") and hello["role"] == "viewer", "hello first", hello)
        dic = await recv(ws)
        ok(dic["type"] == "dict" and dic["points"], "dict second", str(dic)[:300])
        ids = {p["id"]: p for p in dic["points"]}
        snap = await recv(ws)
        ok(snap["type"] == "snapshot" and {e[0] for e in snap["points"]} == set(ids),
           "snapshot covers the dictionary", str(snap)[:300])
        tags = [p["tag"] for p in dic["points"]]
        # The concentrator's points appear once polling started (dictionary refresh) or are there.
        deltas, events, dicts = [], [], 0
        end = time.time() + 6
        while time.time() < end and (len(deltas) < 5 or not events):
            m = await recv(ws)
            if m["type"] == "delta":
                deltas.append(m)
            elif m["type"] == "event":
                events.append(m["event"])
            elif m["type"] == "dict":
                dicts += 1
                ids = {p["id"]: p for p in m["points"]}
                tags = [p["tag"] for p in m["points"]]
        ok(len(deltas) >= 5, "deltas flow (%d)" % len(deltas))
        ok(any(tg.startswith("E7") for tg in tags), "concentrator points in the dictionary", tags[:10])
        ok(all(e[0] in ids for m in deltas for e in m["points"]), "delta ids are in the dictionary")
        ok(all(len({e[0] for e in m["points"]}) == len(m["points"]) for m in deltas),
           "a point appears at most once per delta (coalesced)")
        seqs = [m["seq"] for m in deltas]
        ok(seqs == sorted(seqs), "delta seq increases")
        ok(events and all(events[i]["id"] < events[i + 1]["id"] for i in range(len(events) - 1)),
           "live events in id order (%d)" % len(events))
        ok(events and all(k in events[0] for k in ("id", "station", "type", "fields", "time", "ack")),
           "event message carries the REST event object", events[:1])

        # invalid message: an error, not a disconnect
        await ws.send("{not json")
        m, _ = await until(ws, "error")
        ok("type" in m["message"] or "JSON" in m["message"], "malformed message -> error message", m)
        await ws.send(json.dumps({"type": "bogus"}))
        m, _ = await until(ws, "error")
        ok(m["message"] == "unknown message type", "unknown type -> error", m)

        # ack through REST reaches the feed
        st, h, b = jreq(P, "POST", "/api/v1/login", {"user": "olga", "password": "op-pass-123"})
        cookie = h.get("set-cookie", "").split(";")[0]
        eid = events[0]["id"] if events else 1
        st, h, b = jreq(P, "POST", "/api/v1/events/%d/ack" % eid, {}, headers={"Cookie": cookie})
        ok(st == 200, "REST ack", (st, b))
        m, _ = await until(ws, "ack")
        ok(m["id"] == eid and m["user"] == "olga", "ack message on the feed", m)

        # subscribe to one prefix
        pref = "E7.2."
        await ws.send(json.dumps({"type": "subscribe", "prefix": pref}))
        m, _ = await until(ws, "dict")
        ok(m["points"] and all(p["tag"].startswith(pref) for p in m["points"]), "subscribed dict", str(m)[:300])
        sub_ids = {p["id"] for p in m["points"]}
        m = await recv(ws)
        ok(m["type"] == "snapshot" and {e[0] for e in m["points"]} == sub_ids, "subscribed snapshot")
        got = []
        end = time.time() + 3
        while time.time() < end:
            m = await recv(ws)
            if m["type"] == "delta":
                got.append(m)
        ok(got and all(e[0] in sub_ids for x in got for e in x["points"]), "deltas only for the subscription")

        # the server pings every second; the library answers; the connection must stay open
        ok(ws.open, "connection alive across server pings")

    # ---- clients connecting together share one dict and one snapshot text ----------------------
    def metric(name):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % P, timeout=5 * SLOW) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return None

    b0, s0 = metric("smve_ws_state_builds_total"), metric("smve_ws_snapshots_total")
    many = await asyncio.gather(*[websockets.connect(URI, subprotocols=["smve.v1"], max_size=2 ** 24,
                                                     origin="http://127.0.0.1:%d" % P) for _ in range(10)])
    for w in many:
        await until(w, "snapshot")
    b1, s1 = metric("smve_ws_state_builds_total"), metric("smve_ws_snapshots_total")
    for w in many:
        await w.close()
    # Unshared, each client would cost a dict and a snapshot build (20); shared, only the store
    # changes between the connects cost a rebuild.
    ok(s1 - s0 >= 10 and b1 - b0 <= s1 - s0, "10 clients: %d snapshots sent from %d texts built"
       % (s1 - s0, b1 - b0))

    # ---- resume ----------------------------------------------------------------------------
    async with websockets.connect(URI, subprotocols=["smve.v1"]) as ws:
        hello = await recv(ws)
        await ws.send(json.dumps({"type": "resume", "after": 0}))
        m, seen = await until(ws, "replayed", timeout=10)
        ev = [x["event"]["id"] for x in seen if x["type"] == "event"]
        ok(ev and ev[0] == 1 and ev == list(range(1, len(ev) + 1)), "resume from 0 replays every id in order",
           ev[:20])
        ok(m["last_id"] >= hello["last_event_id"], "replayed reaches the hello's last id", (m, hello))
        await ws.send(json.dumps({"type": "resume", "after": -5}))
        m, _ = await until(ws, "error")
        ok("after" in m["message"], "negative resume refused", m)

    # ---- keepalive: a client that never answers pings is closed -----------------------------
    s, r = handshake()
    start = time.time()
    s.settimeout(8)
    closed_code = None
    buf = b""
    try:
        while time.time() - start < 7:
            d_ = s.recv(65536)
            if not d_:
                break
            buf += d_
            # walk complete frames, look for a close
            i = 0
            while i + 2 <= len(buf):
                ln = buf[i + 1] & 0x7F
                hl = 2
                if ln == 126:
                    if i + 4 > len(buf):
                        break
                    ln, hl = struct.unpack(">H", buf[i + 2:i + 4])[0], 4
                elif ln == 127:
                    if i + 10 > len(buf):
                        break
                    ln, hl = struct.unpack(">Q", buf[i + 2:i + 10])[0], 10
                if i + hl + ln > len(buf):
                    break
                if buf[i] & 0x0F == 8:
                    closed_code = struct.unpack(">H", buf[i + hl:i + hl + 2])[0]
                i += hl + ln
            buf = buf[i:]
            if closed_code:
                break
    except OSError:
        pass
    ok(closed_code == 1001 and 1.5 < time.time() - start < 6,
       "no pong to two pings -> close 1001 (%.1f s)" % (time.time() - start), closed_code)
    s.close()

    # ---- npm ws as a second strict client ----------------------------------------------------
    node_ws = os.path.join(TOP, "tests", "browser", "node_modules", "ws")
    if shutil.which("node") and os.path.isdir(node_ws):
        r = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "ws_client.mjs"),
                            URI], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, NODE_PATH=os.path.join(TOP, "tests", "browser", "node_modules")))
        ok(r.returncode == 0 and "OK" in r.stdout, "npm ws client: hello, dict, snapshot, delta, clean close",
           r.stdout + r.stderr)
    else:
        t.skip(label + "npm ws client", "tests/browser/node_modules/ws not installed (scripts/deps.sh check)")


try:
    asyncio.run(main())
except Exception as e:  # a crash of the test itself must fail, not vanish
    ok(False, "test body raised %r" % e, d.logtext()[-2000:])
finally:
    ok(d.alive(), "smved still running")
    finish(t, ok, d, sim)
sys.exit(t.done())
