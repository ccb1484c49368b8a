#!/usr/bin/env python3
"""Load and scale of `hallmark serve` (issue 20): byBinding lookups a second
and their p50/p99 latency at 16 and 64 concurrent clients, with N registered
PDQ hashes, on SQLite and on PostgreSQL (one serve process, and two sharing
the database); memory per hash; and optionally a soak of mixed reads and
writes. A benchmark, never part of .ci/run.

The data: three real signed files registered with `hallmark registry add`
(their manifest stores are what every match leads to), then N synthetic PDQ
bindings (uniformly random 256-bit values) bulk-loaded straight into the
database, each bound to one of the three. Queries: half are loaded values
with 0-8 bits flipped (hits), half random values (misses: nothing within 31
bits, the whole multi-index probed).

The load generator (server/examples/sbr_load.rs, std threads on keep-alive
connections) runs on the same machine: on 2 cores it competes with the
server, so its CPU share is printed beside each figure.

Usage:
    python3 bench/serve_load.py [--n 1000000] [--backend sqlite,postgres]
        [--seconds 15] [--clients 16,64] [--soak SECONDS] [--no-build]

Builds `cargo build --release -p hallmark-cli` and the example (skip with
--no-build). PostgreSQL: Debian's postgresql, a throwaway server started
with scripts/pg-server.sh. Writes bench-out/serve_load.json.
"""

import argparse
import base64
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/hallmark")
LOAD = os.path.join(ROOT, "target/release/examples/sbr_load")
TRUST = os.path.join(ROOT, "fixtures/keys/newsroom/root.pem")
SIGNED = [os.path.join(ROOT, "fixtures/signed", f) for f in ("newsroom.jpg", "newsroom.png", "newsroom.webp")]
TOKEN = "bench-writer-token-0123456789"
PDQ = "org.hallmark.pdq"


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def register(db):
    subprocess.run([BIN, "registry", "add", "--db", db, "--trust", TRUST, *SIGNED],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "HALLMARK_CONFIG_DIR": "/nonexistent"})


def values(n, seed):
    """n random 32-byte values, in chunks, and the first 1,000 kept for queries."""
    rng = random.Random(seed)
    kept = []
    left = n
    while left:
        k = min(left, 100_000)
        chunk = [rng.randbytes(32) for _ in range(k)]
        if len(kept) < 1000:
            kept.extend(chunk[: 1000 - len(kept)])
        left -= k
        yield chunk, kept


def load_sqlite(db, n, seed):
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("SELECT id FROM manifests ORDER BY id")]
    kept = []
    for chunk, kept in values(n, seed):
        conn.executemany("INSERT INTO bindings (alg, value, entry_id) VALUES (?, ?, ?)",
                         ((PDQ, v, ids[i % len(ids)]) for i, v in enumerate(chunk)))
    conn.commit()
    conn.close()
    return kept


def psql(url, sql=None, stdin=None):
    cmd = ["psql", "-q", "-v", "ON_ERROR_STOP=1", url]
    if sql:
        cmd += ["-c", sql]
    return subprocess.run(cmd, input=stdin, check=True, capture_output=True)


def load_postgres(url, n, seed):
    out = psql(url, "COPY (SELECT id FROM manifests ORDER BY id) TO STDOUT").stdout
    ids = [int(x) for x in out.split()]
    kept = []
    proc = subprocess.Popen(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                             "COPY bindings (alg, value, entry_id) FROM STDIN"], stdin=subprocess.PIPE)
    for chunk, kept in values(n, seed):
        proc.stdin.write("".join(f"{PDQ}\t\\\\x{v.hex()}\t{ids[i % len(ids)]}\n"
                                 for i, v in enumerate(chunk)).encode())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("COPY failed")
    psql(url, "ANALYZE")
    return kept


def queries(kept, path, seed):
    rng = random.Random(seed + 1)
    lines = []
    for i in range(1000):
        if i % 2 == 0:
            v = bytearray(kept[i % len(kept)])
            for bit in rng.sample(range(256), rng.randint(0, 8)):
                v[bit // 8] ^= 1 << (bit % 8)
            v = bytes(v)
        else:
            v = rng.randbytes(32)
        lines.append(f"{PDQ} {base64.b64encode(v).decode()}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Serve:
    def __init__(self, db, tokens):
        t = time.monotonic()
        self.proc = subprocess.Popen(
            [BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--rate-limit", "0",
             "--trust", TRUST, "--tokens", tokens, "--refresh", "5"],
            stderr=subprocess.PIPE, text=True, env={**os.environ, "HALLMARK_CONFIG_DIR": "/nonexistent"})
        line = self.proc.stderr.readline()
        self.ready_s = time.monotonic() - t
        if "http://" not in line:
            raise SystemExit(f"serve did not start: {line}{self.proc.stderr.read()}")
        self.addr = line.split("http://")[1].split("/")[0]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def run_load(servers, qfile, clients, seconds, extra=()):
    cpu0 = [cpu_seconds(s.proc.pid) for s in servers]
    args = [LOAD, "--queries", qfile, "--clients", str(clients), "--seconds", str(seconds), *extra]
    for s in servers:
        args += ["--addr", s.addr]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    if done.stderr:
        log(done.stderr.strip())
    r = json.loads(done.stdout.strip().splitlines()[-1])
    server_cpu = sum(cpu_seconds(s.proc.pid) - c for s, c in zip(servers, cpu0))
    total = server_cpu + r["load_cpu_s"]
    r["server_cpu_s"] = round(server_cpu, 2)
    r["load_cpu_share"] = round(r["load_cpu_s"] / total, 3) if total else 0.0
    return r


def bench_backend(backend, n, args, work, results):
    tokens = os.path.join(work, "tokens")
    with open(tokens, "w") as f:
        f.write(f"{TOKEN} store:bindings store:manifests fetch:manifests\n")
    os.chmod(tokens, 0o600)
    if backend == "sqlite":
        db = os.path.join(work, f"registry-{n}.db")
        if os.path.exists(db):
            os.remove(db)
        empty = os.path.join(work, "empty.db")
        for path in (db, empty):
            register(path)
        t = time.monotonic()
        kept = load_sqlite(db, n, args.seed)
        load_s = time.monotonic() - t
    else:
        pgdir = tempfile.mkdtemp(prefix="hallmark-bench-pg.")
        base = subprocess.run(["bash", os.path.join(ROOT, "scripts/pg-server.sh"), pgdir, str(free_port()),
                               str(os.getpid())], check=True, capture_output=True, text=True).stdout.strip()
        psql(base, "CREATE DATABASE bench")
        psql(base, "CREATE DATABASE empty")
        root = base.rsplit("/", 1)[0]
        db, empty = f"{root}/bench", f"{root}/empty"
        for url in (db, empty):
            register(url)
        t = time.monotonic()
        kept = load_postgres(db, n, args.seed)
        load_s = time.monotonic() - t
    log(f"{backend}: {n:,} bindings bulk-loaded in {load_s:.1f} s")
    qfile = os.path.join(work, "queries.txt")
    queries(kept, qfile, args.seed)

    base_serve = Serve(empty, tokens)
    time.sleep(1)
    base_rss = rss_mib(base_serve.proc.pid)
    base_serve.stop()

    layouts = [1] if backend == "sqlite" else [1, 2]
    for count in layouts:
        servers = [Serve(db, tokens) for _ in range(count)]
        time.sleep(1)
        rss = [rss_mib(s.proc.pid) for s in servers]
        per_hash = (rss[0] - base_rss) * 1024 * 1024 / n
        log(f"{backend} x{count}: ready in {servers[0].ready_s:.1f} s, RSS {rss[0]:.0f} MiB "
            f"({per_hash:.0f} bytes a hash over the empty registry's {base_rss:.0f} MiB)")
        for clients in args.clients:
            r = run_load(servers, qfile, clients, args.seconds)
            r.update(backend=backend, servers=count, n=n, ready_s=round(servers[0].ready_s, 1),
                     rss_mib=round(rss[0], 1), bytes_per_hash=round(per_hash, 1), bulk_load_s=round(load_s, 1))
            results.append(r)
            log(f"{backend} x{count}, {clients} clients: {r['rps']:.0f} lookups/s, p50 {r['p50_ms']:.2f} ms, "
                f"p99 {r['p99_ms']:.2f} ms, errors {r['errors']}, generator's CPU share {r['load_cpu_share']:.0%}")
        if args.soak and count == layouts[-1]:
            soak(servers, qfile, args, results, backend, n)
        for s in servers:
            s.stop()


def soak(servers, qfile, args, results, backend, n):
    """Mixed reads and writes (a binding written every 20th request) for
    args.soak seconds, in 10 s rounds: errors, and the servers' RSS at each round."""
    mid = psql_or_sqlite_manifest_id(args, backend)
    rounds, samples, errors, requests, writes = max(1, args.soak // 10), [], 0, 0, 0
    for _ in range(rounds):
        r = run_load(servers, qfile, 16, 10, ["--write-every", "20", "--token", TOKEN, "--manifest-id", mid])
        errors += r["errors"]
        requests += r["requests"]
        writes += r["writes"]
        samples.append(round(sum(rss_mib(s.proc.pid) for s in servers), 1))
    out = dict(backend=backend, servers=len(servers), n=n, soak_s=rounds * 10, requests=requests,
               writes=writes, errors=errors, rss_mib_first=samples[0], rss_mib_last=samples[-1],
               rss_mib_max=max(samples))
    results.append(out)
    if errors:
        log(f"WARNING: {errors} requests of the soak failed")
    log(f"soak {backend} x{len(servers)}: {requests:,} requests ({writes:,} writes) in {rounds * 10} s, "
        f"errors {errors}, RSS {samples[0]} -> {samples[-1]} MiB (max {max(samples)})")


_MANIFEST_IDS = {}


def psql_or_sqlite_manifest_id(args, backend):
    return _MANIFEST_IDS[backend]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--backend", default="sqlite,postgres")
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--clients", default="16,64")
    p.add_argument("--soak", type=int, default=0, help="seconds of mixed reads and writes (e.g. 600)")
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--no-build", action="store_true")
    args = p.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    if not args.no_build:
        log("cargo build --release -p hallmark-cli, and the load generator")
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "hallmark-cli"], check=True, cwd=ROOT)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "hallmark-server", "--example", "sbr_load"],
                       check=True, cwd=ROOT)
    if not shutil.which("psql") and "postgres" in args.backend:
        raise SystemExit("psql not found: install Debian's postgresql")
    out_dir = os.path.join(ROOT, "bench-out")
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hallmark-serve-load.")
    # The manifest ids the soak binds to: the first registered file's.
    results = []
    try:
        for backend in args.backend.split(","):
            if args.soak:
                probe = os.path.join(work, "probe.db")
                register(probe)
                _MANIFEST_IDS[backend] = sqlite3.connect(probe).execute(
                    "SELECT manifest_id FROM manifests ORDER BY id LIMIT 1").fetchone()[0]
            bench_backend(backend, args.n, args, work, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(out_dir, "serve_load.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"\n{'backend':9} {'serve':5} {'hashes':>11} {'clients':>7} {'lookups/s':>10} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6} {'gen. CPU':>8} {'B/hash':>7} {'ready s':>7}")
    for r in results:
        if "rps" in r:
            print(f"{r['backend']:9} {r['servers']:5} {r['n']:>11,} {r['clients']:>7} {r['rps']:>10.0f} "
                  f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6} {r['load_cpu_share']:>8.0%} "
                  f"{r['bytes_per_hash']:>7.0f} {r['ready_s']:>7.1f}")
        else:
            print(f"soak: {r}")


if __name__ == "__main__":
    main()
