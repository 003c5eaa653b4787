#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""RFC 6455 conformance of smved's WebSocket endpoint with a raw-socket client, in the spirit of
the Autobahn TestSuite sections 1-7 (framing, pings, reserved bits, opcodes, fragmentation,
UTF-8, close handling) plus masking and size limits.  smve.v1 answers {"type":"ping"} with
{"type":"pong"}, which serves as the echo for data-frame cases.
Usage: ws_conformance.py SMVED_BINARY [label]   (prints TAP)"""
import base64
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import Smved, Tap, connect, read_response  # noqa: E402

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()
d = Smved(binary, extra="ws_tick_ms = 100\n")
P = d.port

TEXT, BIN, CLOSE, PING, PONG, CONT = 1, 2, 8, 9, 10, 0


class Conn:
    def __init__(self):
        self.s = connect(P, timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: smve.v1\r\n\r\n"
                        % (P, key)).encode())
        r = read_response(self.s, head_only=True)
        if not r or r[0] != 101:
            raise RuntimeError("handshake failed: %r" % (r,))
        from webtest import LEFTOVER
        self.buf = LEFTOVER.pop(self.s.fileno(), b"")
        # hello, dict, snapshot
        for want in ("hello", "dict", "snapshot"):
            op, p = self.frame()
            if op != TEXT or json.loads(p)["type"] != want:
                raise RuntimeError("welcome: expected %s, got %r" % (want, (op, p[:80])))

    def send(self, op, payload=b"", fin=True, rsv=0, mask=True, length=None):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload) if length is None else length
        h = bytes([(0x80 if fin else 0) | (rsv << 4) | op])
        mb = 0x80 if mask else 0
        if n < 126:
            h += bytes([mb | n])
        elif n < 65536:
            h += bytes([mb | 126]) + struct.pack(">H", n)
        else:
            h += bytes([mb | 127]) + struct.pack(">Q", n)
        if mask:
            k = os.urandom(4)
            h += k
            payload = bytes(b ^ k[i % 4] for i, b in enumerate(payload))
        try:
            self.s.sendall(h + payload)
        except OSError:
            pass

    def _need(self, n):
        while len(self.buf) < n:
            c = self.s.recv(65536)
            if not c:
                raise EOFError
            self.buf += c

    def frame(self):
        """Next frame from the server: (opcode, payload).  Server frames must be unmasked, RSV 0."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80 or b0 & 0x70:
            raise RuntimeError("server frame masked or with RSV bits")
        n, hl = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, hl = struct.unpack(">H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, hl = struct.unpack(">Q", self.buf[2:10])[0], 10
        self._need(hl + n)
        p = self.buf[hl:hl + n]
        self.buf = self.buf[hl + n:]
        return b0 & 0x0F, p

    def next_reply(self, timeout=5):
        """Next frame that is not a feed message (delta/event/ack): pongs, closes, smve replies."""
        self.s.settimeout(timeout)
        while True:
            op, p = self.frame()
            if op == TEXT and json.loads(p)["type"] in ("delta", "event", "ack", "dict", "snapshot"):
                continue
            return op, p

    def expect_close(self, codes):
        """True if the server sends a close with a code in codes and then closes TCP."""
        try:
            while True:
                op, p = self.next_reply()
                if op == CLOSE:
                    code = struct.unpack(">H", p[:2])[0] if len(p) >= 2 else None
                    break
        except (EOFError, OSError, RuntimeError) as e:
            return False, "no close frame (%r)" % e
        if code not in codes:
            return False, "close code %r, wanted %r" % (code, codes)
        # Complete the handshake from our side if the server started it, then expect EOF.
        self.send(CLOSE, p[:2] if code else b"")
        self.s.settimeout(3)
        try:
            while self.s.recv(65536):
                pass
        except socket.timeout:
            return False, "TCP not closed after the close handshake"
        except OSError:
            pass
        return True, code

    def expect_pong(self, payload):
        try:
            op, p = self.next_reply()
        except (EOFError, OSError, RuntimeError) as e:
            return False, repr(e)
        return op == PONG and p == payload, (op, p[:60])

    def expect_text(self, kind):
        try:
            op, p = self.next_reply()
        except (EOFError, OSError, RuntimeError) as e:
            return False, repr(e)
        return op == TEXT and json.loads(p)["type"] == kind, (op, p[:80])

    def close(self):
        self.s.close()


def case(name, fn):
    try:
        c = Conn()
    except Exception as e:  # noqa: BLE001
        t.ok(False, label + name, "connect: %r" % e)
        return
    try:
        res, diag = fn(c)
    except Exception as e:  # noqa: BLE001
        res, diag = False, repr(e)
    t.ok(res, label + name, diag)
    c.close()


def ping_json(n):
    """{"type":"ping"} padded with spaces to exactly n bytes."""
    base = '{"type":"ping"}'
    return base[:-1] + " " * (n - len(base)) + "}"


def sent_then(c, frames, check):
    for f in frames:
        c.send(*f[0], **f[1])
    return check(c)


try:
    # 1. framing: text payload sizes at the length-encoding boundaries, binary refused
    for n in (15, 125, 126, 127, 65535, 65536):
        case("1.1 text message of %d bytes answered" % n,
             lambda c, n=n: (c.send(TEXT, ping_json(n)), c.expect_text("pong"))[1])
    case("1.1 text message of 65537 bytes -> 1009", lambda c: (c.send(TEXT, ping_json(65537)), c.expect_close({1009}))[1])
    case("1.1 frame claiming 2^62 bytes -> 1009",
         lambda c: (c.send(TEXT, b"", length=1 << 62), c.expect_close({1009, 1002}))[1])
    case("1.2 binary message -> 1003", lambda c: (c.send(BIN, b"\x00\x01"), c.expect_close({1003}))[1])
    case("1.3 unmasked client frame -> 1002", lambda c: (c.send(TEXT, ping_json(20), mask=False),
                                                         c.expect_close({1002}))[1])

    # 2. pings and pongs
    case("2.1 ping without payload -> pong", lambda c: (c.send(PING, b""), c.expect_pong(b""))[1])
    case("2.2 ping with 125 bytes -> same pong", lambda c: (c.send(PING, b"x" * 125), c.expect_pong(b"x" * 125))[1])
    case("2.3 ping with binary payload -> same pong",
         lambda c: (c.send(PING, bytes(range(0, 125))), c.expect_pong(bytes(range(0, 125))))[1])
    case("2.4 ping with 126 bytes -> 1002", lambda c: (c.send(PING, b"x" * 126), c.expect_close({1002}))[1])
    case("2.5 unsolicited pong ignored", lambda c: (c.send(PONG, b"hi"), c.send(PING, b"p"), c.expect_pong(b"p"))[2])

    def ten_pings(c):
        for i in range(10):
            c.send(PING, b"%d" % i)
        for i in range(10):
            r = c.expect_pong(b"%d" % i)
            if not r[0]:
                return r
        return True, None
    case("2.6 ten pings -> ten pongs in order", ten_pings)

    # 3. reserved bits
    for rsv in (1, 2, 4, 7):
        case("3 RSV=%d on a text frame -> 1002" % rsv,
             lambda c, rsv=rsv: (c.send(TEXT, ping_json(20), rsv=rsv), c.expect_close({1002}))[1])
    case("3 RSV on a ping -> 1002", lambda c: (c.send(PING, b"x", rsv=2), c.expect_close({1002}))[1])

    # 4. opcodes
    for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF):
        case("4 reserved opcode 0x%X -> 1002" % op,
             lambda c, op=op: (c.send(op, b"x"), c.expect_close({1002}))[1])

    # 5. fragmentation
    msg = ping_json(40)
    case("5.1 text in two fragments", lambda c: (c.send(TEXT, msg[:10], fin=False), c.send(CONT, msg[10:]),
                                                 c.expect_text("pong"))[2])

    def many_frags(c):
        for i, ch in enumerate(msg):
            c.send(TEXT if i == 0 else CONT, ch, fin=(i == len(msg) - 1))
        return c.expect_text("pong")
    case("5.2 text in one-byte fragments", many_frags)

    def ping_inside(c):
        c.send(TEXT, msg[:10], fin=False)
        c.send(PING, b"mid")
        c.send(CONT, msg[10:])
        r = c.expect_pong(b"mid")
        return (c.expect_text("pong") if r[0] else r)
    case("5.3 ping interleaved in a fragmented message", ping_inside)
    case("5.4 continuation without a start -> 1002", lambda c: (c.send(CONT, b"x"), c.expect_close({1002}))[1])
    case("5.5 new text while a message is open -> 1002",
         lambda c: (c.send(TEXT, msg[:5], fin=False), c.send(TEXT, msg), c.expect_close({1002}))[2])
    case("5.6 fragmented ping -> 1002", lambda c: (c.send(PING, b"a", fin=False), c.expect_close({1002}))[1])
    case("5.7 fragmented close -> 1002", lambda c: (c.send(CLOSE, b"\x03\xe8", fin=False), c.expect_close({1002}))[1])
    case("5.8 empty fragments around a message",
         lambda c: (c.send(TEXT, "", fin=False), c.send(CONT, msg, fin=False), c.send(CONT, ""),
                    c.expect_text("pong"))[3])

    # 6. UTF-8
    good = '{"type":"ping","x":"κόσμε \U0001F600"}'.encode()
    case("6.1 valid multi-byte UTF-8", lambda c: (c.send(TEXT, good), c.expect_text("pong"))[1])
    cut = good.index("ό".encode()) + 1
    case("6.2 UTF-8 character split across fragments",
         lambda c: (c.send(TEXT, good[:cut], fin=False), c.send(CONT, good[cut:]), c.expect_text("pong"))[2])
    for bad, name in ((b"\xce\xba\xe1\xbd", "truncated"), (b"\xc0\xaf", "overlong"),
                      (b"\xed\xa0\x80", "surrogate"), (b"\xf4\x90\x80\x80", "above U+10FFFF"),
                      (b"\xff", "0xFF")):
        case("6.3 invalid UTF-8 (%s) -> 1007" % name,
             lambda c, bad=bad: (c.send(TEXT, b'{"type":"ping","x":"' + bad + b'"}'), c.expect_close({1007}))[1])

    # 7. close handling
    case("7.1 close without code -> close, TCP closed",
         lambda c: (c.send(CLOSE, b""), c.expect_close({None, 1000}))[1])
    case("7.2 close 1000 with reason -> 1000", lambda c: (c.send(CLOSE, b"\x03\xe8bye"), c.expect_close({1000}))[1])
    case("7.3 close with a 1-byte payload -> 1002", lambda c: (c.send(CLOSE, b"\x03"), c.expect_close({1002}))[1])
    case("7.4 close with 126 bytes -> 1002",
         lambda c: (c.send(CLOSE, b"\x03\xe8" + b"x" * 124), c.expect_close({1002}))[1])
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999):
        case("7.5 valid close code %d echoed" % code,
             lambda c, code=code: (c.send(CLOSE, struct.pack(">H", code)), c.expect_close({code}))[1])
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
        case("7.6 invalid close code %d -> 1002" % code,
             lambda c, code=code: (c.send(CLOSE, struct.pack(">H", code)), c.expect_close({1002}))[1])
    case("7.7 close reason with invalid UTF-8 -> 1007",
         lambda c: (c.send(CLOSE, b"\x03\xe8\xff\xfe"), c.expect_close({1007}))[1])
    case("7.8 data after close is ignored",
         lambda c: (c.send(CLOSE, b"\x03\xe8"), c.send(TEXT, ping_json(20)), c.expect_close({1000}))[2])

    # robustness: garbage instead of frames, and a half frame then silence
    def garbage(c):
        c.s.sendall(os.urandom(4096))
        return c.expect_close({1002, 1009, 1003, 1007})
    case("8.1 random bytes -> closed with an error code", garbage)
    t.ok(d.alive(), label + "smved alive after every case")
finally:
    rc = d.stop()
    t.ok(rc == 0, label + "smved exits cleanly (status %s)" % rc, d.logtext()[-3000:] if rc else None)
    if not t.failed:
        d.cleanup()
sys.exit(t.done())
