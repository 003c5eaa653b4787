#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Sessions that survive a restart of smved (<state_dir>/sessions.db): the cookie still works after
a restart, a logged-out or expired one does not, a tampered one never did, user changes made with
`smved --add-user` under a running smved end that user's sessions, and no file in the state
directory ever holds the token.
Usage: test_sessions.py SMVED_BINARY [label]   (prints TAP)"""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import Smved, Tap, jreq, read_audit, request  # noqa: E402

binary = sys.argv[1]
label = (sys.argv[2] + ": ") if len(sys.argv) > 2 and sys.argv[2] else ""
t = Tap()
USERS = [("olga", "operator", "op-pass-123"), ("vic", "viewer", "view-pass-1"), ("ed", "engineer", "eng-pass-12")]
d = Smved(binary, extra="anonymous = none\nsession_idle_s = 600\nsession_max_s = 3600\n", users=USERS)
P = d.port
state = os.path.join(d.dir, "state")
db = os.path.join(state, "sessions.db")


def ok(c, name, diag=None):
    return t.ok(c, label + name, diag)


def login(user, pw):
    st, h, b = jreq(P, "POST", "/api/v1/login", {"user": user, "password": pw})
    ck = h.get("set-cookie", "").split(";")[0]
    return ck if st == 200 and ck.startswith("smve_session=") else None


def who(cookie):
    """The session's user, or None when the cookie is not a session (anonymous = none: 401)."""
    st, h, b = jreq(P, "GET", "/api/v1/session", headers={"Cookie": cookie})
    return b.get("user") if st == 200 and isinstance(b, dict) and not b.get("anonymous") else None


def token_on_disk(tok):
    hits = []
    raw = bytes.fromhex(tok)
    for name in os.listdir(state):
        with open(os.path.join(state, name), "rb") as f:
            data = f.read()
        if tok.encode() in data or tok.upper().encode() in data or raw in data:
            hits.append(name)
    return hits


def add_user(name, role, pw):
    r = subprocess.run([binary, "-c", d.conf, "--add-user", name, "--role", role], input=pw + "\n",
                       text=True, capture_output=True)
    return r.returncode == 0


def until(cond, secs=8):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


try:
    olga = login("olga", "op-pass-123")
    vic = login("vic", "view-pass-1")
    ed = login("ed", "eng-pass-12")
    ok(olga and vic and ed and who(olga) == "olga", "three users log in")
    tok = olga.split("=", 1)[1]
    ok(os.path.exists(db) and (os.stat(db).st_mode & 0o777) == 0o600, "sessions.db in state_dir, mode 0600")

    # ---- restart: the cookie keeps working --------------------------------------------------
    rc = d.restart()
    ok(rc == 0, "smved stops cleanly (status %s)" % rc)
    ok(who(olga) == "olga" and who(vic) == "vic", "cookies still work after a restart")
    st, h, b = jreq(P, "POST", "/api/v1/events/1/ack", {}, headers={"Cookie": olga})
    ok(st in (200, 409) and (b.get("ack") or {}).get("user") == "olga",
       "a restored operator session can acknowledge (role kept)", (st, b))
    bad = "smve_session=" + tok[:20] + ("0" if tok[20] != "0" else "1") + tok[21:]
    ok(who(bad) is None, "a tampered cookie (one hex digit changed) is refused")
    ok(who("smve_session=" + tok[:-1]) is None, "a truncated cookie is refused")
    hits = []
    for c in (olga, vic, ed):
        hits += token_on_disk(c.split("=", 1)[1])
    ok(not hits, "no file in the state directory holds a token (hex or binary)", hits)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT user, role, addr, length(key), expires_us - created_us FROM sessions "
                       "ORDER BY user").fetchall()
    con.close()
    ok(rows == [("ed", "engineer", "127.0.0.1", 32, 3600 * 10**6), ("olga", "operator", "127.0.0.1", 32, 3600 * 10**6),
                ("vic", "viewer", "127.0.0.1", 32, 3600 * 10**6)],
       "rows: user, role, client address, a 32-byte key, absolute expiry", rows)

    # ---- logout, then restart: the cookie stays dead ------------------------------------------
    st, h, b, _ = request(P, "POST", "/api/v1/logout", body="{}",
                          headers={"Cookie": vic, "Content-Type": "application/json"})
    ok(st == 204 and who(vic) is None, "vic logs out")
    d.restart()
    ok(who(vic) is None and who(olga) == "olga", "after a restart the logged-out cookie still fails")

    # ---- expiry across a restart (the clock is moved by ageing the stored times) ---------------
    d.stop()
    con = sqlite3.connect(db)
    con.execute("UPDATE sessions SET last_seen_us = last_seen_us - 601000000 WHERE user = 'olga'")
    con.execute("UPDATE sessions SET created_us = created_us - 3601000000, "
                "expires_us = expires_us - 3601000000 WHERE user = 'ed'")
    con.commit()
    con.close()
    d.log = open(os.path.join(d.dir, "smved.log"), "a")
    d._launch()
    ok(who(olga) is None, "a session idle longer than session_idle_s is refused after a restart")
    ok(who(ed) is None, "a session older than session_max_s is refused after a restart")
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    con.close()
    ok(n == 0, "expired rows are deleted at start", n)

    # ---- user changes under a running smved end that user's sessions -------------------------
    olga = login("olga", "op-pass-123")
    ed = login("ed", "eng-pass-12")
    vic = login("vic", "view-pass-1")
    ok(who(olga) == "olga" and who(ed) == "ed" and who(vic) == "vic", "fresh logins")
    ok(add_user("olga", "operator", "new-pass-456"), "--add-user changes olga's password")
    ok(until(lambda: who(olga) is None), "olga's session ends within seconds (password changed)")
    ok(who(ed) == "ed", "ed's session is not affected")
    ok(add_user("ed", "viewer", "eng-pass-12"), "--add-user changes ed's role")
    ok(until(lambda: who(ed) is None), "ed's session ends (role changed)")
    with open(os.path.join(d.dir, "users")) as f:
        lines = f.readlines()
    with open(os.path.join(d.dir, "users.tmp"), "w") as f:
        f.writelines(l for l in lines if not l.startswith("vic:"))
    os.chmod(os.path.join(d.dir, "users.tmp"), 0o600)
    os.rename(os.path.join(d.dir, "users.tmp"), os.path.join(d.dir, "users"))
    ok(until(lambda: who(vic) is None), "vic's session ends when vic is removed from the users file")
    recs = [(r["action"], json.loads(r["detail"]) if isinstance(r.get("detail"), str) else r.get("detail"))
            for r in read_audit(os.path.join(state, "audit.log"))]
    seen = {(a, x.get("user"), x.get("change")) for a, x in recs if isinstance(x, dict) and x.get("source")}
    ok({("user_set", "olga", "password"), ("user_set", "ed", "role"), ("user_removed", "vic", "removed")} <= seen,
       "the running smved audits each user change it applied", sorted(seen))
    d.restart()
    ok(who(olga) is None and who(ed) is None and who(vic) is None, "and none comes back after a restart")
    ok(login("olga", "new-pass-456") is not None, "olga logs in with the new password")
    st, h, b, _ = request(P, "GET", "/metrics", headers={"Cookie": login("olga", "new-pass-456") or ""})
    m = [l for l in b.decode().splitlines() if l.startswith("smve_session_store_failures_total ")]
    ok(st == 200 and m and float(m[0].split()[1]) == 0, "metrics: no failed session store commit", m)
    ok(d.alive(), "smved still running")
finally:
    rc = d.stop()
    ok(rc == 0, "smved exits cleanly on SIGTERM (status %s)" % rc, d.logtext()[-3000:] if rc else None)
    if not t.failed:
        d.cleanup()
sys.exit(t.done())
