#!/usr/bin/env python3
"""server_common.py - shared by fdl-server's tests: start and stop a server
on a free loopback port (it picks one: --listen 127.0.0.1:0, and says which
on its first stdout line), HTTP through http.client, and the comparison of
served values with `fdlc batch` cells (bit for bit)."""
import http.client
import json
import math
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
from e2e_common import fail, fresh_dir, read_csv, run_fdlc  # noqa: E402,F401


class Server:
    """One fdl-server process; always stopped by stop() or kill()."""

    def __init__(self, binary, args, cwd, env=None, log=None):
        self.args = [binary] + args + ["--listen", "127.0.0.1:0"]
        # stderr to a file: a pipe nobody reads could fill and stop the server.
        self.log = log or os.path.join(cwd if os.path.isabs(cwd) else os.getcwd(), "fdl-server.log")
        self.log_file = open(self.log, "a")
        self.proc = subprocess.Popen(self.args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                     stderr=self.log_file, text=True)
        self.port = None
        self.first_line = ""
        self._wait_listening()

    def _wait_listening(self):
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            self.log_file.close()
            with open(self.log) as f:
                err = f.read()
            raise RuntimeError("fdl-server did not start (exit %s): %s" % (self.proc.returncode, err))
        self.first_line = line
        self.port = int(line.split("listening on 127.0.0.1:")[1].split()[0])

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """(status, parsed JSON or text) on a fresh or given connection."""
        own = conn is None
        conn = conn or self.connection()
        try:
            data = body if body is None or isinstance(body, (bytes, str)) or hasattr(body, "__next__") \
                else json.dumps(body)
            conn.request(method, path, body=data, headers=headers or {})
            response = conn.getresponse()
            raw = response.read().decode("utf-8")
            kind = response.getheader("Content-Type") or ""
            return response.status, json.loads(raw) if kind.startswith("application/json") else raw
        finally:
            if own:
                conn.close()

    def stop(self):
        """SIGTERM and wait: a clean stop. Its exit status (0, unless a
        sanitizer found something)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log_file.close()
        return self.proc.returncode

    def kill(self):
        """kill -9: a crash."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.log_file.close()


def stop_cleanly(srv):
    status = srv.stop()
    if status != 0:
        with open(srv.log) as f:
            fail("fdl-server exited %d on SIGTERM:\n%s" % (status, f.read()[-4000:]))


def same_cell(cell, value):
    """A training-set cell (text, None for null) against a served JSON value, bit for bit."""
    if value is None:
        return cell is None or cell == ""
    if cell is None or cell == "":
        return False
    if isinstance(value, bool):
        return cell == ("true" if value else "false")
    if isinstance(value, int):
        return cell == str(value)
    if isinstance(value, float):
        c = float(cell)
        return c == value and math.copysign(1.0, c) == math.copysign(1.0, value)
    if isinstance(value, list):
        items = json.loads(cell)
        return len(items) == len(value) and all(
            float(a) == float(b) and math.copysign(1.0, float(a)) == math.copysign(1.0, float(b))
            for a, b in zip(items, value))
    return cell == value


def table(path):
    """Header names and rows of cell texts (None for an unquoted empty cell)."""
    records = read_csv(path)
    header = [c.text for c in records[0]]
    return header, [[c.text if (c.text or c.quoted) else None for c in r] for r in records[1:]]


def compare_with_batch(srv, train_path, set_name, key_columns, time_column, conn=None, keep=None):
    """Reads every training-set row (those keep(record) accepts) through
    /get-online-features at its time and compares every feature value;
    returns the number of cells."""
    header, rows = table(train_path)
    cells = 0
    for i, row in enumerate(rows):
        record = dict(zip(header, row))
        if keep and not keep(record):
            continue
        body = {"feature_set": set_name, "as_of": record[time_column],
                "entities": {k: [record[k]] for k in key_columns}}
        status, answer = srv.request("POST", "/get-online-features", body, conn=conn)
        if status != 200:
            fail("row %d: status %d: %s" % (i, status, answer))
        names = answer["metadata"]["feature_names"]
        for name, result in zip(names, answer["results"]):
            if name in key_columns:
                continue
            if not same_cell(record[name], result["values"][0]):
                fail("row %d (%s): feature %s served %r, fdlc batch wrote %r" %
                     (i, record, name, result["values"][0], record[name]))
            cells += 1
    return cells
