"""The example station E9 on the real stack, for the end-to-end scripts: smve-sim playing
examples/station's concentrator and an smved.conf made from examples/smved.conf pointing at it."""
import os
import re
import shutil
import subprocess

LAYOUT = "1:6,3,4 2:6,1,2 3:6,1,2 4:6,1,2 5:6,1,2"  # examples/station/ied.csv


def start_sim(simbin, tmp, args):
    """smve-sim as E9's concentrator on a free port, with extra @args; returns (process, port)."""
    sim = subprocess.Popen([simbin, "concentrator", "--listen", "127.0.0.1:0", "--layout", LAYOUT,
                            "--name", "E9"] + args,
                           stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "sim.err"), "w"),
                           text=True)
    line = sim.stdout.readline().split()
    if len(line) != 2 or line[0] != "listen":
        sim.kill()
        raise SystemExit("smve-sim did not print its address: %r" % line)
    return sim, line[1].rsplit(":", 1)[1]


def write_conf(top, tmp, simport, http):
    """examples/smved.conf with its state in @tmp, polling the simulator every 100 ms and serving
    HTTP on 127.0.0.1:@http; returns its path."""
    with open(os.path.join(top, "examples", "smved.conf")) as f:
        conf = f.read()
    subs = {"state_dir": tmp + "/state", "points": os.path.join(top, "examples", "station"),
            "host": "127.0.0.1", "port": simport, "poll_interval_ms": "100",
            "require_clock_sync": "false"}
    for k, v in subs.items():
        conf = re.sub(r"(?m)^%s = .*$" % k, "%s = %s" % (k, v), conf)
    conf = conf.replace("[smved]\n", "[smved]\nlisten = 127.0.0.1:%d\n" % http, 1)
    confp = os.path.join(tmp, "smved.conf")
    with open(confp, "w") as f:
        f.write(conf)
    return confp


def finish(procs, tmp, ok):
    """Stop @procs (smved first, then the simulator) and remove @tmp, or keep it when a check
    failed; returns the script's exit status."""
    for p in procs:
        if p is not None and p.poll() is None:
            p.terminate()
            p.wait(timeout=20)
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("# logs kept in %s" % tmp)
    return 0 if ok else 1
