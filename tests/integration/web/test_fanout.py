#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Tick-0 fan-out to many clients, with the tick sends batched through io_uring and with send(2):
every client that keeps up gets every delta in order and every event; a client that stops
reading is cut off from deltas, gets a fresh snapshot once it reads again, and from then on every
delta again; its events are never skipped.  Frames are parsed strictly (a torn or interleaved frame
fails the JSON or header checks).
Usage: test_fanout.py SMVED_BINARY [label]   (prints TAP)"""
import base64
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import BUILD, SLOW, Smved, Tap, finish  # noqa: E402

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()
# More clients than one io_uring batch (256), fewer under valgrind.
N = 40 if SLOW > 1 else 300
LAYOUT = "1:6,1,10 2:6,1,10"
BIG_LAYOUT = "1:6,1,50 2:6,1,50"     # 100 AI words move at every poll: ~4 KB deltas


def ok(c, name, diag=None):
    return t.ok(c, label + name, diag)


class Client:
    """A minimal smve.v1 client: strict server-frame parser, messages kept as (type, seq or id)."""

    def __init__(self, port, rcvbuf=None):
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(10 * SLOW)
        s.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: smve.v1\r\n\r\n"
                   % (port, key)).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            c = s.recv(4096)
            if not c:
                raise OSError("closed during the handshake")
            buf += c
        head, rest = buf.split(b"\r\n\r\n", 1)
        self.buf = bytearray(rest)
        if not head.startswith(b"HTTP/1.1 101"):
            raise OSError("handshake refused: %r" % head[:100])
        s.setblocking(False)
        self.s = s
        self.msgs = []          # ("delta", seq) ("snapshot", seq) ("event", id) ("dict", 0) ...
        self.error = None
        self.closed = False

    def feed(self):
        """Reads what is there (a bounded amount: a socket being refilled never stops) and parses it."""
        try:
            for _ in range(64):
                c = self.s.recv(1 << 20)
                if not c:
                    self.closed = self.closed or "EOF"
                    break
                self.buf += c
        except BlockingIOError:
            pass
        except OSError as e:
            self.error = self.error or repr(e)
        self.parse()

    def parse(self):
        b = self.buf
        i = 0
        while len(b) - i >= 2 and not self.error:
            b0, b1 = b[i], b[i + 1]
            ln, hl = b1 & 0x7F, 2
            if b1 & 0x80 or b0 & 0x70 or not b0 & 0x80:
                self.error = "bad frame header %02x %02x" % (b0, b1)
                break
            if ln == 126:
                if len(b) - i < 4:
                    break
                ln, hl = struct.unpack(">H", b[i + 2:i + 4])[0], 4
            elif ln == 127:
                if len(b) - i < 10:
                    break
                ln, hl = struct.unpack(">Q", b[i + 2:i + 10])[0], 10
            if len(b) - i < hl + ln:
                break
            op, payload = b0 & 0x0F, bytes(b[i + hl:i + hl + ln])
            i += hl + ln
            if op == 1:
                try:
                    m = json.loads(payload)
                except ValueError:
                    self.error = "not JSON: %r" % payload[:80]
                    break
                ty = m.get("type")
                self.msgs.append((ty, m["event"]["id"] if ty == "event" else m.get("seq", 0)))
            elif op == 8:
                self.closed = "close frame %r" % payload[:60]
            elif op == 9:
                pass    # ping: not sent (ws_ping_s = 3600)
            else:
                self.error = "unexpected opcode %d" % op
        del b[:i]


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5 * SLOW) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def segments(msgs):
    """Splits a client's messages at each snapshot: [(snapshot seq, [delta seqs])]."""
    segs = []
    for ty, v in msgs:
        if ty == "snapshot":
            segs.append((v, []))
        elif ty == "delta" and segs:
            segs[-1][1].append(v)
    return segs


def check_deltas(c, every):
    """None when each segment has every delta of `every` after its snapshot, in order; else why."""
    for snap, ds in segments(c.msgs):
        if ds != sorted(set(ds)) or (ds and ds[0] <= snap):
            return "deltas out of order after snapshot %d: %s" % (snap, ds[:20])
        if ds:
            want = [s for s in every if snap < s <= ds[-1]]
            if ds != want:
                return "after snapshot %d missing %s" % (snap, sorted(set(want) - set(ds))[:20])
    return None


def run(mode, slow_reader):
    """Many clients on small deltas (slow_reader False) or a few on large ones plus a client that
    stops reading (the kernel buffers several MB before smved's own queue grows: large deltas fill
    them in seconds)."""
    layout, n, poll = (BIG_LAYOUT, 4, 20) if slow_reader else (LAYOUT, N, 50)
    sim = subprocess.Popen([os.path.join(BUILD, "bin", "smve-sim"), "concentrator", "--listen", "127.0.0.1:0",
                            "--layout", layout, "--event-rate", "2", "--comsys-every", "0", "--seed", "5"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sim_port = int(sim.stdout.readline().split(":")[-1])
    d = Smved(binary, extra="ws_tick_ms = 0\nws_queue_kib = 16\nws_io_uring = %s\nmax_connections = 1000\n"
              "ws_ping_s = 3600\n" % mode,
              sections="[concentrator F1]\nhost = 127.0.0.1\nport = %d\nlayout = %s\npoll_interval_ms = %d\n"
                       % (sim_port, layout, poll))
    P = d.port
    tag = "ws_io_uring = %s, %d clients%s: " % (mode, n, " + 1 that stops reading" if slow_reader else "")
    clients, slow = [], None
    try:
        time.sleep(1)
        if mode == "true" and "batched through io_uring" not in d.logtext():
            t.skip(label + tag + "sends through io_uring", "io_uring unavailable here (see the log)")
        clients = [Client(P) for _ in range(n)]
        everyone = clients[:]
        sel = selectors.DefaultSelector()
        for c in clients:
            sel.register(c.s, selectors.EVENT_READ, c)
        if slow_reader:
            slow = Client(P, rcvbuf=4096)      # reads nothing until it was cut off
            everyone.append(slow)
            start = time.time()
            lagged = 0.0
            while time.time() - start < 60 * SLOW and lagged < 1:
                for key, _ in sel.select(0.2):
                    key.data.feed()
                lagged = metric(P, "smve_ws_lagged_total")
            ok(lagged >= 1, tag + "the client that stops reading is cut off from deltas (%.1f s)"
               % (time.time() - start))
            sel.register(slow.s, selectors.EVENT_READ, slow)
        end = time.time() + 4 * SLOW
        while time.time() < end:
            for key, _ in sel.select(0.2):
                key.data.feed()
        errors = [c.error for c in everyone if c.error]
        ok(not errors and not any(c.closed for c in everyone),
           tag + "every frame well formed, nobody closed",
           (errors[:3], [(i, c.closed, c.msgs[-5:]) for i, c in enumerate(everyone) if c.closed][:3]))
        every = sorted({v for c in everyone for ty, v in c.msgs if ty == "delta"})
        bad = [(i, why) for i, c in enumerate(everyone) if (why := check_deltas(c, every))]
        ok(not bad, tag + "every client has every delta after its snapshots, in order (%d deltas seen)"
           % len(every), bad[:3])
        kept_up = [c for c in clients if len(segments(c.msgs)) == 1]
        n_d = min((len(segments(c.msgs)[0][1]) for c in kept_up), default=0)
        ok(len(kept_up) >= max(1, n // 2) and n_d >= 20,
           tag + "%d of %d clients kept up without a resnapshot, each with >= %d deltas" % (len(kept_up), n, n_d))
        if slow_reader:
            segs = segments(slow.msgs)
            ok(len(segs) >= 2 and segs[-1][1], tag + "the slow client got a fresh snapshot and deltas after it",
               [(sq, len(ds)) for sq, ds in segs])
        evs = [[v for ty, v in c.msgs if ty == "event"] for c in everyone]
        holes = [e for e in evs if e and e != list(range(e[0], e[0] + len(e)))]
        ok(not holes and any(evs), tag + "events reach every client without a gap", [h[:20] for h in holes[:2]])
    finally:
        for c in clients + ([slow] if slow else []):
            c.s.close()
        finish(t, ok, d, sim, tag)


def run_reload():
    """ws_io_uring switched off and on again by SIGHUP while 20 clients are fed at tick 0."""
    sim = subprocess.Popen([os.path.join(BUILD, "bin", "smve-sim"), "concentrator", "--listen", "127.0.0.1:0",
                            "--layout", LAYOUT, "--event-rate", "2", "--comsys-every", "0", "--seed", "6"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sim_port = int(sim.stdout.readline().split(":")[-1])
    d = Smved(binary, extra="ws_tick_ms = 0\nws_io_uring = true\nws_ping_s = 3600\n",
              sections="[concentrator F1]\nhost = 127.0.0.1\nport = %d\nlayout = %s\npoll_interval_ms = 50\n"
                       % (sim_port, LAYOUT))
    tag = "SIGHUP toggles ws_io_uring: "
    clients = []
    try:
        time.sleep(1)
        if "batched through io_uring" not in d.logtext():
            t.skip(label + tag + "switching", "io_uring unavailable here (see the log)")
            return
        clients = [Client(d.port) for _ in range(20)]
        sel = selectors.DefaultSelector()
        for c in clients:
            sel.register(c.s, selectors.EVENT_READ, c)

        def pump(secs):
            end = time.time() + secs * SLOW
            while time.time() < end:
                for key, _ in sel.select(0.2):
                    key.data.feed()

        switched = []
        for value, line in (("false", "tick sends use send()"), ("true", "batched through io_uring")):
            pump(2)
            before = d.logtext().count(line)
            with open(d.conf) as f:
                conf = f.read()
            with open(d.conf, "w") as f:
                f.write(conf.replace("ws_io_uring = %s" % ("true" if value == "false" else "false"),
                                     "ws_io_uring = " + value))
            d.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 5 * SLOW
            while time.time() < deadline and d.logtext().count(line) == before:
                pump(0.2)
            switched.append(d.logtext().count(line) > before)
        pump(2)
        ok(all(switched), tag + "off, then on again (log)", switched)
        errors = [c.error or c.closed for c in clients if c.error or c.closed]
        every = sorted({v for c in clients for ty, v in c.msgs if ty == "delta"})
        bad = [why for c in clients if (why := check_deltas(c, every))]
        ok(not errors and not bad and all(len(segments(c.msgs)) == 1 for c in clients) and len(every) >= 30,
           tag + "20 clients got every delta in order across both switches (%d deltas)" % len(every),
           (errors[:2], bad[:2]))
    finally:
        for c in clients:
            c.s.close()
        finish(t, ok, d, sim, tag)


for mode in ("true", "false"):
    run(mode, False)
    if SLOW > 1:
        t.skip(label + "ws_io_uring = %s: a client that stops reading" % mode,
               "under valgrind smved cannot fill the kernel's socket buffers in the test's time")
    else:
        run(mode, True)
run_reload()
sys.exit(t.done())
