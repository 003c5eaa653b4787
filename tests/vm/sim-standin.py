#!/usr/bin/env python3
"""Minimal stand-in for `smve-sim bus`, used by tests/vm/run-vm only while smve-sim is not built.

Listens on a unix socket (QEMU connects the guest's ttyS1 to it), reassembles Mara frames
(spec 2.4), answers 0x10 and 0x13 for the configured IEDs with the slave rules of spec 3.1
(same SEQ -> resend the retry buffer byte for byte; broadcasts store their SEQ and are never
answered) and logs every frame with its arrival time.  It supports no fault options: smve-sim is
the real simulator; this only keeps the smoke test usable.

  sim-standin.py --socket PATH --ied ADDR[:sv,di,ai][:delay_us] ... [--baud B]
                 [--events-log FILE] [--timing-log FILE]
"""
import argparse
import os
import socket
import sys
import time


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


class Ied:
    def __init__(self, spec):
        parts = spec.split(":")
        self.addr = int(parts[0], 0)
        if not 2 <= self.addr <= 254:
            raise ValueError("IED address out of range: %s" % spec)
        sv, di, ai = 6, 1, 2
        if len(parts) > 1 and parts[1]:
            sv, di, ai = (int(x) for x in parts[1].split(","))
        if not (0 <= sv <= 60 and 0 <= di <= 30 and 0 <= ai <= 30):
            raise ValueError("layout out of range: %s" % spec)
        self.sv, self.di, self.ai = sv, di, ai
        self.delay_us = int(parts[2]) if len(parts) > 2 and parts[2] else None
        self.last_seq = None
        self.retry = None
        self.count = 0

    def poll_payload(self):
        self.count += 1
        c = self.count & 0xFF
        sv = bytes((self.addr + i + c) & 0xFF for i in range(self.sv))
        di = b"".join(((self.addr << 8 | c) & 0xFFFF).to_bytes(2, "little") for _ in range(self.di))
        ai = b"".join(((i * 100 + c) << 2 & 0xFFFF).to_bytes(2, "little") for i in range(self.ai))
        return (bytes([1 + len(sv)]) + sv + bytes([1 + len(di)]) + di +
                bytes([1 + len(ai)]) + ai + bytes([1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--ied", action="append", default=[])
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--events-log")
    ap.add_argument("--timing-log")
    args, unknown = ap.parse_known_args()
    if unknown:
        print("sim-standin: ignoring unsupported options: %s" % " ".join(unknown), file=sys.stderr)
    ieds = {}
    for spec in args.ied:
        ied = Ied(spec)
        ieds[ied.addr] = ied
    tc = 10.0 / args.baud
    events = open(args.events_log, "w", buffering=1) if args.events_log else None
    timing = open(args.timing_log, "w", buffering=1) if args.timing_log else None

    def log(direction, data):
        t = time.monotonic_ns()
        if events:
            events.write("%d %s %s\n" % (t, direction, data.hex(" ")))
        if timing:
            timing.write("%d %s %d\n" % (t, direction, len(data)))

    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(1)
    conn, _ = srv.accept()
    buf = bytearray()
    while True:
        data = conn.recv(4096)
        if not data:
            break
        buf += data
        while buf:
            if buf[0] != 0xFE:
                del buf[0]
                continue
            if len(buf) < 2:
                break
            qty = buf[1]
            if qty == 0xFE:
                del buf[0]
                continue
            if qty < 8 or qty > 253:
                del buf[0]
                continue
            if len(buf) < qty:
                break
            f = bytes(buf[:qty])
            if bcc(f[:-2]) != f[-2:]:
                del buf[0]
                continue
            del buf[:qty]
            log("rx", f)
            dst, src, seq, cmd = f[2], f[3], f[4], f[5]
            if dst == 0xFF:
                for ied in ieds.values():
                    ied.last_seq, ied.retry = seq, None
                continue
            ied = ieds.get(dst)
            if ied is None:
                continue
            if seq == ied.last_seq and ied.retry is not None:
                reply = ied.retry
            elif cmd == 0x10:
                reply = frame(src, dst, seq, cmd, ied.poll_payload())
            elif cmd == 0x13 and qty == 11:
                reply = frame(src, dst, seq, cmd, f[6:9])
            else:
                continue
            ied.last_seq, ied.retry = seq, reply
            delay = ied.delay_us / 1e6 if ied.delay_us is not None else 5 * tc
            time.sleep(delay)
            conn.sendall(reply)
            log("tx", reply)
    return 0


if __name__ == "__main__":
    sys.exit(main())
