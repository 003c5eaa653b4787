#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Integration tests of `smve-sim concentrator --replay`."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import Link, Reply, Sim, Tap, bcc, build, free_tmp, poll, read_events, run_sim  # noqa: E402

CAPTURE = os.path.join(
    os.environ.get("SMVE_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared")),
    "data", "tramas140114.txt")
L2 = "1:6,3,4 2:6,1,2"


def energy(addr, ch, hh, mm, value):
    return bytes([0x40 | addr, ch, 14, 1, 13, hh, mm, value >> 16, value & 0xFF, (value >> 8) & 0xFF])


def fixture_frames():
    """Three recorded replies of a COMaster with layout 1:6,3,4 2:6,1,2, with 0, 1 and 2 events,
    recorded with SEQs and addresses the simulator must rewrite."""
    frames = []
    for k in range(3):
        sv = bytes([0x47, 0, 0, k, 1, 1, 0x44, 14, 2, 0, 0x94, 2])
        di = bytes([0x14, 0x55, 0, k, 0xFF, 0, 0x04, 0x06])
        ai = bytes([0xD2, 0x0D, 0xD0, 0x0D, 0xD4, 0x0D, 0x20, 0x0C, 0x57, 0x01 + k, 0x00, 0x40])
        evs = b"".join(energy(2, ch, 16, 15 * k, 1475 + 10 * k + ch) for ch in range(k))
        payload = (bytes([1 + len(sv)]) + sv + bytes([1 + len(di)]) + di + bytes([1 + len(ai)]) + ai
                   + bytes([1 + len(evs)]) + evs)
        frames.append(build(0x40, 0x01, 0x90 + k, 0x10, payload))
    return frames


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def rewritten(frame, seq):
    f = bytearray(frame)
    f[2], f[3], f[4] = 0x40, 0x01, seq
    f[-2:] = bcc(bytes(f[:-2]))
    return bytes(f)


def t_fixture(tap):
    frames = fixture_frames()
    path = write_lines(free_tmp("sim-replay.txt"), ["# recorded replies", ""] +
                       [" ".join("%02X" % b for b in frames[0]), frames[1].hex(), frames[2].hex().upper()])
    log = free_tmp("sim-replay.jsonl")
    sim = Sim(["concentrator", "--listen", "127.0.0.1:0", "--replay", path, "--layout", L2,
               "--events-log", log, "--name", 'E4 "north"\\1'])
    c = Link.tcp(sim.addr())
    got = [c.ask(poll(s)) for s in (0x20, 0x20, 0x21, 0x22, 0x23)]
    tap.ok(got[0] == rewritten(frames[0], 0x20), "replay: first frame with DST, SRC, SEQ and BCC rewritten")
    tap.ok(got[1] == got[0], "replay: same SEQ gets the retry buffer, the file does not advance")
    tap.ok(got[2] == rewritten(frames[1], 0x21) and got[3] == rewritten(frames[2], 0x22),
           "replay: frames served in order")
    tap.ok(got[4] == rewritten(frames[0], 0x23), "replay: loops at the end by default")
    ev = read_events(log)
    outs = [e for e in ev if e["t"] == "out"]
    acks = [e for e in ev if e["t"] == "ack"]
    tap.ok(len(outs) == 3 and [e["seq"] for e in acks] == [0x22, 0x23, 0x23]
           and [e["id"] for e in acks] == [e["id"] for e in outs] and Reply(got[3]).events == [bytes.fromhex(e["raw"]) for e in outs[1:]],
           "replay: replayed events are logged out and acknowledged by the next SEQ", ev)
    tap.ok(ev and all(e["src"] == 'E4 "north"\\1' for e in ev), "events log: --name escaped as a JSON string")
    c.close()
    tap.ok(sim.stop() == 0, "replay: clean exit")

    sim = Sim(["concentrator", "--listen", "127.0.0.1:0", "--replay", path, "--replay-end", "stop"])
    c = Link.tcp(sim.addr())
    for s in (0x30, 0x31, 0x32):
        c.ask(poll(s))
    tap.ok(c.ask(poll(0x33), 0.4) is None, "--replay-end stop: no answer once the file is exhausted")
    tap.ok(c.ask(poll(0x32)) == rewritten(frames[2], 0x32), "--replay-end stop: retries are still answered")
    tap.ok(c.ask(build(0x01, 0x40, 0x34, 0x13, bytes([0, 1, 1])))[7] == 0xFF, "replay: 0x13 is refused")
    c.close()
    sim.stop()

    bad = bytearray(frames[1])
    bad[-1] ^= 1
    for lines, want, name in (
            ([frames[0].hex(), bytes(bad).hex()], ":2: invalid frame", "a bad BCC"),
            ([frames[0].hex(), "FE 08 zz"], ":2: not a hex byte", "a non-hex line"),
            ([build(0x40, 0x01, 1, 0x13, b"\0\1\1").hex()], "not a 0x10 reply", "another command"),
            ([frames[0].hex() + "00"], "invalid frame", "trailing bytes"),
            (["# nothing"], "no frames", "an empty file")):
        p = write_lines(free_tmp("sim-bad.txt"), lines)
        rc, _, err = run_sim(["concentrator", "--listen", "127.0.0.1:0", "--replay", p])
        tap.ok(rc == 2 and want in err, "replay file with %s is refused with its line" % name, err)
    p = write_lines(free_tmp("sim-bad.txt"), [frames[0].hex()])
    rc, _, err = run_sim(["concentrator", "--listen", "127.0.0.1:0", "--replay", p, "--layout", "1:6,3,4"])
    tap.ok(rc == 2 and "do not match the layout" in err, "replay frames must match --layout", err)


def t_capture(tap):
    if not os.path.exists(CAPTURE):
        tap.skip("replay of the production capture", "%s is absent" % CAPTURE)
        return
    layout = "1:6,3,4 " + " ".join("%d:6,1,2" % a for a in range(2, 12))
    lines = [bytes.fromhex(l) for l in open(CAPTURE) if l.strip()]
    log = free_tmp("sim-capture.jsonl")
    sim = Sim(["concentrator", "--listen", "127.0.0.1:0", "--replay", CAPTURE, "--layout", layout,
               "--replay-end", "stop", "--events-log", log])
    c = Link.tcp(sim.addr())
    same, seq, nev = True, 0x20, 0
    for frame in lines:
        r = c.ask(poll(seq))
        same = same and r == rewritten(frame, seq)
        nev += len(Reply(r).events)
        seq = 0x20 + (seq - 0x1F) % 0x60
    c.ask(poll(seq), 0.3)
    ev = read_events(log)
    tap.ok(same and len(lines) == 199, "capture: all 199 frames served in order, rewritten to our SEQs")
    tap.ok(nev == 1989 and sum(e["t"] == "ack" for e in ev) == 1989 - len(Reply(rewritten(lines[-1], 0)).events),
           "capture: 1989 events handed out, all but the last frame's acknowledged", nev)
    c.close()
    tap.ok(sim.stop() == 0, "capture: clean exit")


def main():
    tap = Tap()
    for t in (t_fixture, t_capture):
        tap.run(t)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
