# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Shared helpers for smved's web integration tests: TAP output, a daemon fixture with a private
configuration, state directory, users and web root, and a raw HTTP client that does not hide
what the server sent (status, headers, body, connection close)."""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("SMVE_TOP", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
SLOW = 5 if os.environ.get("SMVE_VALGRIND") == "1" else 1   # timeouts stretch under valgrind
LEFTOVER = {}   # bytes received after the last response, per socket fd
BUILD = os.environ.get("SMVE_BUILD", os.path.join(TOP, "build"))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines()[:20]:
                    print("#   " + line, flush=True)
        return cond

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Smved:
    """One smved with its own directory.  extra: lines for [smved]; sections: more INI text."""

    def __init__(self, binary, extra="", sections="", users=(), tls=False,
                 valgrind=os.environ.get("SMVE_VALGRIND") == "1"):
        self.dir = tempfile.mkdtemp(prefix="smve-web-")
        self.port = free_port()
        self.root = os.path.join(self.dir, "www")
        os.makedirs(os.path.join(self.root, "js"))
        os.makedirs(os.path.join(self.dir, "state"))
        with open(os.path.join(self.root, "index.html"), "w") as f:
            f.write("<!DOCTYPE html><title>t</title>hello\n")
        with open(os.path.join(self.root, "js", "app.js"), "w") as f:
            f.write("export const x = 1;\n")
        with open(os.path.join(self.root, ".hidden"), "w") as f:
            f.write("secret\n")
        with open(os.path.join(self.dir, "outside.txt"), "w") as f:
            f.write("outside the web root\n")
        os.symlink(os.path.join(self.dir, "outside.txt"), os.path.join(self.root, "escape.txt"))
        os.symlink("js/app.js", os.path.join(self.root, "inside.js"))
        self.scheme = "https" if tls else "http"
        tls_lines = ""
        if tls:
            cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                           check=True, capture_output=True)
            self.cert = cert
            tls_lines = "tls_cert = %s\ntls_key = %s\n" % (cert, key)
        self.conf = os.path.join(self.dir, "smved.conf")
        with open(self.conf, "w") as f:
            f.write("[smved]\nstate_dir = %s/state\nlisten = 127.0.0.1:%d\nweb_root = %s\n"
                    "pbkdf2_iterations = 1000\n%s%s\n%s" % (self.dir, self.port, self.root,
                                                            tls_lines, extra, sections))
        for name, role, pw in users:
            r = subprocess.run([binary, "-c", self.conf, "--add-user", name, "--role", role],
                               input=pw + "\n", text=True, capture_output=True)
            if r.returncode:
                raise RuntimeError("add-user %s: %s" % (name, r.stderr))
        self.binary = binary
        self.cmd = [binary, "-c", self.conf, "-v"]
        if valgrind:
            self.cmd = ["valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                        "-q"] + self.cmd
        self.valgrind = valgrind
        self.log = open(os.path.join(self.dir, "smved.log"), "w")
        self._launch()

    def restart(self):
        """SIGTERM, then the same smved on the same directory and port; returns the exit status."""
        rc = self.stop()
        self.log = open(os.path.join(self.dir, "smved.log"), "a")
        self._launch()
        return rc

    def _launch(self):
        valgrind = self.valgrind
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + (30 if valgrind else 10)
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        else:
            raise RuntimeError("smved did not start listening")
        if self.proc.poll() is not None:
            raise RuntimeError("smved exited: " + self.logtext())

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        with open(os.path.join(self.dir, "smved.log")) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM; returns the exit status (sanitizers and valgrind make it non-zero on errors)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def finish(t, ok, d, sim, tag=""):
    """Stops smved (its exit status is a check: sanitizers and valgrind report there) and the
    simulator; smved's directory is kept for a look when any check failed."""
    rc = d.stop()
    ok(rc == 0, tag + "smved exits cleanly (status %s)" % rc, d.logtext()[-3000:] if rc else None)
    sim.terminate()
    sim.wait()
    if not t.failed:
        d.cleanup()
    else:
        print("# kept " + d.dir)


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    LEFTOVER.pop(s.fileno(), None)   # descriptor numbers are reused
    return s


def read_response(s, head_only=False):
    """Reads one response; returns (status, headers dict lower-case, body bytes) or None on EOF."""
    buf = LEFTOVER.pop(s.fileno(), b"")
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None if not buf else (0, {}, buf)
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    hdrs = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        k = k.strip().lower()
        hdrs[k] = (hdrs[k] + ", " + v.strip()) if k in hdrs else v.strip()
    n = 0 if head_only or status in (100, 101, 204, 304) else int(hdrs.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    LEFTOVER[s.fileno()] = rest[n:]
    return status, hdrs, rest[:n]


def request(port, method, path, body=None, headers=None, keep=False, sock=None):
    """One request on a fresh (or given) connection.  Returns (status, headers, body, sock)."""
    s = sock or connect(port)
    h = {"Host": "127.0.0.1:%d" % port}
    if body is not None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        if isinstance(body, str):
            body = body.encode()
        h["Content-Length"] = str(len(body))
    h.update(headers or {})
    if not keep:
        h.setdefault("Connection", "close")
    raw = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    s.sendall(raw.encode("latin-1") + (body or b""))
    r = read_response(s, head_only=(method == "HEAD"))
    if not keep:
        s.close()
    if r is None:
        return 0, {}, b"", None
    return r[0], r[1], r[2], (s if keep else None)


def jreq(port, method, path, body=None, headers=None):
    st, h, b, _ = request(port, method, path, body, headers)
    try:
        return st, h, json.loads(b) if b else None
    except ValueError:
        return st, h, b


def closed_by_peer(s, timeout):
    """True if the peer closes (EOF or reset) within timeout seconds; data read is discarded."""
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def verify_audit(path):
    """Independent re-implementation of the audit chain check; returns (records, error)."""
    prev = "0" * 64
    n = 0
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if not line.endswith(b"\n"):
                return n, "line %d: no newline" % i
            js, _, h = line[:-1].rpartition(b"\t")
            if hashlib.sha256(js).hexdigest().encode() != h:
                return n, "line %d: hash mismatch" % i
            rec = json.loads(js)
            if rec["prev"] != prev or rec["seq"] != n + 1:
                return n, "line %d: chain broken" % i
            prev = h.decode()
            n += 1
    return n, None


def read_audit(path):
    with open(path, "rb") as f:
        return [json.loads(l.rpartition(b"\t")[0]) for l in f]


def binaries():
    """(label, path) of the smved builds to test: normal and, when built, sanitized."""
    out = []
    for label, d in (("", BUILD), ("san", BUILD + "-san")):
        b = os.path.join(d, "bin", "smved")
        if os.access(b, os.X_OK):
            out.append((label, b))
    return out
