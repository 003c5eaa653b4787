#!/usr/bin/env python3
"""Analog limit alarms and the DI alarm flag, end to end on the example station E9.

smve-sim plays examples/station's concentrator; --ai-steps drives the 33 kV
bus voltage E92VV_00 (limits 31.35..34.65 kV, hysteresis 0.2 in ai.csv)
through 33 -> 35 -> 33 -> 30 -> 33 kV and steps the line current E92II_01
(deltah 50 A/s) by ~98 A between two polls.  Checks through REST: each
crossing gives exactly one "limit" event with the sheet's text (VALOR
MAX / VALOR MIN / DELTA MAX), raises are alarms and returns are not, the
alarm can be attended; and DIGITAL events of tipodi-0 relays with value 0
are journalled without the alarm flag while value 1 and breakers'
events keep it (spec §9.8).  Prints TAP; exit status 0 when all pass.

usage: limits_e2e.py SMVED SMVE_SIM TOP
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e9stack as E9  # noqa: E402
import proof_sigkill as P  # noqa: E402

# 33, 35, 35, 33, 30, 30 kV at escala 0.018374 (raw x escala), one simulated second each.
BUS_STEPS = "1:0:1796,1905,1905,1796,1633,1633:1"
CURRENT_STEPS = "1:3:1000,2000:3"       # 97.7 A <-> 195.4 A every 3 s
TIPO0_MASK = 0x154A                      # E9251_01, E9251_02, E9151_00..03 (di.csv tipodi 0)
TIPO2_MASK = 0x0AA5                      # the breakers (tipodi 2)


def api(base, path, body=None, cookie=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    if cookie:
        req.add_header("Cookie", cookie)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, json.loads(r.read() or b"{}"), r.headers.get("Set-Cookie")


def main():
    smved, simbin, top = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="smved-limits-")
    sim, simport = E9.start_sim(simbin, tmp, [
        "--seed", "3", "--event-rate", "10", "--comsys-every", "0",
        "--event-bits", "1:0:%#x" % (TIPO0_MASK | TIPO2_MASK),
        "--ai-steps", BUS_STEPS, "--ai-steps", CURRENT_STEPS])
    http = P.free_port()
    confp = E9.write_conf(top, tmp, simport, http)
    d = None
    try:
        subprocess.run([smved, "-c", confp, "--add-user", "opera", "--role", "operator"],
                       input="Lim1ts-pass\n", text=True, check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        sim.terminate()
        raise SystemExit("smved --add-user failed: %s" % e.stderr)
    d = subprocess.Popen([smved, "-c", confp], stderr=open(os.path.join(tmp, "smved.err"), "w"))
    base = "http://127.0.0.1:%d" % http
    n, ok = 0, True

    def check(cond, name, diag=None):
        nonlocal n, ok
        n += 1
        ok &= P.tap(n, bool(cond), name, diag)

    try:
        # Two full cycles of the bus profile (6 s each) plus start-up.
        lim, deadline = [], time.time() + 30
        while time.time() < deadline:
            try:
                _, body, _ = api(base, "/api/v1/events?type=limit&limit=1000")
                lim = body.get("events", [])
            except OSError:
                pass
            bus = [e for e in lim if e["tag"] == "E92VV_00"]
            if len(bus) >= 8 and any(e["tag"] == "E92II_01" for e in lim):
                break
            time.sleep(0.5)
        bus = [e for e in lim if e["tag"] == "E92VV_00"]
        seq = [(json.loads(e["fields"]) if isinstance(e["fields"], str) else e["fields"]) for e in bus]
        kinds = ["%s%s" % ("+" if s["state"] == "raised" else "-", s["limit"]) for s in seq]
        check(len(bus) >= 8, "the bus profile produced limit events (%d)" % len(bus), lim[:4])
        # The profile's cycle gives +max -max +min -min (from whichever phase the simulator
        # started in), with nothing in between.
        nxt = {"+max": "-max", "-max": "+min", "+min": "-min", "-min": "+max"}
        check(all(nxt[a] == b for a, b in zip(kinds, kinds[1:])),
              "each crossing gives exactly one event, in the order of the profile", kinds)
        raised = [e for e in bus if e["value"] == 1]
        cleared = [e for e in bus if e["value"] == 0]
        check(raised and all(e["alarm"] for e in raised) and not any(e["alarm"] for e in cleared),
              "raises are alarms, returns to normal are journalled but are not")
        # 1905 x 0.018374 = 35.00 kV, 1633 x 0.018374 = 30.005 kV (4 significant digits shown).
        check(any(e["text"] == "Tensión Barra 33 kV VALOR MAX: 35 Kv (limit 34.65)" for e in bus) and
              any(e["text"] == "Tensión Barra 33 kV VALOR MIN: 30.01 Kv (limit 31.35)" for e in bus) and
              any("VALOR MAX returned to normal: 33 Kv" in e["text"] for e in bus),
              "texts from the sheet (textoevtipo 7) with value and limit", [e["text"] for e in bus[:4]])
        cur = [e for e in lim if e["tag"] == "E92II_01"]
        check(any(e["value"] == 1 and "DELTA MAX" in e["text"] for e in cur) and
              any(e["value"] == 0 and "DELTA MAX returned to normal" in e["text"] for e in cur),
              "a 98 A step between two polls raises DELTA MAX (deltah 50 A/s) and returns",
              [e["text"] for e in cur[:3]])
        # Attend a limit alarm like any other.
        _, _, cookie = api(base, "/api/v1/login", {"user": "opera", "password": "Lim1ts-pass"})
        cookie = cookie.split(";")[0] if cookie else None
        st, body, _ = api(base, "/api/v1/events/%d/ack" % raised[0]["id"], {}, cookie) if raised else (0, {}, None)
        _, ev, _ = api(base, "/api/v1/events/%d" % raised[0]["id"]) if raised else (0, {}, None)
        check(st == 200 and (ev.get("ack") or {}).get("user") == "opera",
              "a limit alarm is attended by an operator (HTTP %s)" % st, ev)
        # DIGITAL events: tipodi 0 value 0 is no alarm (§9.8); value 1 and breakers are.
        _, body, _ = api(base, "/api/v1/events?type=digital&limit=1000")
        dig = body.get("events", [])
        relays = {"E9251_01", "E9251_02", "E9151_00", "E9151_01", "E9151_02", "E9151_03"}
        r0 = [e for e in dig if e["tag"] in relays and e["value"] == 0]
        r1 = [e for e in dig if e["tag"] in relays and e["value"] == 1]
        brk = [e for e in dig if e["tag"].startswith(("E9252B", "E9152B"))]
        check(r0 and r1 and brk, "relay (both values) and breaker events arrived (%d, %d, %d)"
              % (len(r0), len(r1), len(brk)))
        check(r0 and not any(e["alarm"] for e in r0), "tipodi 0 value 0: journalled, not an alarm")
        check(r1 and all(e["alarm"] for e in r1) and brk and all(e["alarm"] for e in brk),
              "tipodi 0 value 1 and breaker events stay alarms")
    finally:
        status = E9.finish([d, sim], tmp, ok)
    return status


if __name__ == "__main__":
    sys.exit(main())
