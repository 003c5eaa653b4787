#!/usr/bin/env python3
"""Real data end to end: nguru's E4 sheets and the January 2014 capture.

smve-sim replays the 199 captured replies (11 IEDs); smved is configured
from the sheets alone (comaster_id 4, layout taken from ied.csv: 12 IEDs).
The shorter replies must be reported as a layout mismatch while the 11
IEDs present are bound; energy records must land on the sheet's tags.
Skips when shared/data is absent.  Prints TAP; exit status 0 when all pass.

usage: replay_e4.py SMVED SMVE_SIM
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


def main():
    smved, simbin = sys.argv[1], sys.argv[2]
    top = os.environ.get("SMVE_TOP", os.path.dirname(os.path.abspath(__file__)) + "/../../..")
    shared = os.environ.get("SMVE_SHARED", os.path.join(top, "..", "shared"))
    data = os.path.join(shared, "data")
    if not os.path.exists(os.path.join(data, "e4", "ied.csv")) or \
       not os.path.exists(os.path.join(data, "tramas140114.txt")):
        print("ok 1 - E4 replay # SKIP shared/data not found (set SMVE_SHARED)")
        return 0
    tmp = tempfile.mkdtemp(prefix="smved-e4-")
    sim = subprocess.Popen([simbin, "concentrator", "--listen", "127.0.0.1:0", "--replay",
                            os.path.join(data, "tramas140114.txt"), "--replay-end", "stop"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = sim.stdout.readline().split()[1].rsplit(":", 1)[1]
    conf = os.path.join(tmp, "smved.conf")
    with open(conf, "w") as f:
        f.write("[smved]\nstate_dir = %s/state\nrequire_clock_sync = false\nlisten = 127.0.0.1:%d\n"
                "points = %s/e4\n[concentrator E4]\nhost = 127.0.0.1\nport = %s\ncomaster_id = 4\n"
                "poll_interval_ms = 20\ntimezone = America/Argentina/Buenos_Aires\n"
                % (tmp, P.free_port(), data, port))
    err = open(os.path.join(tmp, "smved.err"), "w")
    d = subprocess.Popen([smved, "-c", conf], stderr=err)
    time.sleep(8)
    d.send_signal(signal.SIGTERM)
    rc = d.wait(timeout=20)
    sim.send_signal(signal.SIGTERM)
    sim.wait(timeout=10)
    db = sqlite3.connect(os.path.join(tmp, "state", "journal.db"))
    n, ok = 0, True

    def q(sql):
        return db.execute(sql).fetchall()

    n += 1
    ok &= P.tap(n, rc == 0, "smved ran on the E4 sheets and stopped cleanly")
    layout = q("SELECT text FROM events WHERE type='layout'")
    n += 1
    ok &= P.tap(n, len(layout) == 1 and "SV 66/72" in layout[0][0],
                "the 11-IED replies are reported once against the sheet's 12 IEDs", [str(layout)])
    energy = q("SELECT count(*), sum(tag != '') FROM events WHERE type='energy'")[0]
    n += 1
    ok &= P.tap(n, energy[0] > 1000 and energy[0] == energy[1],
                "every energy record is bound to a sheet tag (%d of %d)" % (energy[1] or 0, energy[0]))
    sample = q("SELECT tag, device_time, utc_us FROM events WHERE type='energy' AND tag='E41PA_05'"
               " AND device_time='2014-01-13 16:15'")
    n += 1
    ok &= P.tap(n, sample and sample[0][2] == 1389640500000000,
                "16:15 station time (UTC-3) is 19:15 UTC", [str(sample)])
    dups = q("SELECT count(*) FROM (SELECT 1 FROM events WHERE raw IS NOT NULL"
             " GROUP BY source, ied, raw HAVING count(*) > 1)")[0][0]
    n += 1
    ok &= P.tap(n, dups == 0, "no record stored twice (%d)" % dups)
    if ok:
        subprocess.call(["rm", "-rf", tmp])
    else:
        print("# kept", tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
