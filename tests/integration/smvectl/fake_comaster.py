#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A tiny fake COMaster (Mara/TCP slave) for smvectl's poll tests.

It follows the slave rules of spec §3.1: a request with the stored SEQ is answered with the
stored reply byte for byte; any other SEQ is a new request; a broadcast (PEH) is processed, never
answered, and its SEQ is stored (the production behaviour).  Fault modes let tests exercise the
master's retry, stale and give-up paths.  It prints "PORT <n>" on stdout once listening and logs
every frame it receives as "RX <hex>" on stdout.
"""
import argparse
import socket
import sys


def bcc(data):
    s = 0
    for i in range(0, len(data), 2):
        hi = data[i]
        lo = data[i + 1] if i + 1 < len(data) else 0
        s = (s + (hi << 8 | lo)) & 0xFFFF
    cs = 0xFFFF - s
    return bytes([cs >> 8, cs & 0xFF])


def frame(dst, src, seq, cmd, payload=b""):
    body = bytes([0xFE, 8 + len(payload), dst, src, seq, cmd]) + payload
    return body + bcc(body)


def reply_payload(layout, counter):
    sv, di, ai = b"", b"", b""
    for addr, nsv, ndi, nai in layout:
        # bit 6 set in the first SV byte: the unit has received a PEH (§5.3)
        sv += bytes([0x44] + [addr] * (nsv - 1))
        di += b"".join(((addr << 8) | p).to_bytes(2, "little") for p in range(ndi))
        ai += b"".join(((counter + a) & 0x0FFF).to_bytes(2, "little") for a in range(nai))
    # one ENERGY event per reply, address 3 channel 0, 2014-01-13 16:15, value = counter
    v = counter & 0xFFFFFF
    ev = bytes([0x43, 0x00, 14, 1, 13, 16, 15, v >> 16, v & 0xFF, (v >> 8) & 0xFF])
    return (bytes([len(sv) + 1]) + sv + bytes([len(di) + 1]) + di + bytes([len(ai) + 1]) + ai
            + bytes([len(ev) + 1]) + ev)


def parse_layout(text):
    out = []
    for item in text.split():
        addr, counts = item.split(":")
        nsv, ndi, nai = (int(x) for x in counts.split(","))
        out.append((int(addr), nsv, ndi, nai))
    return out


class Slave:
    def __init__(self, args):
        self.args = args
        self.layout = parse_layout(args.layout)
        self.last_seq = None
        self.last_reply = None
        self.counter = 0
        self.requests = 0
        self.previous_reply = None

    def handle(self, req):
        """Return the bytes to send for one request frame (may be empty)."""
        dst, src, seq, cmd = req[2], req[3], req[4], req[5]
        if dst == 0xFF:
            self.last_seq = seq  # rule 4: a broadcast's SEQ is stored
            return b""
        if dst != 0x01:
            return b""
        self.requests += 1
        n = self.requests
        mode = self.args.mode
        if mode == "silent" or (mode == "timeout-once" and n == 1):
            return b""
        if cmd == 0x13 and self.args.control == "mute":
            return b""
        if seq == self.last_seq and self.last_reply is not None:
            out = self.last_reply  # rule 1: resend the retry buffer byte for byte
        else:
            self.counter += 1
            if cmd == 0x13:
                p = bytes(req[6:9])
                if self.args.control == "refuse":
                    p = bytes([p[0], 0xFF, p[2]])
                out = frame(src, 0x01, seq, 0x13, p)
            else:
                out = frame(src, 0x01, seq, 0x10, reply_payload(self.layout, self.counter))
            self.previous_reply = self.last_reply
            self.last_seq, self.last_reply = seq, out
        if mode == "badbcc-once" and n == 1:
            return out[:-1] + bytes([out[-1] ^ 0x55])
        if mode == "stale-once" and n == 2 and self.previous_reply is not None:
            # answer the second request with the first reply again, as after BugPeH
            return self.previous_reply
        if mode == "noise":
            return b"\x00\x11garbage" + out
        return out


def serve(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(1)
    srv.settimeout(args.lifetime)
    print("PORT %d" % srv.getsockname()[1], flush=True)
    slave = Slave(args)
    while True:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            return
        conn.settimeout(args.lifetime)
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except (socket.timeout, ConnectionError):
                    break
                if not data:
                    break
                buf += data
                while len(buf) >= 2:
                    if buf[0] != 0xFE:
                        buf = buf[1:]
                        continue
                    qty = buf[1]
                    if len(buf) < qty:
                        break
                    req, buf = buf[:qty], buf[qty:]
                    print("RX " + req.hex(" ").upper(), flush=True)
                    out = slave.handle(req)
                    if out:
                        conn.sendall(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--layout", default="1:6,3,4 2:6,1,2 3:6,1,2")
    ap.add_argument("--mode", default="normal",
                    choices=["normal", "silent", "timeout-once", "badbcc-once", "stale-once",
                             "noise"])
    ap.add_argument("--control", default="ok", choices=["ok", "refuse", "mute"])
    ap.add_argument("--lifetime", type=float, default=30.0)
    serve(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
