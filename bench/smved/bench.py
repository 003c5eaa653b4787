#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""smved ingest and WebSocket fan-out benchmark (bench/smved/run).

Ingest: BUILD/bench/smved/ingest runs smved's own decode -> store -> delta code on one core, without
sockets or disk (see bench/smved/ingest.c), and prints point updates/s against the 1M/s target.
Memory: smved with ~20k points (12 simulated concentrators) and 100 clients, RSS against 32 MiB.
Feed: smve-sim concentrators on loopback, polled by smved every 10 ms; each AI word of the
simulated meters moves at every poll, so the update rate is (AI words) x (polls/s).
  1k/s  = 1 concentrator x 10 AI words x 100 polls/s
  10k/s = 2 concentrators x 50 AI words x 100 polls/s
For each rate and tick (ws_tick_ms 100 and 0):
  ingest   one client subscribed to everything counts point entries/s (decode -> store -> delta)
  fan-out  N clients (100, 1000) on smved, then the same N on a minimal Node.js + npm ws
           reference server fed by the same stream (one upstream smve.v1 client of that smved)
Each N runs ROUNDS (2) times, smved and the reference alternated; ratios are printed as ranges.
Prints delivered messages/s, latency p50/p99 (e2e: frame arrival at smved -> client receipt;
fanout: frame build -> receipt, i.e. beyond the tick), CPU and RSS of each server, and smved's
ratios to the reference.  Both servers are measured with the same C load client (fanout.c: two
epoll threads), whose own CPU use is printed; a client thread over 85% of a core is flagged.  Each target of the issue is printed with the measured number and
"met" or "NOT met"; nothing is asserted: numbers depend on the machine.  With two or more CPUs
the server under test runs alone on CPU 0 (SMVE_BENCH_PIN=0: not pinned); each server's CPU time
per delivered message is printed and compared; SMVE_BENCH_IO_URING=0 runs smved with
ws_io_uring = false.
Usage: bench.py BUILD_DIR [SECONDS]"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "../.."))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(TOP, BUILD)
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 5
CLIENTS = [int(x) for x in os.environ.get("SMVE_BENCH_CLIENTS", "100,1000").split(",")]
RATES = {"1k": (1, "1:6,1,5 2:6,1,5"), "10k": (2, "1:6,1,10 2:6,1,10 3:6,1,10 4:6,1,10 5:6,1,10")}
RATES = {k: v for k, v in RATES.items() if k in os.environ.get("SMVE_BENCH_RATES", "1k,10k").split(",")}
TICKS = [int(x) for x in os.environ.get("SMVE_BENCH_TICKS", "100,0").split(",")]
ROUNDS = int(os.environ.get("SMVE_BENCH_ROUNDS", "2"))
SKIP_MEMORY = os.environ.get("SMVE_BENCH_MEMORY", "1") == "0"
NO_URING = os.environ.get("SMVE_BENCH_IO_URING", "1") == "0"   # smved's ws_io_uring = false
# The server under test alone on CPU 0, everything else (load client, simulators, the other server
# and this script) on the remaining CPUs: on a two-core machine the latency tail otherwise measures
# the run queue the server shares with its own load client, not the server.
ALL_CPUS = sorted(os.sched_getaffinity(0))
PIN = os.environ.get("SMVE_BENCH_PIN", "1") != "0" and len(ALL_CPUS) >= 2
SERVER_CPUS = set(ALL_CPUS[:1])
REST_CPUS = set(ALL_CPUS[1:]) or SERVER_CPUS


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runq_wait_s(pid):
    """Time the process's threads waited for a CPU while runnable (schedstat), in seconds."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return total / 1e9


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pin(pid, cpus):
    """Sets the CPU affinity of every thread of pid (affinity is per thread)."""
    if not PIN or pid is None:
        return
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                os.sched_setaffinity(int(tid), cpus)
            except OSError:
                pass            # a thread that just exited
    except OSError:
        pass


def under_test(server_pid, other_pid=None):
    """server_pid gets SERVER_CPUS to itself; other_pid (the server not being measured) joins the rest."""
    pin(server_pid, SERVER_CPUS)
    pin(other_pid, REST_CPUS)


def wait_port(port, proc, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("process exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d never opened" % port)


def run_clients(port, n, secs, server_pid):
    """Runs the load client; the server's CPU is sampled over the measuring window only."""
    p = subprocess.Popen([os.path.join(BUILD, "bench", "smved", "fanout"), "127.0.0.1:%d" % port, str(n),
                          str(secs)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    c0 = w0 = t0 = None
    last = ""
    for line in p.stdout:
        if line.strip() == "measuring":
            c0, w0, t0 = cpu_s(server_pid), runq_wait_s(server_pid), time.time()
        else:
            last = line
            if c0 is not None:
                break
    c1, w1, t1 = cpu_s(server_pid), runq_wait_s(server_pid), time.time()
    p.wait(timeout=120)
    try:
        res = json.loads(last)
    except ValueError:
        res = {"error": last[-300:] or "load client failed"}
    res["cpu_pct"] = 100 * (c1 - c0) / (t1 - t0) if c0 is not None and t1 > t0 else float("nan")
    # Runnable but waiting for a CPU (other processes on the machine): latency no server can avoid.
    res["runq_wait_pct"] = 100 * (w1 - w0) / (t1 - t0) if c0 is not None and t1 > t0 else float("nan")
    res["rss_mib"] = rss_mib(server_pid)
    if PIN and "client_cpu_pct" in res and res["client_cpu_pct"] > 85 * len(REST_CPUS):
        res["client_saturated"] = True   # its threads share the pinned CPUs
    return res


def metrics(port):
    """smved's /metrics as {name: value} (unlabelled series only), or {}."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        s.close()
        v = {}
        for line in data.decode().split("\r\n\r\n", 1)[1].splitlines():
            if line and not line.startswith("#") and "{" not in line:
                k, x = line.split()
                v[k] = float(x)
        return v
    except (OSError, ValueError, IndexError):
        return {}


def journal_stats(port):
    """(commits/s since start, last commit ms, max commit ms) from smved's /metrics, or None."""
    v = metrics(port)
    try:
        return (v["smve_journal_commits_total"] / v["smve_uptime_seconds"],
                v["smve_journal_commit_seconds_last"] * 1e3, v["smve_journal_commit_seconds_max"] * 1e3)
    except (KeyError, ZeroDivisionError):
        return None


def verdict(ok):
    return "met" if ok else "NOT met"


def ingest():
    """Runs the in-process ingest benchmark; returns its JSON result or None."""
    b = os.path.join(BUILD, "bench", "smved", "ingest")
    if not os.access(b, os.X_OK):
        print("ingest: SKIP (%s missing: make)" % b)
        return None
    print("\n[ingest: smved's decode -> store -> delta code on one core, %.1f s]" % SECONDS)
    out = subprocess.run([b, str(SECONDS)], stdout=subprocess.PIPE, text=True, timeout=120).stdout
    lines = out.rstrip().splitlines()
    for line in lines[:-1]:
        print(line)
    try:
        return json.loads(lines[-1])
    except (ValueError, IndexError):
        return None


RSS_LAYOUT = "1:6,55,1 2:6,55,1"   # 240-byte payload: 2 x (6 SV + 880 DI bits + 1 AI) points
RSS_CONCS = 12


def rss_scenario(sim_bin, smved, tmp, procs):
    """smved with ~20k points and 100 clients: RSS against the 32 MiB target."""
    sections = ""
    for k in range(RSS_CONCS):
        p = subprocess.Popen([sim_bin, "concentrator", "--listen", "127.0.0.1:0", "--layout", RSS_LAYOUT,
                              "--event-rate", "0", "--comsys-every", "0", "--seed", str(k + 1)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(p)
        port = int(p.stdout.readline().split(":")[-1])
        sections += ("[concentrator R%d]\nhost = 127.0.0.1\nport = %d\nlayout = %s\npoll_interval_ms = 100\n"
                     "timeout_ms = 1000\n\n" % (k, port, RSS_LAYOUT))
    port = free_port()
    d = os.path.join(tmp, "rss")
    os.makedirs(os.path.join(d, "state"))
    conf = os.path.join(d, "smved.conf")
    with open(conf, "w") as f:
        f.write("[smved]\nstate_dir = %s/state\nlisten = 127.0.0.1:%d\nmax_connections = 5000\n\n%s"
                % (d, port, sections))
    sm = subprocess.Popen([smved, "-c", conf], stdout=subprocess.DEVNULL, stderr=open(d + "/log", "w"))
    procs.append(sm)
    wait_port(port, sm)
    under_test(sm.pid)
    time.sleep(2)
    r = run_clients(port, 100, max(2.0, SECONDS / 2), sm.pid)
    npoints = int(metrics(port).get("smve_store_points", 0))
    sm.terminate()
    sm.wait()
    line = ("RSS with %d points and 100 clients <= 32 MiB: %.1f MiB: %s%s"
            % (npoints, r["rss_mib"], verdict(r["rss_mib"] <= 32 and npoints >= 20000),
               "" if npoints >= 20000 else " (fewer than 20k points: scenario not reached)"))
    print("\n[memory] " + line)
    if "error" in r:
        print("  clients: " + r["error"])
    return line


def fmt(r):
    if "error" in r:
        return "ERROR " + r["error"]
    return ("%8.0f msg/s %7.1f MB/s  e2e p50 %7.2f p99 %8.2f ms  fanout p50 %7.2f p99 %8.2f ms  "
            "cpu %5.0f%% = %5.1f us/msg (waited for a cpu %3.0f%%)  rss %6.1f MiB  client cpu %3.0f%% (max thread %3.0f%%)%s%s" %
            (r["msgs_per_s"], r["mbytes_per_s"], r["e2e_p50_ms"] or -1, r["e2e_p99_ms"] or -1,
             r["fanout_p50_ms"] or -1, r["fanout_p99_ms"] or -1, r["cpu_pct"], us_per_msg(r), r["runq_wait_pct"],
             r["rss_mib"],
             r["client_cpu_pct"], r["client_thread_cpu_max_pct"],
             ("  client backlog p50 %.0f p99 %.0f KiB" % (r["client_backlog_p50_kib"], r["client_backlog_p99_kib"])
              if r.get("client_backlog_p99_kib") is not None else "") +
             ("  LOAD CLIENT SATURATED: numbers bounded by the client" if r["client_saturated"] else
              "  LOAD CLIENT BEHIND: latency includes its own queue" if client_behind(r) else ""),
             ("  (%d resnapshots)" % r["snapshots"]) if r.get("snapshots") else ""))


def client_behind(r):
    """The load client found more than CLIENT_BEHIND_KIB waiting in a sampled socket at p50: it is
    not keeping up, so the latency it measures includes its own receive queue."""
    return (r.get("client_backlog_p50_kib") or 0) > CLIENT_BEHIND_KIB


CLIENT_BEHIND_KIB = 64


def us_per_msg(r):
    """The server's CPU time per delivered message in microseconds: unlike msgs/s it is not bounded by
    clients x ticks/s, and unlike p99 it does not depend on how long others kept the CPU."""
    return 1e4 * r["cpu_pct"] / r["msgs_per_s"] if r.get("msgs_per_s") else float("nan")


def rng(xs, f="%.2f"):
    """A range "lo-hi" (or one value) of numbers measured in several rounds."""
    lo, hi = min(xs), max(xs)
    return (f % lo) if lo == hi else (f + "-" + f) % (lo, hi)


def ratio(a, b):
    return (a / b) if a and b else float("nan")


def main():
    smved = os.path.join(BUILD, "bin", "smved")
    sim_bin = os.path.join(BUILD, "bin", "smve-sim")
    if not all(os.access(b, os.X_OK) for b in (smved, sim_bin, os.path.join(BUILD, "bench", "smved", "fanout"))):
        print("SKIP: build smved, smve-sim and bench/smved/fanout first (make)")
        return 0
    if not shutil.which("node") or subprocess.run(
            ["node", "-e", "require('node:module').createRequire(process.argv[1]).resolve('ws')",
             os.path.join(TOP, "tests/browser/package.json")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        print("SKIP: node and npm ws needed (tests/browser/node_modules or NODE_PATH; scripts/deps.sh check)")
        return 0
    tmp = tempfile.mkdtemp(prefix="smve-bench-")
    procs = []
    targets = []
    print("smved bench: %s s per run, clients %s, ticks %s ms" % (SECONDS, CLIENTS, TICKS))
    if PIN:
        os.sched_setaffinity(0, REST_CPUS)     # inherited by the load client and the simulators
        print("pinned: the server under test on CPU %s; load client, simulators and the other server on CPU %s "
              "(SMVE_BENCH_PIN=0: no pinning)" % (",".join(map(str, sorted(SERVER_CPUS))),
                                                  ",".join(map(str, sorted(REST_CPUS)))))
    else:
        print("not pinned: servers, load client and simulators share CPUs %s" % ",".join(map(str, ALL_CPUS)))
    ing = ingest() if not SKIP_MEMORY else None
    if ing:
        targets.append("ingest >= 1M point updates/s on one core: %.0f/s: %s"
                       % (ing["updates_per_s"], verdict(ing["updates_per_s"] >= 1e6)))
    try:
        if not SKIP_MEMORY:
            targets.append(rss_scenario(sim_bin, smved, tmp, procs))
        for rate, (nconc, layout) in RATES.items():
            sims, sections = [], ""
            for k in range(nconc):
                p = subprocess.Popen([sim_bin, "concentrator", "--listen", "127.0.0.1:0", "--layout", layout,
                                      "--event-rate", "0", "--comsys-every", "0", "--seed", str(k + 1)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                sims.append(p)
                procs.append(p)
                port = int(p.stdout.readline().split(":")[-1])
                sections += ("[concentrator B%d]\nhost = 127.0.0.1\nport = %d\nlayout = %s\npoll_interval_ms = 10\n"
                             "timeout_ms = 500\n\n" % (k, port, layout))
            for tick in TICKS:
                port = free_port()
                d = os.path.join(tmp, "%s-%d" % (rate, tick))
                os.makedirs(os.path.join(d, "state"))
                conf = os.path.join(d, "smved.conf")
                with open(conf, "w") as f:
                    f.write("[smved]\nstate_dir = %s/state\nlisten = 127.0.0.1:%d\nws_tick_ms = %d\n"
                            "max_connections = 5000\nws_io_uring = %s\n\n%s"
                            % (d, port, tick, "false" if NO_URING else "true", sections))
                sm = subprocess.Popen([smved, "-c", conf], stdout=subprocess.DEVNULL, stderr=open(d + "/log", "w"))
                procs.append(sm)
                wait_port(port, sm)
                under_test(sm.pid)
                time.sleep(1.5)     # first polls, dictionary settles
                one = run_clients(port, 1, SECONDS, sm.pid)
                print("\n[%s updates/s target, tick %d ms] feed: %.0f point updates/s delivered to one client, "
                      "smved cpu %.0f%%" % (rate, tick, one.get("entries_per_s_per_client", 0), one["cpu_pct"]))
                rport = free_port()
                ref = subprocess.Popen(["node", os.path.join(HERE, "refserver.mjs"), "ws://127.0.0.1:%d/ws" % port,
                                        str(rport), str(tick)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
                procs.append(ref)
                ref.stdout.readline()
                time.sleep(0.5)
                for n in CLIENTS:
                    pairs = []
                    for rnd in range(ROUNDS):
                        # Alternated, so that the machine's load drifts over both servers alike.
                        under_test(sm.pid, ref.pid)
                        rs = run_clients(port, n, SECONDS, sm.pid)
                        under_test(ref.pid, sm.pid)
                        rr = run_clients(rport, n, SECONDS, ref.pid)
                        print("  N=%-5d #%d smved   %s" % (n, rnd + 1, fmt(rs)))
                        print("  N=%-5d #%d node-ws %s" % (n, rnd + 1, fmt(rr)))
                        if "error" not in rs and "error" not in rr:
                            pairs.append((rs, rr))
                    if not pairs:
                        continue
                    mr = [ratio(a["msgs_per_s"], b["msgs_per_s"]) for a, b in pairs]
                    e99 = [(a["e2e_p99_ms"] or 1e9) for a, _ in pairs]
                    r99 = [(b["e2e_p99_ms"] or 1e9) for _, b in pairs]
                    cr = [ratio(us_per_msg(b), us_per_msg(a)) for a, b in pairs]
                    print("  N=%-5d ratio smved/node over %d rounds: msgs %s  e2e p99 %s lower  fanout p99 %s lower  "
                          "cpu %s  rss %s  cpu per message %s lower" %
                          (n, len(pairs), rng(mr), rng([ratio(b, a) for a, b in zip(e99, r99)]),
                           rng([ratio(b["fanout_p99_ms"], a["fanout_p99_ms"]) for a, b in pairs]),
                           rng([ratio(a["cpu_pct"], b["cpu_pct"]) for a, b in pairs]),
                           rng([ratio(a["rss_mib"], b["rss_mib"]) for a, b in pairs]), rng(cr)))
                    if rate == "10k" and n == 1000:
                        targets.append("10k/s, N=1000, tick %d: p99 <= tick + 10 ms: %s ms over %d rounds: %s"
                                       % (tick, rng(e99, "%.1f"), len(e99), verdict(max(e99) <= tick + 10)))
                    if n == max(CLIENTS):
                        ok = all(m >= 10 and a < b for m, a, b in zip(mr, e99, r99))
                        targets.append("%s/s, tick %d, N=%d: >= 10x node-ws msgs/s at a lower p99: %sx, e2e p99 %s "
                                       "vs %s ms: %s" % (rate, tick, n, rng(mr), rng(e99, "%.1f"), rng(r99, "%.1f"),
                                                         verdict(ok)))
                        targets.append("%s/s, tick %d, N=%d: CPU per delivered message, node-ws / smved (no target; "
                                       "the comparison msgs/s cannot make, see above): %sx, %s vs %s us"
                                       % (rate, tick, n, rng(cr), rng([us_per_msg(a) for a, _ in pairs], "%.1f"),
                                          rng([us_per_msg(b) for _, b in pairs], "%.1f")))
                ref.terminate()
                ref.wait()
                m = journal_stats(port)
                if m:
                    print("  smved journal during the runs: %.0f commits/s, last %.1f ms, max %.1f ms (group "
                          "commit on the writer thread, off the event loop)" % m)
                sm.terminate()
                sm.wait()
            for p in sims:
                p.terminate()
                p.wait()
        print("\nnode-ws is fed by one upstream client of the same smved, so its e2e latency includes that "
              "extra hop; fan-out latency (beyond the tick) compares the servers alone.  Both servers send "
              "one delta per tick to every client, so with a tick their msgs/s are bounded by clients x "
              "ticks/s alike: a 10x msgs/s ratio can only show where the reference cannot keep up.  CPU per "
              "delivered message compares the work each server spends; both pay the kernel's loopback send per "
              "message and client, which bounds that ratio too (docs/design-notes.md, \"WebSocket fan-out: the "
              "sends, and what bounds the targets\").")
        print("\nTargets (issue 4):")
        for t in targets:
            print("  " + t)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
