#!/usr/bin/env python3
"""server_requests.py - what a client may send fdl-server, and its state dir.

1. A corpus of bad requests (malformed JSON and UTF-8, wrong shapes,
   unknown set/feature/source/field, wrong key count and types, oversize
   bodies, too many rows, wrong methods and paths, garbage on the socket,
   a client that stalls): each gets its 4xx with {"error": ...} naming the
   problem, the server stays up, its memory does not run away.
2. Auth: with --token-file, no/wrong/partial tokens get 401, the token 200.
3. History: without --keep-history, an as_of far behind the newest event
   is refused with a clear error.
4. The WAL: a torn last record is dropped and counted; a corrupt record
   elsewhere stops the start naming the file and offset; state written
   under other definitions is refused, and replayed with --rebuild.

    server_requests.py FDLC FDL_SERVER SEED_DIR WORK_DIR
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, fail, fresh_dir, stop_cleanly  # noqa: E402

ROW = {"ts": "2024-03-01T09:30:00Z", "user_id": "u0001", "product_id": "p0001", "amount": 19.99,
       "category": "food"}
GOOD_READ = {"feature_set": "ranking_v1", "entities": {"user_id": ["u0001"], "product_id": ["p0001"]}}


def expect(srv, method, path, body, status, words, headers=None):
    got, answer = srv.request(method, path, body, headers=headers)
    text = json.dumps(answer)
    if got != status or (words and (not isinstance(answer, dict) or "error" not in answer)):
        fail("%s %s %.200r: expected %d with an error, got %d %s" % (method, path, body, status, got, text))
    for w in words:
        if w not in answer["error"]:
            fail("%s %s %.200r: the error %r does not say %r" % (method, path, body, answer["error"], w))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raw(srv, data, read=True):
    """Bytes on a socket; what comes back (b"" when closed)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(data)
        if not read:
            return b""
        try:
            return s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            return b""


def bad_requests(srv):
    gf, push = "/get-online-features", "/push"
    corpus = [
        ("POST", gf, "{", 400, ["malformed JSON"]),
        ("POST", gf, "", 400, ["malformed JSON"]),
        ("POST", gf, "[1, 2]", 400, ["expected a JSON object"]),
        ("POST", gf, b'{"feature_set": "ranking_v1", "x": "\xff\xfe"}', 400, ["malformed JSON"]),
        ("POST", gf, "[" * 5000 + "]" * 5000, 400, ["malformed JSON"]),
        ("POST", gf, '{"feature_set": "a", "feature_set": "b"}', 400, ["malformed JSON"]),
        ("POST", gf, {"entities": {}}, 400, ["feature_set"]),
        ("POST", gf, {"feature_set": "nope", "entities": {}}, 400, ["unknown feature set 'nope'"]),
        ("POST", gf, {"feature_set": 3, "entities": {}}, 400, ["feature_set"]),
        ("POST", gf, {"features": ["nope"], "entities": {}}, 400, ["unknown feature"]),
        ("POST", gf, {"features": "user_purchase_count_30d"}, 400, ["features"]),
        ("POST", gf, {"feature_set": "ranking_v1"}, 400, ["entities"]),
        ("POST", gf, {"feature_set": "ranking_v1", "entities": {"user_id": ["u1"]}}, 400, ["product_id", "missing"]),
        ("POST", gf, {"feature_set": "ranking_v1", "entities": {"user_id": ["u1", "u2"], "product_id": ["p1"]}},
         400, ["product_id", "1 values"]),
        ("POST", gf, {"feature_set": "ranking_v1", "entities": {"user_id": [1], "product_id": ["p1"]}},
         400, ["user_id[0]", "string"]),
        ("POST", gf, {"feature_set": "ranking_v1", "entities": {"user_id": "u1", "product_id": ["p1"]}},
         400, ["user_id", "array"]),
        ("POST", gf, {"feature_set": "ranking_v1", "entities": {"user_id": ["u1"], "product_id": ["p1"], "x": [1]}},
         400, ["'x' is not a key column"]),
        ("POST", gf, dict(GOOD_READ, request={"nope": [1]}), 400, ["unknown request field 'nope'"]),
        ("POST", gf, dict(GOOD_READ, as_of="yesterday"), 400, ["as_of"]),
        ("POST", gf, dict(GOOD_READ, as_of=[1]), 400, ["as_of"]),
        ("POST", gf, {"feature_set": "ranking_v1",
                      "entities": {"user_id": ["u"] * 101, "product_id": ["p"] * 101}}, 400, ["--max-rows"]),
        ("POST", push, "{", 400, ["malformed JSON"]),
        ("POST", push, {"rows": [ROW]}, 400, ["source"]),
        ("POST", push, {"source": "nope", "rows": [ROW]}, 400, ["unknown source 'nope'"]),
        ("POST", push, {"source": "purchases"}, 400, ["rows", "csv"]),
        ("POST", push, {"source": "purchases", "rows": [ROW], "csv": "a"}, 400, ["either"]),
        ("POST", push, {"source": "purchases", "rows": {"a": 1}}, 400, ["rows"]),
        ("POST", push, {"source": "purchases", "rows": [ROW] * 101}, 413, ["--max-rows"]),
        ("POST", push, {"source": "purchases", "csv": "nope,ts\n1,2\n"}, 400, ["'nope' is not a field"]),
        ("POST", push, {"source": "purchases", "csv": ""}, 400, ["header"]),
        ("POST", push, "x" * 70000, 413, ["--max-body"]),
        ("GET", push, None, 405, ["POST"]),
        ("POST", "/health", "{}", 405, ["GET"]),
        ("GET", "/nope", None, 404, ["no such endpoint"]),
        ("DELETE", "/metrics", None, 405, ["GET"]),
    ]
    for method, path, body, status, words in corpus:
        expect(srv, method, path, body, status, words)
    # Row-level problems: the push answers 200 and names each row.
    status, answer = srv.request("POST", push, {"source": "purchases", "rows": [
        ROW, {"ts": "x"}, {"nope": 1}, {"ts": {"a": 1}}, 7, dict(ROW, amount="abc")]})
    if status != 200 or answer["accepted"] != 1 or answer["failed"] != 5 or \
            [e["row"] for e in answer["errors"]] != [1, 2, 3, 4, 5]:
        fail("row errors: %d %s" % (status, answer))
    if "unknown field 'nope'" not in answer["errors"][1]["message"]:
        fail("row errors: %s" % answer)
    status, answer = srv.request("POST", push, {"source": "purchases",
                                                "csv": "ts,user_id\n2024-03-01T00:00:00Z,u1\n\"x,1\n"})
    if status != 200 or answer["accepted"] != 1 or answer["failed"] != 1:
        fail("CSV with a broken quote: %d %s" % (status, answer))
    # Line endings: \n, \r\n and a lone \r all end a record; blank lines are skipped.
    for ending in ["\n", "\r\n", "\r"]:
        text = ending.join(["ts,user_id,amount", "2024-03-01T00:00:00Z,u1,1.5", "", "2024-03-01T00:00:01Z,u2,\"2\""])
        status, answer = srv.request("POST", push, {"source": "purchases", "csv": text})
        if status != 200 or answer["accepted"] != 2 or answer["failed"] != 0:
            fail("CSV with %r line endings: %d %s" % (ending, status, answer))
    # An announced body over the limit is refused before it is sent.
    reply = raw(srv, b"POST /push HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
    if b" 413 " not in reply.split(b"\r\n")[0]:
        fail("announced oversize body: %r" % reply[:200])
    # Garbage and oversize headers on the socket.
    for data in [b"\x00\x01\x02garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"GET /health HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 100000 + b"\r\n\r\n",
                 b"POST /push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]:
        reply = raw(srv, data)
        if reply and not (reply.startswith(b"HTTP/1.1 4") or reply.startswith(b"HTTP/1.1 505")):
            fail("garbage %r answered %r" % (data[:30], reply[:100]))
    # Chunked bodies are bodies.
    # (http.client sends an iterator chunked)
    status, answer = srv.request("POST", push, iter([json.dumps({"source": "purchases", "rows": [ROW]}).encode()]))
    if status != 200 or answer["accepted"] != 1:
        fail("chunked push: %d %s" % (status, answer))


def memory_bounded(srv):
    """Hundreds of bad and big requests: the server's memory stays put."""
    before = rss_kib(srv.proc.pid)
    big = json.dumps({"source": "purchases", "rows": [ROW] * 100})
    for i in range(300):
        srv.request("POST", "/push", "x" * 60000 if i % 3 == 0 else "{" * 20000)
        srv.request("POST", "/get-online-features", big)
    after = rss_kib(srv.proc.pid)
    if after - before > 64 * 1024:
        fail("memory grew from %d to %d KiB over 600 bad requests" % (before, after))
    return before, after


def stalled_client(srv):
    """A client that sends half a request and stops is cut off (--timeout 2)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"POST /push HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        began = time.time()
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        if data or time.time() - began > 8:
            fail("a stalled client was not cut off in time (%r after %.1f s)" % (data, time.time() - began))


def auth(server, defs, seed, env, work):
    token = os.path.join(work, "token")
    with open(token, "w") as f:
        f.write("s3cret-token\n")
    srv = Server(server, defs + ["--data", os.path.join(work, "auth"), "--token-file", token], cwd=seed, env=env,
                 log=os.path.join(work, "fdl-server.log"))
    try:
        for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer s3cret"},
                        {"Authorization": "Bearer s3cret-token-and-more"}, {"Authorization": "s3cret-token"},
                        {"Authorization": "Basic s3cret-token"}, {"Authorization": "Bearer "}]:
            for path in ["/health", "/metrics"]:
                status, answer = srv.request("GET", path, headers=headers)
                if status != 401 or "bearer token" not in answer["error"]:
                    fail("auth %r %s: %d %s" % (headers, path, status, answer))
            expect(srv, "POST", "/push", {"source": "purchases", "rows": [ROW]}, 401, ["bearer"], headers)
        good = {"Authorization": "Bearer s3cret-token"}
        status, _ = srv.request("GET", "/health", headers=good)
        status2, answer = srv.request("POST", "/push", {"source": "purchases", "rows": [ROW]}, headers=good)
        if status != 200 or status2 != 200 or answer["accepted"] != 1:
            fail("auth with the token: %d %d %s" % (status, status2, answer))
    finally:
        stop_cleanly(srv)


def history(server, defs, seed, env, work):
    srv = Server(server, defs + ["--data", os.path.join(work, "history")], cwd=seed, env=env,
                 log=os.path.join(work, "fdl-server.log"))
    try:
        srv.request("POST", "/push", {"source": "purchases", "rows": [ROW]})
        expect(srv, "POST", "/get-online-features", dict(GOOD_READ, as_of="2023-01-01T00:00:00Z"), 400,
               ["evicted", "keep_history"])
        status, answer = srv.request("POST", "/get-online-features", dict(GOOD_READ, as_of="2024-03-02T00:00:00Z"))
        if status != 200 or answer["results"][2]["values"] != [1]:
            fail("read after the push: %d %s" % (status, answer))
    finally:
        stop_cleanly(srv)


def start_fails(server, args, seed, env, words):
    proc = subprocess.run([server] + args + ["--listen", "127.0.0.1:0"], cwd=seed, env=env,
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 2 or not all(w in proc.stderr for w in words):
        fail("expected a refused start saying %r: exit %d, %s" % (words, proc.returncode, proc.stderr))


def wal_states(server, defs, seed, env, work):
    data = os.path.join(work, "wal")
    args = defs + ["--data", data]
    log = os.path.join(work, "fdl-server.log")
    srv = Server(server, args, cwd=seed, env=env, log=log)
    for i in range(3):
        srv.request("POST", "/push", {"source": "purchases", "rows": [dict(ROW, amount=i + 1.5)]})
    stop_cleanly(srv)
    segments = sorted(os.listdir(os.path.join(data, "wal")))
    first = os.path.join(data, "wal", segments[0])
    pristine = open(first, "rb").read()
    # A torn last record: half of one appended to the last segment.
    with open(os.path.join(data, "wal", segments[-1]), "ab") as f:
        f.write(pristine[80:80 + 20])
    srv = Server(server, args, cwd=seed, env=env, log=log)
    if "recovered 3 rows in 3 records, 1 torn" not in srv.first_line:
        fail("torn last record: %s" % srv.first_line)
    stop_cleanly(srv)
    # A flipped byte in the first record: an error naming file and offset.
    damaged = bytearray(pristine)
    damaged[80 + 20] ^= 0x40
    with open(first, "wb") as f:
        f.write(damaged)
    start_fails(server, args, seed, env, [segments[0], "offset 80", "checksum"])
    with open(first, "wb") as f:
        f.write(pristine)
    # Other definitions: refused, then --rebuild replays under them.
    other = os.path.join(work, "other.yaml")
    with open(defs[1]) as f:
        text = f.read()
    with open(other, "w") as f:
        f.write(text.replace("window: 30d", "window: 31d"))
    start_fails(server, [defs[0], other, "--data", data], seed, env, ["other definitions", "--rebuild"])
    srv = Server(server, [defs[0], other, "--data", data, "--rebuild"], cwd=seed, env=env, log=log)
    if "recovered 3 rows" not in srv.first_line:
        fail("--rebuild: %s" % srv.first_line)
    stop_cleanly(srv)
    srv = Server(server, [defs[0], other, "--data", data], cwd=seed, env=env, log=log)
    stop_cleanly(srv)
    # One server per data directory.
    srv = Server(server, [defs[0], other, "--data", data], cwd=seed, env=env, log=log)
    try:
        start_fails(server, [defs[0], other, "--data", data], seed, env, ["another fdl-server"])
    finally:
        stop_cleanly(srv)


def main():
    fdlc, server, seed, work = (os.path.abspath(a) for a in sys.argv[1:5])
    fresh_dir(work)
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    env["FDLC"] = fdlc
    # Under AddressSanitizer freed memory waits in a quarantine (256 MB by
    # default), which would read as growth: keep it small here.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4").lstrip(":")
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    srv = Server(server, defs + ["--data", os.path.join(work, "data"), "--keep-history", "--max-body", "65536",
                                 "--max-rows", "100", "--timeout", "2"], cwd=seed, env=env,
                 log=os.path.join(work, "fdl-server.log"))
    try:
        bad_requests(srv)
        before, after = memory_bounded(srv)
        stalled_client(srv)
        status, _ = srv.request("GET", "/health")
        if status != 200:
            fail("the server is not healthy after the corpus")
        status, metrics = srv.request("GET", "/metrics")
        if 'fdl_request_errors_total{endpoint="/push"}' not in metrics:
            fail("metrics: %s" % metrics[:500])
    finally:
        stop_cleanly(srv)
    auth(server, defs, seed, env, work)
    history(server, defs, seed, env, work)
    wal_states(server, defs, seed, env, work)
    print("ok: the bad-request corpus, auth, history, torn/corrupt/other-definitions WAL (RSS %d -> %d KiB)"
          % (before, after))


if __name__ == "__main__":
    main()
