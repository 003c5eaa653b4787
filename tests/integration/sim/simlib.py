# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Helpers for the smve-sim integration tests: a minimal Mara codec written
independently of the C one (so the tests check the simulator against the
spec, not against itself), TAP output, and process/link wrappers."""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import termios
import time
import traceback
import tty

# --- Mara codec (spec §2, §5) ------------------------------------------------


def bcc(data):
    """§2.3: 0xFFFF minus the modulo-65536 sum of big-endian words."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = sum((data[i] << 8) | data[i + 1] for i in range(0, len(data), 2))
    cs = 0xFFFF - (s & 0xFFFF)
    return bytes([cs >> 8, cs & 0xFF])


def build(dst, src, seq, cmd, payload=b""):
    f = bytes([0xFE, 8 + len(payload), dst, src, seq, cmd]) + bytes(payload)
    return f + bcc(f)


def poll(seq, dst=0x01, src=0x40):
    return build(dst, src, seq, 0x10)


def peh(seq, y, mo, d, h, mi, s, frac=0, dow=1, src=0x40):
    return build(0xFF, src, seq, 0x12,
                 bytes([y - 2000, mo, d, h, mi, s, frac & 0xFF, frac >> 8, dow]))


def control(seq, port, bit, state, dst=0x01, src=0x40):
    return build(dst, src, seq, 0x13, bytes([port, bit, state]))


def verify(frame):
    """True when SOF, QTY and BCC are right."""
    return (len(frame) >= 8 and frame[0] == 0xFE and frame[1] == len(frame)
            and bcc(frame[:-2]) == bytes(frame[-2:]))


class Reply:
    """A decoded 0x10 reply (§5.1)."""

    def __init__(self, frame):
        if not verify(frame):
            raise ValueError("frame does not verify: " + frame.hex())
        self.raw = bytes(frame)
        self.dst, self.src, self.seq, self.cmd = frame[2], frame[3], frame[4], frame[5]
        p = frame[6:-2]
        self.payload = p
        if self.cmd != 0x10:
            return
        i = 0
        n = p[i] - 1
        self.sv = p[i + 1:i + 1 + n]
        i += 1 + n
        n = p[i] - 1
        self.di = [p[i + 1 + 2 * k] | p[i + 2 + 2 * k] << 8 for k in range(n // 2)]
        i += 1 + n
        n = p[i] - 1
        self.ai = [p[i + 1 + 2 * k] | p[i + 2 + 2 * k] << 8 for k in range(n // 2)]
        i += 1 + n
        n = p[i] - 1
        if n % 10 or i + 1 + n != len(p):
            raise ValueError("event section malformed: " + frame.hex())
        self.events = [p[i + 1 + 10 * k:i + 11 + 10 * k] for k in range(n // 10)]


def event_fields(raw):
    """Decode a 10-byte record (firmware dialect, §5.6-§5.11)."""
    t = raw[0] >> 6
    e = {"type": t, "addr": raw[0] & 0x1F, "calif": (raw[0] >> 5) & 1}
    e["date"] = (2000 + raw[2], raw[3], raw[4], raw[5], raw[6])
    if t == 1:
        e["code"] = (raw[1] >> 3) & 7
        e["channel"] = raw[1] & 7
        e["value"] = raw[7] << 16 | raw[9] << 8 | raw[8]
    else:
        e["second"] = raw[7]
        e["frac"] = raw[8] | raw[9] << 8
        if t == 0:
            e["status"], e["port"], e["bit"] = raw[1] >> 7, (raw[1] >> 4) & 7, raw[1] & 15
        else:
            e["code"], e["motive"] = raw[1] >> 4, raw[1] & 15
    return e


# --- TAP ---------------------------------------------------------------------


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, name))
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines():
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def skip(self, name, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, reason))
        sys.stdout.flush()

    def run(self, fn):
        """Run one test group (all, or those named in $SIM_TESTS); an
        exception is a failure, never a crash."""
        only = os.environ.get("SIM_TESTS")
        if only and fn.__name__ not in only.split(","):
            return
        try:
            fn(self)
        except Exception:
            self.ok(False, "%s raised" % fn.__name__, traceback.format_exc())

    def done(self):
        print("# %d tests, %d failed" % (self.n, self.failed))
        return 1 if self.failed else 0


# --- processes -----------------------------------------------------------------

TOP = os.environ.get("SMVE_TOP", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
BUILD = os.environ.get("SMVE_BUILD", os.path.join(TOP, "build"))
SIM = os.environ.get("SMVE_SIM", os.path.join(BUILD, "bin", "smve-sim"))
TMP = os.environ.get("SIM_TMP", "/tmp")


def run_sim(args, timeout=5):
    """Run smve-sim to completion (option checks); returns (rc, stdout, stderr)."""
    p = subprocess.run([SIM] + args, capture_output=True, timeout=timeout, text=True)
    return p.returncode, p.stdout, p.stderr


class Sim:
    """A running smve-sim; the first stdout line names its endpoint."""

    count = 0

    def __init__(self, args):
        Sim.count += 1
        self.stderr_path = os.path.join(TMP, "sim-%d-%d.stderr" % (os.getpid(), Sim.count))
        self.stderr = open(self.stderr_path, "w")
        self.p = subprocess.Popen([SIM] + args, stdout=subprocess.PIPE,
                                  stderr=self.stderr, stdin=subprocess.DEVNULL)
        r, _, _ = select.select([self.p.stdout], [], [], 5)
        if not r:
            self.p.kill()
            raise RuntimeError("smve-sim printed nothing: " + open(self.stderr_path).read())
        self.first = self.p.stdout.readline().decode().split()
        if len(self.first) != 2:
            raise RuntimeError("smve-sim did not start: " + open(self.stderr_path).read())

    def addr(self):
        host, port = self.first[1].rsplit(":", 1)
        return host, int(port)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Send @sig; returns the exit status (0 = clean shutdown)."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = -9
        self.stderr.close()
        return rc

    def log(self):
        return open(self.stderr_path).read()


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Link:
    """A byte stream to the simulator (TCP socket, unix socket or pty) with a
    tiny §2.4 framer: frames are found by SOF and QTY, not verified."""

    def __init__(self, fd, closer):
        self.fd = fd
        self.closer = closer
        self.buf = b""

    @classmethod
    def tcp(cls, addr):
        s = socket.create_connection(addr, timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        return cls(s.fileno(), s)

    @classmethod
    def unix(cls, path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.setblocking(False)
        return cls(s.fileno(), s)

    @classmethod
    def pty(cls, path):
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
        return cls(fd, None)

    def close(self):
        if self.closer is not None:
            self.closer.close()
        else:
            os.close(self.fd)

    def send(self, data):
        view = memoryview(bytes(data))
        while view:
            try:
                n = os.write(self.fd, view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [self.fd], [], 1)

    def read_some(self, timeout):
        """More bytes into the buffer; returns False on timeout, raises EOFError."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            d = os.read(self.fd, 4096)
        except BlockingIOError:
            return True
        except OSError as e:
            raise EOFError(str(e))
        if not d:
            raise EOFError("closed")
        self.buf += d
        return True

    def frame(self, timeout=2.0):
        """Next frame (bytes) or None on timeout; raises EOFError on close."""
        end = time.monotonic() + timeout
        while True:
            i = self.buf.find(b"\xfe")
            if i > 0:
                self.buf = self.buf[i:]
            elif i < 0:
                self.buf = b""
            if len(self.buf) >= 2 and 8 <= self.buf[1] <= 253 and len(self.buf) >= self.buf[1]:
                f, self.buf = self.buf[:self.buf[1]], self.buf[self.buf[1]:]
                return f
            if len(self.buf) >= 2 and not 8 <= self.buf[1] <= 253:
                self.buf = self.buf[1:]
                continue
            left = end - time.monotonic()
            if left <= 0 or not self.read_some(left):
                return None

    def drain(self, quiet=0.1):
        """Discard whatever arrives until the line is quiet for @quiet s."""
        while True:
            try:
                if not self.read_some(quiet):
                    break
            except EOFError:
                break
        self.buf = b""

    def ask(self, frame, timeout=2.0):
        self.send(frame)
        return self.frame(timeout)


def free_tmp(name):
    path = os.path.join(TMP, name)
    if os.path.exists(path):
        os.unlink(path)
    return path
