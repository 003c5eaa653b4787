#!/usr/bin/env python3
"""HTTP-level check of GET /api/v1/history and /api/v1/energy/*: smved on a free port with a
temporary state directory whose journal this test fills (events and history rows written with
sqlite3 while smved is stopped), then the answers compared with values computed here."""
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest  # noqa: E402
from webtest import Tap, Smved, jreq, request  # noqa: E402

MIN = 60 * 1000000
DAY14 = 1389657600 * 1000000  # 2014-01-14 00:00 UTC


def energy_row(ied, day, hh, mm, ch, code, value, src="E4"):
    utc = DAY14 + ((day - 14) * 1440 + hh * 60 + mm) * MIN
    fields = ('{"type":"energy","addr":%d,"code":%d,"channel":%d,"time":"2014-01-%02dT%02d:%02d",'
              '"value":%d}' % (ied, code, ch, day, hh, mm, value))
    return (src, src, ied, "energy", "", "2014-01-%02d %02d:%02d:00.000000" % (day, hh, mm),
            utc, utc, 0, None, value, 0, 0, fields, "")


def fill(db):
    rows = [energy_row(5, 14, 0, 15, 0, 0, 100), energy_row(5, 14, 0, 15, 1, 0, 50),
            energy_row(5, 14, 0, 30, 0, 0, 300), energy_row(5, 14, 0, 30, 1, 0, 40),
            energy_row(5, 14, 23, 59, 0, 1, 200), energy_row(5, 14, 23, 59, 1, 1, 70),
            energy_row(5, 14, 23, 59, 0, 3, 999999)]
    for s in range(96):
        if s != 39:
            m = (s + 1) * 15
            hh, mm = (23, 59) if s == 95 else (m // 60, m % 60)
            rows.append(energy_row(5, 15, hh, mm, 0, 1, 10 + s))
    c = sqlite3.connect(db)
    c.executemany("INSERT INTO events(source, station, ied, type, tag, device_time, utc_us, rx_us,"
                  " bad_time, raw, value, calif, alarm, fields, text) VALUES"
                  " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    # History: a ramp of 10,000 samples one second apart with one spike.
    hist = [("E4.T", DAY14 + i * 1000000, 5000.0 if i == 4321 else float(i % 100), 0, 0)
            for i in range(10000)]
    c.executemany("INSERT INTO history(tag, t_us, value, q, stale) VALUES (?,?,?,?,?)", hist)
    c.commit()
    c.close()


def restart(binary, d):
    """Start again on the same directory and port (the constructor would make a new one)."""
    d2 = Smved.__new__(Smved)
    d2.__dict__.update(d.__dict__)
    d2.log = open(os.path.join(d2.dir, "smved.log"), "a")
    d2.proc = subprocess.Popen([binary, "-c", d2.conf, "-v"], stdout=d2.log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            webtest.connect(d2.port, timeout=0.2).close()
            break
        except OSError:
            if d2.proc.poll() is not None:
                break
            time.sleep(0.05)
    return d2


def with_sheets(binary, label, t):
    """Meters from examples/station (E92PA_01/E92PR_01: IED 2, escala 0.004884..., escE 0.01)."""
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
    station = os.path.abspath(os.path.join(top, "examples", "station"))
    sections = ("[concentrator E9]\nhost = 127.0.0.1\nport = %d\ncomaster_id = 9\n"
                "layout = 1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2 5:6,1,2\n" % webtest.free_port())
    d = Smved(binary, extra="journal_days = 0\nhistory_days = 0\npoints = %s\n" % station,
              sections=sections)
    st = d.stop()
    t.ok(st == 0, "%s: sheets: first start" % label, d.logtext()[-2000:])
    c = sqlite3.connect(os.path.join(d.dir, "state", "journal.db"))
    c.executemany("INSERT INTO events(source, station, ied, type, tag, device_time, utc_us, rx_us,"
                  " bad_time, raw, value, calif, alarm, fields, text) VALUES"
                  " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  [energy_row(2, 14, 0, 15, 0, 0, 1000, "E9"), energy_row(2, 14, 0, 15, 1, 0, 500, "E9")])
    c.commit()
    c.close()
    d2 = restart(binary, d)
    p = d2.port
    try:
        day = "from=%d&to=%d" % (DAY14, DAY14 + 1440 * MIN - 1)
        st, _, j = jreq(p, "GET", "/api/v1/energy/meters")
        tags = sorted(m["tag"] for m in j) if st == 200 else j
        t.ok(st == 200 and "E92PA_01" in tags and "E92PR_01" in tags and "E92VV_00" not in tags,
             "%s: meters are the AIs with an energy channel" % label, repr(tags))
        st, _, j = jreq(p, "GET", "/api/v1/energy/curve?tag=E92PR_01&" + day)
        t.ok(st == 200 and j["channel"] == 1 and abs(j["records"][0]["value"] - 500 * 0.01) < 1e-9,
             "%s: curve by tag: the tag's channel, value x escala_e" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/energy/max?tag=E92PA_01&" + day)
        sa = 0.004884004884004884
        t.ok(st == 200 and abs(j["active"]["value"] - 1000 * sa) < 1e-9 and
             abs(j["reactive"]["value"] - 500 * sa) < 1e-9 and
             abs(j["apparent"] - ((1000 * sa) ** 2 + (500 * sa) ** 2) ** 0.5) < 1e-9,
             "%s: max by tag scales by escala, not escala_e" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/energy/month?source=E9&month=2014-01")
        rows = {(r["ied"], r["channel"]): r for r in j["rows"]} if st == 200 else {}
        t.ok(st == 200 and rows.get((2, 0), {}).get("tag") == "E92PA_01" and
             rows[(2, 0)]["counts"][13] == 1 and rows[(2, 0)]["label"].startswith("IED 2 AI") and
             (3, 0) in rows and sum(rows[(3, 0)]["counts"]) == 0,
             "%s: month rows for every meter, labelled by IED and AI" % label, repr(j)[:2000])
        st, _, j = jreq(p, "GET", "/api/v1/energy/curve?tag=E92VV_00&" + day)
        t.ok(st == 404, "%s: a voltage AI is no meter" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/screens")
        t.ok(st == 200 and [x["name"] for x in j][:2] == ["MAP", "E9"] and
             j[1]["url"] == "/screens/station.svg" and j[1]["parent"] == "MAP",
             "%s: screens from screens.csv" % label, repr(j)[:1000])
        st, _, j = jreq(p, "GET", "/api/v1/elements?screen=E9")
        t.ok(st == 200 and len(j) > 0 and all(x["screen"] == "E9" for x in j) and
             any(x["tag"] == "E9252B01" for x in j) and "disabled" not in j[0],
             "%s: elements of one screen from eg.csv" % label, repr(j)[:1000])
        st, _, j = jreq(p, "GET", "/api/v1/elements?screen=NOPE")
        t.ok(st == 200 and j == [], "%s: no elements for an unknown screen" % label, repr(j)[:300])
        st, _, j = jreq(p, "GET", "/api/v1/colors")
        t.ok(st == 200 and j[0] == {"index": 0, "name": "gris", "rgb": "#c0c0c0",
                                    "description": "Calificador > 0"},
             "%s: colour table from color.csv" % label, repr(j)[:500])
    finally:
        rc = d2.stop()
        t.ok(rc == 0, "%s: sheets: smved exits cleanly" % label, d2.logtext()[-3000:])
        d2.cleanup()


def main():
    binary, label = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "smved"
    t = Tap()
    extra = "journal_days = 0\nhistory_days = 0\n"
    d = Smved(binary, extra=extra)
    st = d.stop()
    t.ok(st == 0, "%s: first start creates the journal" % label, d.logtext())
    db = os.path.join(d.dir, "state", "journal.db")
    fill(db)
    d2 = restart(binary, d)
    p = d2.port
    try:
        day = "from=%d&to=%d" % (DAY14, DAY14 + 1440 * MIN - 1)
        st, h, body, _ = request(p, "GET", "/api/v1/energy/export?source=E4&ied=5&" + day)
        t.ok(st == 200 and body == b"14/01/14,00:15,100,50\n14/01/14,00:30,300,40\n14/01/14,24:00,200,70\n",
             "%s: export pairs by time, 24:00, no code 3" % label, repr((st, body)))
        t.ok("attachment" in h.get("content-disposition", ""), "%s: export is an attachment" % label,
             repr(h))
        st, _, j = jreq(p, "GET", "/api/v1/energy/max?source=E4&ied=5&" + day)
        t.ok(st == 200 and j["active"]["raw"] == 300 and j["reactive"]["raw"] == 40 and
             abs(j["apparent"] - (300 ** 2 + 40 ** 2) ** 0.5) < 1e-9 and j["time"] == "14/01/14 00:30",
             "%s: max with its reactive and apparent" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/energy/curve?source=E4&ied=5&channel=1&" + day)
        t.ok(st == 200 and [r["raw"] for r in j["records"]] == [50, 40, 70] and
             j["records"][2]["time"] == "14/01/14 24:00", "%s: reactive curve" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/energy/month?source=E4&month=2014-01")
        ok = st == 200 and j["expected"] == 96 and j["days"] == 31 and len(j["rows"]) == 2
        if ok:
            r0 = j["rows"][0]
            ok = (r0["counts"][13] == 3 and r0["totals"][13] and r0["counts"][14] == 95 and
                  not r0["totals"][14] and r0["missing"][14] == ["10:00"] and r0["counts"][15] == 0)
        t.ok(ok, "%s: month counts, totals and the missing 10:00" % label, repr(j)[:2000])
        st, _, j = jreq(p, "GET", "/api/v1/energy/month?source=E4&month=2014-13")
        t.ok(st == 400, "%s: month 13 refused" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/energy/max?source=E4&" + day)
        t.ok(st == 400, "%s: max without a meter refused" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/energy/export?source=E4&ied=5&from=10&to=5")
        t.ok(st == 400, "%s: reversed range refused" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/energy/meters")
        t.ok(st == 200 and j == [], "%s: no meters without sheets" % label, repr(j))
        st, _, j = jreq(p, "GET", "/api/v1/screens")
        t.ok(st == 404, "%s: no screens without a points folder" % label, repr(j))

        q = "/api/v1/history?tag=E4.T&from=%d&to=%d&points=100" % (DAY14, DAY14 + 10000 * 1000000)
        st, _, j = jreq(p, "GET", q)
        ok = st == 200 and len(j["t"]) == len(j["v"]) and 2 <= len(j["t"]) <= 100
        t.ok(ok, "%s: history decimated to at most 100 points" % label,
             repr((st, len(j["t"]) if ok else j)))
        t.ok(ok and 5000.0 in j["v"] and j["samples"] == 10000 and j["t"] == sorted(j["t"]),
             "%s: the spike survives decimation, times ordered" % label)
        st, _, j = jreq(p, "GET", "/api/v1/history?tag=E4.T&from=%d&to=%d&points=20000" %
                        (DAY14, DAY14 + 99 * 1000000))
        t.ok(st == 200 and len(j["t"]) == 100, "%s: few samples come back as they are" % label,
             repr(st))
        st, _, j = jreq(p, "GET", "/api/v1/history?tag=E4.T&from=1&to=2&points=1")
        t.ok(st == 400, "%s: points below 2 refused" % label)
        st, _, j = jreq(p, "POST", "/api/v1/history?tag=E4.T&from=1&to=2")
        t.ok(st == 405, "%s: history is GET only" % label)
    finally:
        rc = d2.stop()
        t.ok(rc == 0, "%s: smved exits cleanly (sanitizers quiet)" % label, d2.logtext()[-3000:])
        d2.cleanup()
    with_sheets(binary, label, t)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
