"""Throughput and latency of the marketplace's public read paths, beside a bare-Flask baseline.

    .venv/bin/python bench/read_paths.py [--requests N] [--concurrency C] [--database-url URL]

What it does, all on 127.0.0.1 and all torn down at the end (even on error or Ctrl-C):

1. Prepares a fresh database: SQLite in a temporary directory by default, or the
   given PostgreSQL URL (which must point at an empty database), with
   ``flask db upgrade`` and ``flask seed-demo``.
2. Starts the marketplace under gunicorn (``-c python:marketplace.gunicorn_conf
   wsgi:app``) and, as the baseline, ``bench/baseline_app.py`` under the same
   settings, each on a free port.
3. Grows the catalog to ``--products`` products through the public API: signs up a
   brand account, gets a token, creates brands and POSTs products.
4. Counts the SQL statements of each path (``bench/query_counts.py``, in-process).
5. Loads each path with a closed-loop client: ``--concurrency`` threads, each with
   its own keep-alive ``http.client`` connection, a fixed number of requests after a
   warm-up, and a hard time cap. The requests are split into interleaved rounds
   (baseline, the five paths, baseline, the five paths, ...) so the machine's drift
   touches every row alike; ratios divide by the baseline's overall req/s.
6. Prints the parameters and one table row per path.

The machine it was written for has 2 shared, noisy cores: absolute figures move from
run to run, which is why every figure is printed beside a baseline from the same run.
The client runs on the same cores as the servers and takes part of them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project: wsgi.py, marketplace/, migrations/
HOST = "127.0.0.1"
BENCH_PASSWORD = "bench-password-123"

# (label, server, path): the paths the benchmark loads, in order. "baseline" is bench/baseline_app.py.
ENDPOINTS = [
    ("GET /healthz", "app", "/healthz"),
    ("GET storefront maya-kitchen", "app", "/api/v1/storefronts/maya-kitchen"),
    ("GET products?q=pan&page_size=20", "app", "/api/v1/products?q=pan&page_size=20"),
    ("GET products?sort=-price&page=5&page_size=50", "app", "/api/v1/products?sort=-price&page=5&page_size=50"),
    ("GET /products/1", "app", "/api/v1/products/1"),
]
BASELINE = ("baseline GET / (bare Flask)", "baseline", "/")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- HTTP client


class Connection(http.client.HTTPConnection):
    """A keep-alive connection that counts how often it had to (re)connect.

    http.client reopens the socket by itself when the server closed it (gunicorn's
    sync workers answer ``Connection: close``), so the count shows whether keep-alive
    was in effect. With sync workers every request is a new TCP connection, and the
    server, closing first, would leave each one in TIME_WAIT for 60 s: a run makes
    ~17,000 connections, so two runs in a row would run out of loopback ephemeral
    ports (28,000 by default) and fail with EADDRNOTAVAIL. Closing with SO_LINGER 0
    (an RST once the response is read) ends those connections without TIME_WAIT.
    """

    def __init__(self, port: int, timeout: float, counter: list[int]):
        super().__init__(HOST, port, timeout=timeout)
        self._counter = counter

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._counter[0] += 1


def call(conn: Connection, method: str, path: str, body: dict | None = None, token: str | None = None):
    """One request; returns ``(status, body bytes)``. Raises on connection errors."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    except Exception:
        conn.close()  # the next request starts on a fresh socket
        raise
    return response.status, payload


@dataclass
class LoadResult:
    label: str
    planned: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per request sent (failed ones too)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall: float = 0.0
    capped: bool = False
    connects: int = 0
    client_cpu: float = 0.0  # seconds of this process's CPU during the run
    bytes_per_response: int = 0

    def add(self, other: "LoadResult") -> None:
        """Fold another run of the same endpoint into this one (times and counts add up)."""
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.error_samples.extend(other.error_samples[: max(0, 5 - len(self.error_samples))])
        self.wall += other.wall
        self.capped = self.capped or other.capped
        self.connects += other.connects
        self.client_cpu += other.client_cpu
        self.bytes_per_response = self.bytes_per_response or other.bytes_per_response

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.done / self.wall if self.wall else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile over every request sent (failed ones count their time to failure), in ms."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000


def run_load(label: str, port: int, path: str, requests: int, concurrency: int, time_cap: float,
             timeout: float) -> LoadResult:
    """Closed loop: ``concurrency`` threads send ``requests`` GETs in total, stopping at ``time_cap``."""
    result = LoadResult(label, requests)
    lock = threading.Lock()
    issued = [0]
    connects = [0]
    sizes: list[int] = []
    start_barrier = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker() -> None:
        conn = Connection(port, timeout, connects)
        local: list[float] = []
        try:
            start_barrier.wait()
            while True:
                with lock:
                    if issued[0] >= requests:
                        break
                    if time.perf_counter() >= deadline[0]:
                        result.capped = True
                        break
                    issued[0] += 1
                started = time.perf_counter()
                try:
                    status, payload = call(conn, "GET", path)
                except Exception as exc:  # refused, reset, timed out: an error, and go on
                    local.append(time.perf_counter() - started)
                    with lock:
                        result.errors += 1
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"{type(exc).__name__}: {exc}")
                    continue
                local.append(time.perf_counter() - started)
                if status != 200:
                    with lock:
                        result.errors += 1
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"HTTP {status}: {payload[:200]!r}")
                elif not sizes:
                    sizes.append(len(payload))
        finally:
            conn.close()
            with lock:
                result.latencies.extend(local)

    threads = [threading.Thread(target=worker, daemon=True, name=f"load-{i}") for i in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = sum(os.times()[:2])
    deadline[0] = time.perf_counter() + time_cap
    began = time.perf_counter()
    start_barrier.wait()
    for thread in threads:
        # Each thread stops by itself at the cap; a request can still take up to `timeout`.
        thread.join(timeout=max(0.0, deadline[0] - time.perf_counter()) + timeout + 5)
    result.wall = time.perf_counter() - began
    result.client_cpu = sum(os.times()[:2]) - cpu_before
    result.connects = connects[0]
    result.bytes_per_response = sizes[0] if sizes else 0
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        log(f"warning: {label}: threads still running after the cap: {', '.join(stuck)}")
    return result


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _no_control_socket() -> list[str]:
    """Recent gunicorn (27 here) opens a control socket at ~/.gunicorn/gunicorn.ctl by default: two servers
    would share that path, and it writes under $HOME. It plays no part in serving requests: both go without."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


class Server:
    """A gunicorn arbiter we started, in its own process group, logging to a file."""

    def __init__(self, name: str, app_spec: str, env: dict[str, str], log_path: Path):
        self.name = name
        self.port = free_port()
        self.log_path = log_path
        env = {**env, "GUNICORN_BIND": f"{HOST}:{self.port}"}
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:marketplace.gunicorn_conf", *_no_control_socket(), app_spec],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        counter = [0]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited with {self.proc.returncode}:\n{self.log_tail()}")
            conn = Connection(self.port, 5, counter)
            try:
                status, _ = call(conn, "GET", path)
                if status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} server not ready after {timeout}s:\n{self.log_tail()}")

    def worker_boots(self) -> int:
        return self.log_path.read_text(errors="replace").count("Booting worker")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to the arbiter: graceful shutdown of its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)  # our own session: arbiter and its workers
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self._log.close()


def run_flask(args: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if completed.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout.strip()


def analyze_postgres(url: str) -> None:
    """Refresh the planner's statistics after the bulk load, as autovacuum would soon do by itself;
    without it the plans could change in the middle of the run when autovacuum gets there."""
    from sqlalchemy import create_engine, text

    from marketplace.config import normalize_database_url

    engine = create_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def check_postgres_empty(url: str) -> str:
    """Refuse a database that has tables (the benchmark needs a fresh one); returns the server version."""
    from sqlalchemy import create_engine, inspect, text

    from marketplace.config import normalize_database_url

    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(
            f"{url} already has tables ({', '.join(sorted(tables)[:5])}...): the benchmark needs an empty database.\n"
            "Recreate it, e.g.: psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS bench_db' "
            "-c 'CREATE DATABASE bench_db'"
        )
    return f"PostgreSQL {version}"


# ---------------------------------------------------------------- catalog data

ADJECTIVES = ["Cast iron", "Enamelled", "Walnut", "Linen", "Stoneware", "Copper", "Bamboo", "Wool", "Recycled",
              "Handmade", "Compact", "Travel", "Heavy-duty", "Organic", "Waxed", "Insulated", "Folding", "Vintage"]
NOUNS = ["skillet", "saucepan", "frying pan", "dutch oven", "mug", "teapot", "tote bag", "notebook", "blanket",
         "backpack", "water bottle", "lantern", "cutting board", "spatula", "apron", "candle", "planter", "journal",
         "tent", "scarf", "panini press", "bread knife", "colander", "spice tin"]
WORDS = ["durable", "everyday", "gift", "kitchen", "outdoor", "small batch", "sustainable", "classic", "lightweight",
         "hand-stitched", "locally made", "easy to clean", "lifetime warranty", "dishwasher safe"]
# "pan" is in 3 of the 24 nouns (saucepan, frying pan, panini press): q=pan matches 220 of 2,000 products.


def product_specs(count: int, seed: int = 42):
    rng = random.Random(seed)
    for n in range(count):
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} #{n}"
        yield {
            "title": title,
            "description": ", ".join(rng.sample(WORDS, 3)).capitalize() + ".",
            "image_urls": [f"https://images.example/bench/{n}.jpg"],
            "price": rng.randrange(500, 50_000),
            "currency": "USD",
            "sku": f"BENCH-{n:05d}",
            "stock": rng.choice([0, rng.randrange(1, 300)]),
            "commission_bps": rng.choice([None, rng.randrange(500, 2500)]),
        }


def fetch(port: int, path: str) -> bytes:
    conn = Connection(port, 30, [0])
    try:
        status, payload = call(conn, "GET", path)
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}: {payload[:300]!r}")
    return payload


def grow_catalog(port: int, target: int, brands: int, concurrency: int, time_cap: float = 300) -> int:
    """Sign up a brand account, create ``brands`` brands and POST products until ``target`` exist."""
    counter = [0]
    deadline = time.monotonic() + time_cap
    conn = Connection(port, 60, counter)

    def expect(status_payload, wanted: int, what: str) -> dict:
        status, payload = status_payload
        if status != wanted:
            raise RuntimeError(f"{what}: HTTP {status}: {payload[:500]!r}")
        return json.loads(payload) if payload else {}

    existing = expect(call(conn, "GET", "/api/v1/products?page_size=1"), 200, "count products")["meta"]["total"]
    missing = max(0, target - existing)
    email = "bench-brand@bench.example"
    expect(call(conn, "POST", "/api/v1/auth/signup", {"email": email, "password": BENCH_PASSWORD, "role": "brand"}),
           201, "signup")
    token = expect(call(conn, "POST", "/api/v1/auth/token", {"email": email, "password": BENCH_PASSWORD}),
                   200, "token")["access_token"]
    brand_ids = []
    for b in range(brands):
        brand = expect(call(conn, "POST", "/api/v1/brands",
                            {"name": f"Bench Brand {b}", "default_commission_bps": 1000 + 100 * b}, token),
                       201, "create brand")
        brand_ids.append(brand["id"])
    conn.close()

    specs = list(product_specs(missing))
    lock = threading.Lock()
    failures: list[str] = []
    position = [0]

    def worker() -> None:
        c = Connection(port, 60, counter)
        try:
            while True:
                with lock:
                    if position[0] >= len(specs) or failures:
                        return
                    if time.monotonic() > deadline:
                        failures.append(f"not done after {time_cap:.0f}s ({position[0]} of {len(specs)} products)")
                        return
                    n = position[0]
                    position[0] += 1
                brand_id = brand_ids[n % len(brand_ids)]
                status, payload = call(c, "POST", f"/api/v1/brands/{brand_id}/products", specs[n], token)
                if status != 201:
                    with lock:
                        failures.append(f"product {n}: HTTP {status}: {payload[:300]!r}")
        except Exception as exc:
            with lock:
                failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            c.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, concurrency))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 70)  # + one request's socket timeout
    if failures:
        raise RuntimeError("creating products failed: " + "; ".join(failures[:3]))
    conn = Connection(port, 60, counter)
    try:
        return expect(call(conn, "GET", "/api/v1/products?page_size=1"), 200, "count products")["meta"]["total"]
    finally:
        conn.close()


# ---------------------------------------------------------------- report


def fmt_ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def print_table(rows: list[LoadResult], baseline_rps: float, queries: dict[str, int | None]) -> None:
    headers = ["endpoint", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "vs baseline",
               "SQL/req", "bytes"]
    table = []
    for r in rows:
        q = queries.get(r.label)
        table.append([
            r.label + (" (time cap hit)" if r.capped else ""),
            str(r.done),
            str(r.errors),
            f"{r.rps:.0f}",
            fmt_ms(r.percentile_ms(50)),
            fmt_ms(r.percentile_ms(95)),
            fmt_ms(r.percentile_ms(99)),
            f"{r.rps / baseline_rps:.2f}x" if baseline_rps else "n/a",
            "-" if q is None else str(q),
            str(r.bytes_per_response),
        ])
    print_markdown_table(headers, table)


def print_markdown_table(headers: list[str], table: list[list[str]]) -> None:
    """A Markdown table, first column left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    print(line(headers))
    print("|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|")
    for row in table:
        print(line(row))


# ---------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per endpoint (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads/connections (default 8)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per endpoint first (default 200)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="split each endpoint's requests over this many interleaved rounds (default 4)")
    parser.add_argument("--time-cap", type=float, default=60.0,
                        help="seconds per endpoint, all its rounds together, after which it stops early (default 60; "
                             "each round gets its share, and so does the warm-up)")
    parser.add_argument("--timeout", type=float, default=10.0, help="socket timeout per request, seconds (default 10)")
    parser.add_argument("--database-url", help="an EMPTY PostgreSQL database, e.g. postgresql://postgres@127.0.0.1/bench_db "
                        "(default: SQLite in a temporary directory)")
    parser.add_argument("--products", type=int, default=2000, help="catalog size to reach (default 2000)")
    parser.add_argument("--brands", type=int, default=8, help="extra brands the products are spread over (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="GUNICORN_WORKERS for both servers (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="GUNICORN_THREADS for both servers (default 1: sync workers)")
    parser.add_argument("--max-requests", type=int, default=0,
                        help="GUNICORN_MAX_REQUESTS for both servers (default 0: no worker recycling during the "
                             "run; the app's own default is 2000)")
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.rounds, args.workers, args.threads) < 1 or args.warmup < 0 \
            or args.time_cap <= 0:
        parser.error("--requests, --concurrency, --rounds, --workers, --threads must be >= 1, --warmup >= 0, "
                     "--time-cap > 0")
    if args.database_url and not args.database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        parser.error("--database-url must be a PostgreSQL URL (SQLite is the default)")
    return args


def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def bench_database(database_url: str | None, tmp: Path) -> tuple[str, str]:
    """``(url, description)``: the given empty PostgreSQL database, or SQLite in ``tmp``."""
    if database_url:
        return database_url, check_postgres_empty(database_url)
    import sqlite3

    return f"sqlite:///{tmp / 'bench.db'}", f"SQLite {sqlite3.sqlite_version} (file in a temp dir)"


def server_env(database_url: str, workers: int, threads: int, max_requests: int) -> dict[str, str]:
    """The environment of the servers and flask commands: the documented defaults, no Redis."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "SQLALCHEMY_ECHO", "TRUSTED_PROXY_COUNT", "STOREFRONT_BASE_URL"):
        env.pop(name, None)  # jobs inline, no Redis ping in /healthz, no echo: the documented defaults
    env.update({
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "MARKETPLACE_ENV": "development",
        "AUTH_RATE_LIMIT": "100000 per minute",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_MAX_REQUESTS": str(max_requests),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the finally block still cleans up.
    signal.signal(signal.SIGTERM, _interrupt)

    tmp = Path(tempfile.mkdtemp(prefix="marketplace-bench-"))
    servers: list[Server] = []
    started = time.monotonic()
    try:
        database_url, db_kind = bench_database(args.database_url, tmp)
        env = server_env(database_url, args.workers, args.threads, args.max_requests)

        log(f"database: {db_kind}; flask db upgrade + flask seed-demo")
        run_flask(["db", "upgrade"], env)
        log(run_flask(["seed-demo"], env))

        app = Server("marketplace", "wsgi:app", env, tmp / "app.log")
        servers.append(app)
        baseline = Server("baseline", "bench.baseline_app:app", env, tmp / "baseline.log")
        servers.append(baseline)
        app.wait_ready("/healthz")
        baseline.wait_ready("/")
        log(f"servers up: marketplace on :{app.port}, baseline on :{baseline.port}")

        t0 = time.monotonic()
        total_products = grow_catalog(app.port, args.products, args.brands, args.concurrency)
        log(f"catalog: {total_products} active products ({time.monotonic() - t0:.1f}s through the API)")
        if args.database_url:
            analyze_postgres(database_url)
            db_kind += ", ANALYZE after loading"
        pan_matches = json.loads(fetch(app.port, "/api/v1/products?q=pan&page_size=1"))["meta"]["total"]

        counted = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("query_counts.py")), *[p for _, _, p in ENDPOINTS]],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        if counted.returncode != 0:
            raise RuntimeError(f"query_counts.py failed:\n{counted.stderr}")
        per_path = json.loads(counted.stdout.strip().splitlines()[-1])
        queries: dict[str, int | None] = {
            label: per_path[path]["queries"] if per_path[path]["status"] == 200 else None for label, _, path in ENDPOINTS
        }
        queries[BASELINE[0]] = 0

        boots_before = {s.name: s.worker_boots() for s in servers}
        ports = {"app": app.port, "baseline": baseline.port}
        plan = [BASELINE, *ENDPOINTS]
        round_cap = args.time_cap / args.rounds  # worst case for the whole measurement: 7 paths x (cap + round_cap)
        if args.warmup:
            for label, server, path in plan:
                warm = run_load(label, ports[server], path, args.warmup, args.concurrency, round_cap, args.timeout)
                if warm.errors:
                    log(f"warm-up of {label}: {warm.errors} errors, e.g. {warm.error_samples[:2]}")
        # Interleaved rounds (baseline, e1..e5, baseline, e1..e5, ...): the machine's speed drifts,
        # and this spreads the drift over every row instead of favouring whichever ran in a quiet moment.
        per_round = [args.requests // args.rounds + (1 if r < args.requests % args.rounds else 0)
                     for r in range(args.rounds)]
        totals = {label: LoadResult(label, args.requests) for label, _, _ in plan}
        baseline_rounds: list[float] = []
        for r, count in enumerate(per_round):
            if not count:
                continue
            for label, server, path in plan:
                part = run_load(label, ports[server], path, count, args.concurrency, round_cap, args.timeout)
                totals[label].add(part)
                if label == BASELINE[0]:
                    baseline_rounds.append(part.rps)
                log(f"round {r + 1}/{args.rounds} {label}: {part.done} requests, {part.errors} errors, "
                    f"{part.rps:.0f} req/s" + (f"; e.g. {part.error_samples[:2]}" if part.errors else ""))
        boots = {s.name: s.worker_boots() - boots_before[s.name] for s in servers}
        results = list(totals.values())
        baseline_rps = totals[BASELINE[0]].rps

        print()
        print(f"read_paths benchmark, {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
        print(f"machine: nproc={os.cpu_count()} ({platform.machine()}, {platform.system()} {platform.release()}), "
              f"Python {platform.python_version()}")
        print(f"database: {db_kind}; {total_products} active products ({pan_matches} match q=pan); "
              "storefront maya-kitchen as seeded by seed-demo (2 collections, 5 items)")
        print(f"servers: gunicorn -c python:marketplace.gunicorn_conf, workers={args.workers}, threads={args.threads} "
              f"({'sync' if args.threads == 1 else 'gthread'} worker), max_requests={args.max_requests}; "
              f"worker boots during measurement: marketplace {boots['marketplace']}, baseline {boots['baseline']}")
        print(f"client: {args.concurrency} threads, each with one http.client connection to 127.0.0.1; per endpoint "
              f"{args.warmup} warm-up + {args.requests} measured requests in {args.rounds} interleaved rounds, "
              f"time cap {args.time_cap:.0f}s per endpoint")
        print("baseline req/s per round: " + ", ".join(f"{v:.0f}" for v in baseline_rounds)
              + f" (overall {baseline_rps:.0f}; the ratios divide by the overall figure)")
        print()
        print_table(results, baseline_rps, queries)
        print()
        print("req/s = requests / wall time summed over the rounds; percentiles over all measured requests. "
              "SQL/req: statements per request, counted in-process (bench/query_counts.py). "
              "bytes: body of one response.")
        connects = max(r.connects for r in results)
        if connects > args.concurrency * args.rounds:
            print(f"connections: up to {connects} opened per {args.requests} requests: the sync workers close the "
                  "connection after each response, so every request included a loopback TCP connect.")
        cpu = ", ".join(f"{r.client_cpu / r.wall * 100:.0f}%" for r in results)
        print(f"client CPU, share of one core, per row: {cpu}")
        print(f"total time {time.monotonic() - started:.0f}s")
        failed = sum(r.errors for r in results)
        if failed:
            print(f"\n{failed} requests failed; samples:")
            for r in results:
                for sample in r.error_samples:
                    print(f"  {r.label}: {sample}")
        return 1 if failed else 0
    except Exception:
        for server in servers:
            log(f"--- last lines of the {server.name} server log ---\n{server.log_tail()}")
        raise
    finally:
        for server in servers:
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                log(f"could not stop {server.name}: {exc}")
        shutil.rmtree(tmp, ignore_errors=True)
        log("servers stopped, temp dir removed")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM; main() has already cleaned up
        log(f"interrupted ({exc or 'Ctrl-C'})")
        sys.exit(130)
