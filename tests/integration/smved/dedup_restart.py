#!/usr/bin/env python3
"""The duplicate defence of spec §3.6, end to end.

A master that lost its SEQ state may start with the very SEQ the
concentrator holds; the concentrator then resends its retry buffer, whose
events are already in the journal.  Here smved runs against smve-sim
(PEH broadcasts storing their SEQ, as the 2014 firmware did), stops, its
persisted SEQ is rolled back by one so that its next poll repeats the SEQ
the simulator holds, and it runs again.  The replayed events must be
dropped by the journal's duplicate filter: no event twice, none missing.
Prints TAP; exit status 0 when all pass.

usage: dedup_restart.py SMVED SMVE_SIM
"""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proof_sigkill as P  # noqa: E402


def prev_seq(s):
    return 0x7F if s <= 0x20 else s - 1


def main():
    smved, simbin = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="smved-dedup-")
    sim, port, log = P.start_sim(simbin, tmp, 11, ["--event-rate", "200"])
    # No PEH: a broadcast would overwrite the SEQ the simulator holds (which is what §3.3 is about).
    conf = P.write_conf(tmp, port, "peh = false\n")
    err = os.path.join(tmp, "smved.err")
    n, ok = 0, True
    try:
        dbp = os.path.join(tmp, "state", "journal.db")
        # Stop until the last transaction is complete (a stop may fall while a poll is out) and
        # its reply carried events (the simulator's replies come in bursts; an empty one would
        # make the repeat below prove nothing).
        for attempt in range(12):
            d = subprocess.Popen([smved, "-c", conf], stderr=open(err, "a"))
            time.sleep(2 if attempt == 0 else 0.5)
            d.send_signal(signal.SIGTERM)
            d.wait(timeout=20)
            db = sqlite3.connect(dbp)
            seq, complete = db.execute("SELECT seq, complete FROM source_state"
                                       " WHERE key='tcp:E4'").fetchone()
            _, outs = P.read_log(log)
            if complete and any(o["seq"] == seq for o in outs.values()):
                break
            db.close()
        n += 1
        ok &= P.tap(n, complete == 1, "stopped with the last SEQ (%02X) complete" % seq)
        db.execute("UPDATE source_state SET seq=? WHERE key='tcp:E4'", (prev_seq(seq),))
        db.commit()
        db.close()
        d = subprocess.Popen([smved, "-c", conf], stderr=open(err, "a"))
        time.sleep(2)
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=10)
        d.send_signal(signal.SIGTERM)
        d.wait(timeout=20)
    finally:
        if sim.poll() is None:
            sim.kill()
    text = open(err).read()
    n += 1
    ok &= P.tap(n, "dropped as duplicates" in text,
                "the repeated SEQ got the stored reply and its events were dropped as duplicates")
    acks, _ = P.read_log(log)
    db = sqlite3.connect(os.path.join(tmp, "state", "journal.db"))
    rows = db.execute("SELECT ied, lower(hex(raw)), count(*) FROM events WHERE raw IS NOT NULL"
                      " GROUP BY ied, raw").fetchall()
    dup = [r for r in rows if r[2] > 1]
    have = {(r[0], r[1]) for r in rows}
    missing = [a for a in acks if (a["ied"], a["raw"].lower()) not in have]
    n += 1
    ok &= P.tap(n, not dup, "no event stored twice (%d)" % len(dup), [str(r) for r in dup[:10]])
    n += 1
    ok &= P.tap(n, acks and not missing, "all %d acknowledged events stored (%d missing)"
                % (len(acks), len(missing)))
    if ok:
        subprocess.call(["rm", "-rf", tmp])
    else:
        print("# kept", tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
