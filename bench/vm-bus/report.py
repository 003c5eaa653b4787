#!/usr/bin/env python3
"""Report of the vm-bus benchmark from smve-sim's --timing-log (JSON lines).

The guest announces each phase with a marker frame (DST 0x3E, CMD 0x7E, SEQ = phase) that the
simulator logs as a request; phases 1..6 are: kernel master idle, kernel master with a CPU hog,
userspace poller idle, userspace poller with a CPU hog, then both under the hog at SCHED_FIFO 50;
marker 7 ends the run.  For each phase it prints, as measured at
the simulator:
  turnaround  time from the end of its last reply byte to the first byte of the next request
  cycle       one polling round of all IEDs (the simulator's "cycle" lines)
  wire        the wire-time limit of that round: every byte exchanged in it at the character time
and the ratios userspace/kernel.  No absolute bound is asserted.
"""
import argparse
import json
import sys

MARKER_DST, MARKER_CMD = 0x3E, 0x7E
PHASES = {1: "kernel master, idle", 2: "kernel master, CPU hog",
          3: "userspace poller, idle", 4: "userspace poller, CPU hog",
          5: "kernel, hog, SCHED_FIFO", 6: "userspace, hog, SCHED_FIFO"}
LAST = max(PHASES)


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("timing_log")
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--bits", type=int, default=10)
    a = ap.parse_args()
    tc_us = a.bits * 1e6 / a.baud
    rows = []
    with open(a.timing_log, encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except ValueError:
                print("vm-bus: malformed timing line ignored: %r" % line[:80], file=sys.stderr)

    bounds = {}
    for r in rows:
        if r.get("ev") == "req" and r.get("dst") == MARKER_DST and r.get("cmd") == MARKER_CMD:
            bounds[r["seq"]] = r["t"]
    missing = [p for p in range(1, LAST + 2) if p not in bounds]
    if missing:
        print("vm-bus: phase markers %s missing from the timing log: the run did not complete" % missing)
        return 1

    res = {}
    for p in range(1, LAST + 1):
        t0, t1 = bounds[p], bounds[p + 1]
        win = [r for r in rows if t0 < r.get("t", 0) < t1]
        turn = [r["turnaround_us"] for r in win if r.get("ev") == "req" and r.get("dst") not in
                (MARKER_DST, 255) and r.get("turnaround_us") is not None]
        frames = [r for r in win if r.get("ev") in ("req", "reply")]
        cycles, wires = [], []
        for c in (r for r in win if r.get("ev") == "cycle"):
            start, end = c["t"], c["t"] + c["dur_us"] * 1000
            nbytes = sum(r.get("len", 0) for r in frames if start <= r["t"] < end)
            cycles.append(c["dur_us"])
            wires.append(nbytes * tc_us)
        ratio = [c / w for c, w in zip(cycles, wires) if w > 0]
        secs = (t1 - t0) / 1e9
        polls = sum(1 for r in win if r.get("ev") == "req" and r.get("cmd") == 0x10)
        replies = sum(1 for r in win if r.get("ev") == "reply")
        res[p] = (turn, cycles, wires, ratio, polls / secs, replies / secs)

    print()
    print("vm-bus: 8 IEDs at %d baud, Tc = %.1f us; measured at the simulator" % (a.baud, tc_us))
    print("%-26s %6s %7s %9s  %-26s %-26s %9s %9s" % ("phase", "n", "polls/s", "replies/s",
                                                       "turnaround us p50/p99/max",
                                                       "cycle ms p50/p99/max", "wire ms", "cyc/wire"))
    for p in range(1, LAST + 1):
        turn, cycles, wires, ratio, pps, rps = res[p]
        print("%-26s %6d %7.1f %9.1f  %-26s %-26s %9.2f %9.2f" % (
            PHASES[p], len(turn), pps, rps,
            "%.0f/%.0f/%.0f" % (pct(turn, 50), pct(turn, 99), max(turn) if turn else float("nan")),
            "%.2f/%.2f/%.2f" % (pct(cycles, 50) / 1000, pct(cycles, 99) / 1000,
                                (max(cycles) if cycles else float("nan")) / 1000),
            pct(wires, 50) / 1000, pct(ratio, 50)))
    print()
    print("ratios userspace / kernel (same load):")
    for load, k, u in (("idle", 1, 3), ("CPU hog", 2, 4), ("hog+FIFO", 5, 6)):
        tk, ck = res[k][0], res[k][1]
        tu, cu = res[u][0], res[u][1]
        print("  %-8s turnaround p50 x%.2f  p99 x%.2f   cycle p50 x%.2f  p99 x%.2f   "
              "polls/s kernel/userspace x%.2f" % (
                  load, pct(tu, 50) / pct(tk, 50), pct(tu, 99) / pct(tk, 99),
                  pct(cu, 50) / pct(ck, 50), pct(cu, 99) / pct(ck, 99),
                  res[k][4] / res[u][4] if res[u][4] else float("nan")))
    print("  (a simulator 'cycle' ends when an address is polled again, so a resend cuts it short;")
    print("   polls/s counts every 0x10 request, resends included)")
    print("  (the guard time, 5 Tc = %.0f us, is the turnaround both masters aim for; TO2 = 5 Tc is "
          "the simulated IEDs' own reply delay)" % (5 * tc_us))
    return 0


if __name__ == "__main__":
    sys.exit(main())
