#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Integration tests of `smve-sim bus` on a pseudo-terminal and a unix socket."""

import json
import os
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import (Link, Reply, Sim, Tap, build, control, event_fields, free_tmp, peh,  # noqa: E402
                    read_events, verify)

QUIET = ["--event-rate", "0", "--seed", "3"]


def bpoll(addr, seq):
    return build(addr, 0x01, seq, 0x10)


def bctl(addr, seq, port, bit, state):
    return control(seq, port, bit, state, dst=addr, src=0x01)


def start(extra):
    sim = Sim(["bus"] + extra)
    return sim, (Link.pty(sim.first[1]) if sim.first[0] == "pty" else None)


def t_basic(tap):
    log, tlog = free_tmp("bus-ev.jsonl"), free_tmp("bus-timing.jsonl")
    sim, c = start(["--pty", "--ied", "5", "--ied", "6:6,1,2:2000", "--events-log", log,
                    "--timing-log", tlog] + QUIET)
    tap.ok(sim.first[1].startswith("/dev/pts/"), "--pty prints 'pty /dev/pts/N' first", sim.first)
    f = c.ask(bpoll(5, 0x80))
    r = Reply(f)
    tap.ok((r.dst, r.src, r.seq, r.cmd) == (0x01, 0x05, 0x80, 0x10) and
           (len(r.sv), len(r.di), len(r.ai), len(r.events)) == (6, 1, 2, 0) and len(f) == 24,
           "IED 05 answers its own 24-byte reply (layout 6,1,2)", f.hex() if f else None)
    tap.ok(r.sv[0] & 0x40 == 0, "SV bit 6 = 0 before any PEH", hex(r.sv[0]))
    tap.ok(c.ask(bpoll(9, 0x80), 0.2) is None, "no answer for an address that is not simulated")
    bad = bytearray(bpoll(5, 0x00))
    bad[-2] ^= 0x10
    tap.ok(c.ask(bytes(bad), 0.2) is None, "no answer to a frame with a bad BCC")
    f6 = c.ask(bpoll(6, 0x80))
    tap.ok(f6 is not None and Reply(f6).src == 6, "IED 06 (own reply delay) answers for itself")
    # Bit-7 rule (default): 00 then 01 are the same request, 80 is new.
    r0 = c.ask(bpoll(5, 0x00))
    r1 = c.ask(bpoll(5, 0x01))
    r2 = c.ask(bpoll(5, 0x80))
    tap.ok(r1 == r0 and Reply(r0).seq == 0x00 and Reply(r2).seq == 0x80,
           "--seq-compare bit7: SEQ 01 after 00 gets the retry buffer, 80 is new")
    c.send(peh(0xBB, 2014, 2, 6, 19, 35, 27, dow=4, src=0x01))
    tap.ok(c.frame(0.2) is None, "PEH is never answered")
    r3 = c.ask(bpoll(5, 0x80))
    tap.ok(r3 == r2, "after PEH with SEQ BB stored, a bit-7 IED answers poll 80 from its retry buffer (§3.5)")
    r4 = Reply(c.ask(bpoll(5, 0x00)))
    tap.ok(r4.seq == 0x00 and r4.sv[0] & 0x40, "SV bit 6 set once the PEH was received", hex(r4.sv[0]))

    # Event stack: 7 output changes make 7 DIGITAL events; 5 are held, 2 refused.
    di = r4.di[0]
    seq = 0x80
    for bit in range(7):
        e = c.ask(bctl(5, seq, 0, bit, 0 if di >> bit & 1 else 1))
        seq ^= 0x80
    tap.ok(e is not None and e[7] == 6, "0x13 on an IED: echo")
    polls = []
    for _ in range(4):
        polls.append(Reply(c.ask(bpoll(5, seq))))
        seq ^= 0x80
    counts = [len(p.events) for p in polls]
    tap.ok(counts == [2, 2, 1, 0], "at most 2 events per reply, 5 held (2+2+1)", counts)
    tap.ok(polls[0].sv[0] & 0x20 and not polls[3].sv[0] & 0x20,
           "stack overflow sets SV bit 5 until an ack makes room", [hex(p.sv[0]) for p in polls])
    evs = [event_fields(x) for p in polls for x in p.events]
    tap.ok([(e["addr"], e["port"], e["bit"], e["status"]) for e in evs] ==
           [(5, 0, b, 0 if di >> b & 1 else 1) for b in range(5)],
           "the held events are the first five changes, in order", evs)
    ev = read_events(log)
    tap.ok(sum(e["t"] == "refused" for e in ev) == 2 and sum(e["t"] == "ack" for e in ev) == 5,
           "events log: 2 refused, 5 acknowledged")
    tap.ok(polls[3].di[0] == di ^ 0x7F, "0x13 feedback: the 7 DI bits flipped", hex(polls[3].di[0]))
    e = c.ask(bctl(5, seq, 1, 0, 1))
    tap.ok(e is not None and e[7] == 0xFF, "0x13 on a port the IED does not have: Bit = FF")
    seq ^= 0x80

    # TO1 (3 Tc = 260 us at 115200): a 50 ms gap inside a frame drops it.
    p = bpoll(5, seq)
    c.send(p[:4])
    time.sleep(0.05)
    c.send(p[4:])
    tap.ok(c.frame(0.3) is None, "TO1: a frame with a 50 ms gap is dropped")
    tap.ok(c.ask(p) is not None, "TO1: the same frame in one piece is answered")

    lines = [json.loads(x) for x in open(tlog)]
    reqs = [x for x in lines if x["ev"] == "req"]
    tap.ok(len(reqs) >= 20 and all(isinstance(x["turnaround_us"], float) for x in reqs[1:]) and
           any(x["ev"] == "cycle" for x in lines) and any(x["ev"] == "reply" for x in lines),
           "--timing-log: req (with turnaround), reply and cycle lines", lines[:3])
    c.close()
    tap.ok(sim.stop() == 0, "bus: clean exit on SIGTERM")


def t_seq_byte(tap):
    sim, c = start(["--pty", "--ied", "5", "--seq-compare", "byte"] + QUIET)
    r0 = c.ask(bpoll(5, 0x00))
    r1 = c.ask(bpoll(5, 0x01))
    tap.ok(Reply(r0).seq == 0x00 and Reply(r1).seq == 0x01,
           "--seq-compare byte: SEQ 01 after 00 is new")
    c.close()
    sim.stop()


def t_pacing(tap):
    sim, c = start(["--pty", "--ied", "7:6,1,100", "--baud", "9600", "--to1", "30000"] + QUIET)
    tc = 10 / 9600
    total, nbytes, seq = 0.0, 0, 0x80
    for _ in range(5):
        # Time the reply itself, first byte to last, with raw reads (no framing overhead).
        c.send(bpoll(7, seq))
        got, first = b"", None
        while len(got) < 220 and select.select([c.fd], [], [], 2)[0]:
            got += os.read(c.fd, 4096)
            first = first or time.monotonic()
        total += time.monotonic() - first
        nbytes += len(got)
        seq ^= 0x80
    want = nbytes * tc
    tap.ok(nbytes == 1100 and 0.8 * want <= total <= 1.6 * want,
           "pacing: %d bytes at 9600 baud took %.2f s (line time %.2f s)" % (nbytes, total, want))
    p = bpoll(7, seq)
    c.send(p[:3])
    time.sleep(0.005)
    c.send(p[3:])
    tap.ok(c.frame(1) is not None, "--to1 30000: a 5 ms gap inside a frame is tolerated")
    seq ^= 0x80
    p = bpoll(7, seq)
    c.send(p[:3])
    time.sleep(0.1)
    c.send(p[3:])
    tap.ok(c.frame(0.5) is None, "--to1 30000: a 100 ms gap drops the partial frame")
    c.close()
    sim.stop()


def t_bus_faults(tap):
    sim, c = start(["--pty", "--ied", "5", "--ied", "6", "--echo", "--silence", "6"] + QUIET)
    req = bpoll(5, 0x80)
    c.send(req)
    first, second = c.frame(1), c.frame(1)
    tap.ok(first == req and second is not None and Reply(second).src == 5,
           "--echo: the request comes back first, then the reply")
    c.send(bpoll(6, 0x80))
    tap.ok(c.frame(0.5) == bpoll(6, 0x80) and c.frame(0.3) is None, "--silence 6: IED 06 never answers")
    c.close()
    sim.stop()
    sim, c = start(["--pty", "--ied", "5", "--bad-bcc", "0.5", "--noise", "0.5", "--wrong-addr", "0.2"] + QUIET)
    bad = wrong = good = 0
    seq = 0x80
    for _ in range(40):
        c.send(bpoll(5, seq))
        f = c.frame(1)
        seq ^= 0x80
        if f is None:
            continue
        if not verify(f):
            bad += 1
        elif Reply(f).src != 5:
            wrong += 1
        else:
            good += 1
    tap.ok(3 <= wrong <= 15 and 8 <= bad <= 30 and good >= 5,
           "--wrong-addr 0.2 / --bad-bcc 0.5 / --noise 0.5: faults at about their rates (%d wrong SRC, %d bad BCC, %d good)"
           % (wrong, bad, good))
    c.close()
    sim.stop()


def t_wrong_seq(tap):
    sim, c = start(["--pty", "--ied", "5", "--wrong-seq", "1"] + QUIET)
    f = c.ask(bpoll(5, 0x80))
    tap.ok(f is not None and verify(f) and Reply(f).seq == 0x00, "--wrong-seq 1: SEQ bit 7 flipped, BCC valid")
    c.close()
    sim.stop()


def t_bus_garbage(tap):
    sim, c = start(["--pty", "--ied", "5", "--baud", "115200"] + QUIET)
    rnd = __import__("random").Random(4)
    for _ in range(20):
        c.send(bytes(rnd.randrange(256) for _ in range(500)))
        time.sleep(0.002)
    c.send(b"\xfe\xfd" + b"\x01" * 50)
    time.sleep(0.05)
    c.drain(0.2)
    f = c.ask(bpoll(5, 0x80), 1)
    while f is not None and f[3] != 5:
        f = c.frame(0.5)
    tap.ok(f is not None and verify(f) and sim.alive(), "10 KB of garbage and a stalled frame on the line: still answering")
    c.close()
    tap.ok(sim.stop() == 0, "garbage: clean exit")


def t_socket(tap):
    path = free_tmp("bus.sock")
    sim = Sim(["bus", "--socket", path, "--ied", "5"] + QUIET)
    tap.ok(sim.first == ["socket", path], "--socket prints 'socket PATH' first")
    c = Link.unix(path)
    a = c.ask(bpoll(5, 0x80))
    c.close()
    time.sleep(0.1)
    c = Link.unix(path)
    b = c.ask(bpoll(5, 0x80))
    tap.ok(a is not None and a == b, "--socket: accepts a reconnect; the IED state survives it")
    c.close()
    tap.ok(sim.stop(signal.SIGINT) == 0 and not os.path.exists(path),
           "--socket: clean exit on SIGINT removes the socket")


def main():
    tap = Tap()
    for t in (t_basic, t_seq_byte, t_pacing, t_bus_faults, t_wrong_seq, t_bus_garbage, t_socket):
        tap.run(t)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
