#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""10,000 idle connections (9,500 plain HTTP, 500 WebSocket) against smved: it keeps serving,
refuses politely beyond max_connections, and gives every slot back when they close.  A slow
WebSocket reader that never reads is cut off from deltas, and from events with an explicit
overflow message, without disturbing other clients.
Usage: test_scale.py SMVED_BINARY [label]   (prints TAP)"""
import base64
import json
import os
import resource
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import BUILD, Smved, Tap, connect, finish, jreq, read_response  # noqa: E402

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()
N = 10000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard < N + 200:
    print("1..0 # SKIP RLIMIT_NOFILE hard limit %d < %d" % (hard, N + 200))
    sys.exit(0)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def ok(c, name, diag=None):
    return t.ok(c, label + name, diag)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ws_handshake(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: smve.v1\r\n\r\n"
               % (port, key)).encode())
    return s


sim = subprocess.Popen([os.path.join(BUILD, "bin", "smve-sim"), "concentrator", "--listen", "127.0.0.1:0",
                        "--layout", "1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2", "--event-rate", "3000", "--seed", "3"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
sim_port = int(sim.stdout.readline().split(":")[-1])
d = Smved(binary, extra="max_connections = %d\nidle_timeout_s = 300\nws_queue_kib = 16\nws_tick_ms = 50\n"
          "ws_ping_s = 300\n" % (N + 10),
          sections="[concentrator E8]\nhost = 127.0.0.1\nport = %d\nlayout = 1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2\n"
                   "poll_interval_ms = 20\n" % sim_port)
P = d.port
socks = []
try:
    rss0 = rss_kib(d.proc.pid)
    start = time.time()
    failed = None
    for i in range(N):
        try:
            socks.append(ws_handshake(P) if i % 20 == 0 else connect(P, timeout=10))
        except OSError as e:
            failed = "connection %d: %r" % (i, e)
            break
    ok(failed is None, "%d connections opened in %.1f s" % (len(socks), time.time() - start), failed)
    time.sleep(1)
    st, h, b = jreq(P, "GET", "/api/v1/status")
    ok(st == 200 and b["server"]["connections"] >= N, "still serving with %s connections open" %
       (b["server"]["connections"] if st == 200 else "?"), (st, b))
    ok(b["server"]["ws_clients"] >= N // 20, "%d WebSocket clients among them" % b["server"]["ws_clients"])
    rss = rss_kib(d.proc.pid)
    print("# smved RSS %d KiB idle, %d KiB with %d connections (%.1f KiB each)" %
          (rss0, rss, len(socks), (rss - rss0) / max(1, len(socks))))
    extra = []
    for i in range(15):
        try:
            extra.append(connect(P, timeout=5))
        except OSError:
            pass
    refused = 0
    for s in extra:
        s.settimeout(3)
        try:
            if s.recv(100).startswith(b"HTTP/1.1 503"):
                refused += 1
        except OSError:
            pass
        s.close()
    ok(refused >= 5, "connections beyond max_connections refused with 503 (%d)" % refused)
    for s in socks:
        s.close()
    socks = []
    deadline = time.time() + 20
    n = None
    while time.time() < deadline:
        st, h, b = jreq(P, "GET", "/api/v1/status")
        n = b["server"]["connections"] if st == 200 else None
        if n is not None and n <= 2:
            break
        time.sleep(0.5)
    ok(n is not None and n <= 2, "every slot given back after the clients left (%s open)" % n)

    # a reader that never reads, with a tiny receive buffer, next to a normal client.  It never
    # answers a ping either: with the default ws_ping_s (20) the ping close could come before the
    # overflow on a fast machine (seen once, closed "no pong to 2 pings"), hence ws_ping_s = 300.  The kernel's
    # send buffer (up to tcp_wmem's maximum, several MB) absorbs the feed before smved's own queue
    # grows, so the simulator's event rate is high enough to fill it well before the ping timeout.
    slow = ws_handshake(P, rcvbuf=4096)
    r = read_response(slow, head_only=True)
    ok(r and r[0] == 101, "slow client connected")
    deadline = time.time() + 40
    lag_seen = over = False
    while time.time() < deadline and not over:
        st, h, b, = jreq(P, "GET", "/metrics")[:3]
        text = b.decode() if isinstance(b, bytes) else ""
        vals = {l.split()[0]: float(l.split()[1]) for l in text.splitlines() if l and not l.startswith("#")
                and "{" not in l}
        lag_seen = lag_seen or vals.get("smve_ws_lagging_clients", 0) >= 1 or vals.get("smve_ws_lagged_total", 0) >= 1
        over = vals.get("smve_ws_overflows_total", 0) >= 1
        time.sleep(0.5)
    ok(lag_seen, "slow client marked lagging (deltas suspended)")
    # Now read everything the slow client was sent: an overflow message must precede the close.
    slow.settimeout(10)
    data = b""
    try:
        while True:
            c = slow.recv(1 << 20)
            if not c:
                break
            data += c
    except OSError:
        pass
    ok(over and b'"type":"overflow"' in data and b'"last_id":' in data,
       "slow client told about the overflow with its last event id before being closed",
       (over, len(data), data[-300:]))
    slow.close()
    st, h, b = jreq(P, "GET", "/api/v1/status")
    ok(st == 200 and d.alive(), "smved healthy afterwards")
finally:
    for s in socks:
        s.close()
    finish(t, ok, d, sim)
sys.exit(t.done())
