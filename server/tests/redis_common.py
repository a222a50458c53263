#!/usr/bin/env python3
"""redis_common.py - shared by fdl-server's Redis stream tests: a
redis-server of the test's own (a free loopback port, no persistence, in
a temporary directory; always killed), a tiny RESP2 client (standard
library sockets), the seed's events as stream entries, and waiting until
a consumer group has taken and acknowledged everything."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import fail, table  # noqa: E402

SKIP = 77       # ctest's SKIP_RETURN_CODE for these tests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    """Commands and pipelines over one connection; replies as Python values
    (errors raised as RuntimeError)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("RESP: unexpected %r" % line)

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self.encode(c) for c in commands))
        replies = [self._reply() for _ in commands]
        for r in replies:
            if isinstance(r, RuntimeError):
                raise r
        return replies

    def command(self, *args):
        return self.pipeline([args])[0]


class RedisServer:
    """redis-server on a free loopback port; stop() always kills it."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if not binary:
            print("SKIP: redis-server is not installed (scripts/install-deps.sh installs it)")
            sys.exit(SKIP)
        self.dir = tempfile.mkdtemp(prefix="fdl-redis-")
        for attempt in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no", "--dir", self.dir,
                                          "--daemonize", "no", "--protected-mode", "yes"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    r = Resp(self.port)
                    if r.command("PING") == "PONG":
                        r.close()
                        return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("redis-server did not start")

    def address(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def seed_entries(seed):
    """{source: [[field, value, ...], ...]} of the seed's events in file
    order; an empty cell is a missing field (null)."""
    out = {}
    for source in ("purchases", "orders"):
        header, rows = table(os.path.join(seed, "data", source + ".csv"))
        out[source] = [[x for k, v in zip(header, row) if v is not None for x in (k, v)] for row in rows]
    return out


def xadd(client, key, entries):
    """XADD with IDs Redis makes, pipelined; the IDs."""
    return client.pipeline([["XADD", key, "*"] + e for e in entries])


def group_state(client, key, group):
    """(lag, pending, entries read) of group on key; None when it is not there yet."""
    try:
        groups = client.command("XINFO", "GROUPS", key)
    except RuntimeError:
        return None
    for g in groups:
        info = dict(zip(g[0::2], g[1::2]))
        if info.get("name") == group:
            return info.get("lag"), info.get("pending"), info.get("entries-read")
    return None


def wait_drained(client, keys, group, timeout=60):
    """Until group has read and acknowledged every entry of keys."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        states = [group_state(client, k, group) for k in keys]
        if all(s is not None and s[0] == 0 and s[1] == 0 for s in states):
            return
        time.sleep(0.1)
    fail("group %s did not take every entry within %d s: %r" % (group, timeout, states))


def metric(srv, name):
    """The sum of a metric's series (by prefix) from /metrics."""
    status, text = srv.request("GET", "/metrics")
    if status != 200:
        fail("/metrics: %d" % status)
    total, seen = 0.0, False
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
            seen = True
    if not seen:
        fail("/metrics has no %s" % name)
    return total
