#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Integration tests of `smve-sim concentrator` over loopback TCP."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import (Link, Reply, Sim, Tap, build, control, event_fields,  # noqa: E402
                    free_tmp, peh, poll, read_events, run_sim, verify)

L3 = "1:6,3,4 2:6,1,2 3:6,1,2"
QUIET = ["--event-rate", "0", "--comsys-every", "0"]


def start(extra, layout=L3):
    args = ["concentrator", "--listen", "127.0.0.1:0", "--seed", "7"]
    if layout:
        args += ["--layout", layout]
    return Sim(args + extra)


def stop(tap, sim, name):
    rc = sim.stop()
    tap.ok(rc == 0, "%s: clean exit on SIGTERM" % name, "status %s\n%s" % (rc, sim.log()[-2000:]))


def t_usage(tap):
    rc, out, _ = run_sim(["--help"])
    opts = ["--listen", "--layout", "--replay", "--replay-end", "--seed", "--events-log",
            "--reset-on-connect", "--drop", "--corrupt", "--split", "--delay", "--disconnect",
            "--time-scale", "--event-rate", "--event-bits", "--burst-every", "--burst-size", "--broadcast-seq",
            "--pty", "--socket", "--baud", "--bits", "--ied", "--seq-compare", "--silence",
            "--noise", "--bad-bcc", "--wrong-addr", "--wrong-seq", "--echo", "--timing-log"]
    missing = [o for o in opts if o not in out]
    tap.ok(rc == 0 and not missing, "--help exits 0 and documents every option", missing)
    lst = ["concentrator", "--listen", "127.0.0.1:0"]
    bad = [
        ([], "mode is required"),
        (["frobnicate"], "unknown mode"),
        (lst, "--layout is required"),
        (lst + ["--layout", "1:6,3"], "invalid layout"),
        (lst + ["--layout", "1:6,3,4 1:6,1,2"], "invalid layout"),
        (lst + ["--layout", "1:200,20,20"], "payload bytes"),
        (["concentrator", "--listen", "nowhere", "--layout", L3], "not ADDR:PORT"),
        (lst + ["--layout", L3, "--drop", "1.5"], "--drop"),
        (lst + ["--layout", L3, "--delay", "x"], "--delay"),
        (lst + ["--layout", L3, "--echo"], "unrecognized option"),
        (lst + ["--layout", L3, "--start", "2014-02-30T00:00:00"], "--start"),
        (lst + ["--layout", L3, "--broadcast-seq", "bb"], "--broadcast-seq"),
        (lst + ["--replay", "/nonexistent/replay.txt"], "cannot open replay file"),
        (["bus", "--pty"], "--ied"),
        (["bus", "--pty", "--socket", "/tmp/x", "--ied", "5"], "exactly one"),
        (["bus", "--pty", "--ied", "5:6,1"], "invalid layout"),
        (["bus", "--pty", "--ied", "5", "--ied", "5"], "given twice"),
        (["bus", "--pty", "--ied", "1"], "outside 2..254"),
        (["bus", "--pty", "--ied", "5", "--seq-compare", "nibble"], "bit7 or byte"),
        (["bus", "--pty", "--ied", "5", "--split"], "unrecognized option"),
        (["bus", "--pty", "--ied", "5", "--baud", "0"], "--baud"),
    ]
    for args, want in bad:
        rc, _, err = run_sim(args)
        tap.ok(rc == 2 and want in err, "usage error exits 2 naming the problem: %s" % " ".join(args),
               "status %d, stderr: %s" % (rc, err))


def t_poll(tap):
    sim = start(QUIET)
    c = Link.tcp(sim.addr())
    f = c.ask(poll(0x20))
    r = Reply(f)
    tap.ok(verify(f) and (r.dst, r.src, r.seq, r.cmd) == (0x40, 0x01, 0x20, 0x10),
           "0x10 reply verifies and answers DST 40 from 01 with the request's SEQ", f.hex())
    tap.ok((len(r.sv), len(r.di), len(r.ai), len(r.events)) == (18, 5, 8, 0),
           "sections match the layout 1:6,3,4 2:6,1,2 3:6,1,2", (len(r.sv), len(r.di), len(r.ai)))
    tap.ok(r.sv[0] & 0x40 == 0 and r.sv[6] == 0x44 and r.sv[12] == 0x44,
           "COMaster group without PEH flag, meters running (44)", r.sv.hex())
    tap.ok(all(3000 <= w <= 3500 for w in r.ai[:4]) and all(w >> 14 in (0, 1) for w in r.ai),
           "bus voltages 3000..3500 raw, meter AIs with q 0/1", r.ai)
    c.send(poll(0x21, dst=0x02))
    tap.ok(c.frame(0.3) is None, "a frame for another address is not answered")
    bad = bytearray(poll(0x22))
    bad[-1] ^= 1
    c.send(bad)
    tap.ok(c.frame(0.3) is None, "a frame with a bad BCC is not answered")
    f2 = c.ask(poll(0x21))
    tap.ok(f2 is not None and Reply(f2).seq == 0x21, "still answering afterwards")
    c.close()
    stop(tap, sim, "poll")


def t_retry_ack(tap):
    log = free_tmp("sim-retry.jsonl")
    sim = start(["--event-rate", "60", "--comsys-every", "0", "--events-log", log])
    time.sleep(0.6)
    c = Link.tcp(sim.addr())
    f1 = c.ask(poll(0x30))
    r1 = Reply(f1)
    ev1 = read_events(log)
    outs = [e for e in ev1 if e["t"] == "out" and e["seq"] == 0x30]
    tap.ok(len(r1.events) == 19 and len(f1) == 246,
           "a full queue fills the reply with the 19 events that fit in 253 bytes",
           "%d events, %d bytes" % (len(r1.events), len(f1)))
    tap.ok([bytes.fromhex(e["raw"]) for e in outs] == r1.events,
           "events log: one 'out' line per event handed out, raw bytes as sent")
    f2 = c.ask(poll(0x30))
    tap.ok(f2 == f1, "same SEQ: the stored reply byte for byte")
    tap.ok(len(read_events(log)) == len(ev1), "same SEQ: no event handed out or acknowledged")
    f3 = c.ask(poll(0x31))
    r3 = Reply(f3)
    ev3 = read_events(log)
    acks = [e["id"] for e in ev3 if e["t"] == "ack" and e["seq"] == 0x31]
    tap.ok(r3.seq == 0x31 and acks == [e["id"] for e in outs],
           "new SEQ: the previous reply's events are acknowledged, in order", (acks, outs))
    tap.ok(not set(bytes(e) for e in r3.events) & set(bytes(e) for e in r1.events) or
           len(r3.events) == 0, "new SEQ: the next events, none repeated")
    ids = [e["id"] for e in ev3 if e["t"] == "out"]
    tap.ok(len(ids) == len(set(ids)), "event ids are unique")
    c.close()
    stop(tap, sim, "retry")


def t_bugpeh(tap):
    for mode, same in (("store", True), ("aa", False), ("none", False)):
        sim = start(["--event-rate", "60", "--comsys-every", "0", "--broadcast-seq", mode])
        time.sleep(0.3)
        c = Link.tcp(sim.addr())
        a = c.ask(poll(0x7A))
        c.send(peh(0x7B, 2014, 2, 6, 19, 35, 27, dow=4))
        quiet = c.frame(0.3) is None
        b = c.ask(poll(0x7B))
        if same:
            tap.ok(quiet and b == a,
                   "BugPeH (--broadcast-seq store): poll 7A, PEH SEQ 7B, poll 7B -> the 7A reply again")
        else:
            tap.ok(quiet and b != a and Reply(b).seq == 0x7B,
                   "--broadcast-seq %s: poll 7B after a PEH with SEQ 7B is new" % mode)
        if mode == "store":
            c.send(peh(0xBB, 2014, 2, 6, 19, 36, 0, dow=4))
            d = c.ask(poll(0x7C))
            tap.ok(Reply(d).seq == 0x7C and d != b, "PEH with SEQ BB: the next poll is new (the 2014 fix)")
        c.close()
        stop(tap, sim, "broadcast-seq " + mode)


def t_peh_clock(tap):
    log = free_tmp("sim-peh.jsonl")
    sim = start(["--event-rate", "40", "--comsys-every", "0", "--start", "2012-01-01T00:00:00",
                 "--events-log", log])
    c = Link.tcp(sim.addr())
    time.sleep(0.3)
    r = Reply(c.ask(poll(0x20)))
    tap.ok(r.sv[0] & 0x40 == 0 and all(event_fields(e)["date"][0] == 2012 for e in r.events),
           "before PEH: no PEH flag, events stamped with the boot clock (2012)")
    c.send(peh(0xBB, 2014, 2, 6, 19, 35, 27, frac=0x4000, dow=4))
    time.sleep(0.6)
    seq, got = 0x21, []
    for _ in range(8):
        rr = Reply(c.ask(poll(seq)))
        got += [event_fields(e) for e in rr.events]
        seq += 1
    new = [e for e in got if e["date"][0] == 2014]
    tap.ok(rr.sv[0] & 0x40, "after PEH: the COMaster group shows PEH received (bit 6)")
    tap.ok(new and all(e["date"] == (2014, 2, 6, 19, 35) and 27 <= e["second"] <= 40 for e in new),
           "after PEH: new events follow the PEH clock (2014-02-06 19:35:27.5 + elapsed)",
           [e["date"] + (e.get("second"),) for e in new[:5]])
    tap.ok(all(e["frac"] & 0xFF == 0 and e["frac"] < 32768 for e in got),
           "event fractions move in 1/128 s steps (low byte 00, §5.11)")
    c.close()
    stop(tap, sim, "peh")


def t_control(tap):
    log = free_tmp("sim-ctl.jsonl")
    sim = start(QUIET + ["--events-log", log])
    c = Link.tcp(sim.addr())
    c.ask(control(0x40, 0, 3, 0))
    f = c.ask(control(0x41, 0, 3, 1))
    tap.ok(f == build(0x40, 0x01, 0x41, 0x13, bytes([0, 3, 1])), "0x13 executed: echo of port, bit, state",
           f.hex() if f else None)
    r = Reply(c.ask(poll(0x42)))
    tap.ok(r.di[0] & 8, "0x13 feedback: DI word 0 bit 3 of address 1 is now 1", hex(r.di[0]))
    evs = [event_fields(e) for e in r.events]
    tap.ok({"type": 0, "addr": 1, "port": 0, "bit": 3, "status": 1}.items() <= evs[-1].items()
           if evs else False, "0x13 emits the DIGITAL event of the feedback DI", evs)
    c.ask(control(0x43, 0, 3, 0))
    r = Reply(c.ask(poll(0x44)))
    tap.ok(not r.di[0] & 8, "0x13 state 0: the DI bit clears")
    for seq, (port, bit, state) in zip((0x45, 0x46, 0x47), ((7, 0, 1), (0, 16, 1), (0, 3, 2))):
        f = c.ask(control(seq, port, bit, state))
        tap.ok(f == build(0x40, 0x01, seq, 0x13, bytes([port, 0xFF, state])),
               "0x13 port %d bit %d state %d does not exist: Bit = FF" % (port, bit, state))
    a = c.ask(control(0x48, 1, 5, 1))
    b = c.ask(control(0x48, 1, 5, 0))
    tap.ok(a == b and a[7] == 5, "0x13 repeated with the same SEQ: the stored echo, not executed again")
    r = Reply(c.ask(poll(0x49)))
    tap.ok(r.di[1] & 0x20, "0x13 retry did not execute the second state", hex(r.di[1]))
    c.close()
    stop(tap, sim, "control")


def collect(c, seconds, seq=0x20, period=0.15):
    """Poll with new SEQs for @seconds; returns (replies, next seq)."""
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(Reply(c.ask(poll(seq))))
        seq = 0x20 + (seq - 0x1F) % 0x60
        time.sleep(period)
    return out, seq


def t_energy(tap):
    sim = start(QUIET + ["--start", "2014-01-13T23:43:00", "--time-scale", "600"])
    c = Link.tcp(sim.addr())
    reps, seq = collect(c, 3.6)
    evs = [event_fields(e) for r in reps for e in r.events]
    en = [e for e in evs if e["type"] == 1]
    keys = {(e["code"], e["date"][3:], e["addr"], e["channel"]) for e in en}
    want = {(code, hm, a, ch) for (code, hm) in ((0, (23, 45)), (1, (23, 59)), (3, (23, 59)), (0, (0, 15)))
            for a in (2, 3) for ch in (0, 1)}
    tap.ok(want <= keys, "ENERGY per meter and channel: 23:45 code 0, 23:59 codes 1 and 3, 00:15 code 0",
           sorted(want - keys))
    tap.ok(not [e for e in en if e["date"][3:] == (0, 0)] and not [e for e in en if e["addr"] == 1],
           "no record stamped 00:00, none for the COMaster's own group")
    ok = True
    for a in (2, 3):
        for ch in (0, 1):
            day = [e for e in en if e["addr"] == a and e["channel"] == ch and e["date"][2] == 13]
            parts = sum(e["value"] for e in day if e["code"] in (0, 1))
            total = [e["value"] for e in day if e["code"] == 3]
            ok = ok and total == [parts] and all(0 < e["value"] < 5000 for e in day if e["code"] != 3)
    tap.ok(ok, "24-hour total = sum of the day's intervals; interval values plausible (§5.8 byte order)")
    tap.ok(all(r.sv[6] & 0x10 == 0 for r in reps), "no IED loss with --comsys-every 0")
    c.close()
    stop(tap, sim, "energy")


def t_comsys(tap):
    sim = start(["--event-rate", "0", "--comsys-every", "0.05", "--time-scale", "60"])
    c = Link.tcp(sim.addr())
    reps, _ = collect(c, 2.5, period=0.05)
    lost, consistent, flagged = set(), True, False
    for r in reps:
        for e in map(event_fields, r.events):
            if e["type"] == 3 and e["code"] == 2 and e["motive"] == 0:
                lost.add(e["addr"])
        for i, a in enumerate((2, 3)):
            if r.sv[6 * (i + 1)] & 0x10:
                flagged = True
                consistent = consistent and a in lost
    tap.ok(lost and flagged, "IED losses: COMSYS code 2 motive 0 events and SV bit 4 set", lost)
    tap.ok(consistent, "SV bit 4 only on IEDs whose loss was reported")
    # Meter i's AIs are words 4 + 2i, 5 + 2i (after the COMaster's 4).
    frozen = [(a.ai[4 + 2 * i:6 + 2 * i] == b.ai[4 + 2 * i:6 + 2 * i])
              for a, b in zip(reps, reps[1:]) for i in range(2)
              if a.sv[6 * (i + 1)] & 0x10 and b.sv[6 * (i + 1)] & 0x10]
    tap.ok(frozen and all(frozen), "a lost IED's AI words stay as last received", len(frozen))
    c.close()
    stop(tap, sim, "comsys")


def t_burst(tap):
    sim = start(QUIET + ["--burst-every", "0.5", "--burst-size", "30", "--start", "2014-01-13T10:00:00"])
    c = Link.tcp(sim.addr())
    time.sleep(1.7)  # the first trip starts after 0.5 s and lasts a second
    evs, seq = [], 0x20
    for _ in range(4):
        evs += [event_fields(e) for e in Reply(c.ask(poll(seq))).events]
        seq += 1
    trip = [e for e in evs if e["type"] == 0 and e["addr"] == 1]
    secs = {e["date"] + (e["second"],) for e in trip[:30]}
    stamps = [e["date"] + (e["second"], e["frac"]) for e in trip[:30]]
    span = (stamps[-1][5] * 32768 + stamps[-1][6] - stamps[0][5] * 32768 - stamps[0][6]) / 32768 \
        if len(trip) >= 30 else None
    tap.ok(len(trip) >= 30 and span is not None and span < 1.0 and stamps == sorted(stamps),
           "--burst-every/--burst-size: a trip of 30 COMaster contacts within one second, in time order",
           (len(trip), secs, span))
    c.close()
    sim.stop()


def t_event_bits(tap):
    sim = start(["--event-rate", "80", "--comsys-every", "0", "--event-bits", "2:0:0x0005",
                 "--event-bits", "1:1:0x8000"])
    c = Link.tcp(sim.addr())
    time.sleep(0.6)
    evs, _ = collect(c, 1.0)
    digital = [event_fields(e) for r in evs for e in r.events]
    digital = [e for e in digital if e["type"] == 0]
    seen = {(e["addr"], e["port"], e["bit"]) for e in digital}
    tap.ok(len(digital) >= 10 and seen <= {(2, 0, 0), (2, 0, 2), (1, 1, 15)},
           "--event-bits: random DI changes only flip the listed bits", (len(digital), sorted(seen)))
    c.close()
    sim.stop()
    rc, _, err = run_sim(["concentrator", "--listen", "127.0.0.1:0", "--layout", L3,
                          "--event-bits", "1:9:1"])
    tap.ok(rc == 2 and "--event-bits" in err, "--event-bits: a bad entry is refused with exit 2", err)


def t_ai(tap):
    # Word 0 of IED 1 walks in 1742..1850; word 1 of IED 2 (a meter, AI array word 5) takes 100,
    # 4000, 7 for 0.25 simulated s each: at --time-scale 4, five cycles in the 1.5 s of polling.
    sim = start(QUIET + ["--ai", "1:0:1742-1850", "--ai-steps", "2:1:100,4000,7:0.25",
                         "--time-scale", "4"])
    c = Link.tcp(sim.addr())
    walk, steps, seq, end = [], set(), 0x20, time.monotonic() + 1.5
    while time.monotonic() < end:
        r = Reply(c.ask(poll(seq)))
        walk.append(r.ai[0])
        steps.add(r.ai[5])
        seq = 0x20 + (seq - 0x1F) % 0x60
        time.sleep(0.02)
    tap.ok(len(walk) > 20 and all(1742 <= w <= 1850 for w in walk) and len(set(walk)) > 3,
           "--ai: the word walks within its raw range (%d..%d over %d polls)"
           % (min(walk), max(walk), len(walk)), walk[:20])
    tap.ok(steps == {100, 4000, 7}, "--ai-steps: the word takes exactly the listed values, q 0",
           sorted(steps))
    tap.ok(all(3000 <= w <= 3500 for w in r.ai[1:4]), "the other bus words keep the default model",
           r.ai[:4])
    c.close()
    stop(tap, sim, "ai")
    for bad in (["--ai", "3:2:1-5"], ["--ai", "1:0:50-10"], ["--ai-steps", "1:0:1,5000:1"],
                ["--ai-steps", "1:0:1,2"]):
        rc, _, err = run_sim(["concentrator", "--listen", "127.0.0.1:0", "--layout", L3] + bad)
        tap.ok(rc == 2 and "--ai" in err, "%s %s is refused with exit 2" % tuple(bad), err)


def first_events(seed, n=40):
    sim = start(["--event-rate", "80", "--comsys-every", "0", "--seed", str(seed),
                 "--start", "2014-01-13T10:00:00", "--time-scale", "4"])
    c = Link.tcp(sim.addr())
    evs, seq, end = [], 0x20, time.monotonic() + 5
    while len(evs) < n and time.monotonic() < end:
        evs += Reply(c.ask(poll(seq))).events
        seq += 1
        time.sleep(0.05)
    c.close()
    sim.stop()
    return evs[:n]


def t_seed(tap):
    a, b, other = first_events(9), first_events(9), first_events(10)
    tap.ok(len(a) == 40 and a == b, "--seed: the same seed gives the same events (timestamps included)")
    tap.ok(a != other, "--seed: another seed gives other events")


def main():
    tap = Tap()
    for t in (t_usage, t_poll, t_retry_ack, t_bugpeh, t_peh_clock, t_control, t_energy, t_comsys,
              t_burst, t_event_bits, t_ai, t_seed):
        tap.run(t)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
