"""A load test of a realistic mix, then a soak: throughput, p50/p99 and errors at the knee,
and whether the web and worker processes grow.

    .venv/bin/python bench/load.py [--step-seconds 20] [--levels 1,2,4,8,16,32] [--soak-minutes 10]

All on 127.0.0.1, on servers of its own (``tests/faultkit.py``: a throwaway PostgreSQL
cluster, Redis and localstripe), torn down at the end:

1. gunicorn with the production settings (``marketplace/gunicorn_conf.py``: 2 × cores + 1 sync
   workers) except ``GUNICORN_MAX_REQUESTS=0``, so a leak would show instead of being recycled
   away; ``python -m workers`` and ``rq cron`` (the click drain every 5 s, the other sweeps).
2. Through the API: a brand with 10 products, an influencer's storefront curating them, a share link.
3. Steps of a closed loop at rising concurrency (``--levels``, ``--step-seconds`` each), each
   client thread drawing from the mix: 70 % storefront reads (``GET /api/v1/storefronts/{slug}``
   and ``/s/{slug}``, the shopper's page, half each), 20 % share-link redirects (a new visitor
   each time), 8 % orders (``POST /api/v1/orders``, which opens a PaymentIntent at localstripe),
   2 % report reads (the brand's attribution report). One line per step: req/s, p50, p99 and
   errors (anything but the expected status). The knee: the last step whose throughput grew by
   more than 10 % over the step before.
4. A soak at the knee's concurrency for ``--soak-minutes``: the resident memory (RSS) of every
   gunicorn worker and of the RQ worker, sampled every 30 s; printed first, last, and the growth
   over the second half (after warm-up).

The client shares the machine's cores with the servers; the load average is printed with
every figure (on the shared development machine other jobs run too).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from read_paths import Connection, LoadResult, call, log  # noqa: E402  (the shared client)
from tests.faultkit import API, BIN, Process, Stack, seed_shop  # noqa: E402

MIX = [("storefront", 35), ("page", 35), ("redirect", 20), ("order", 8), ("report", 2)]
EXPECTED = {"storefront": 200, "page": 200, "redirect": 302, "order": 201, "report": 200}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Mix:
    """Draws requests from MIX and sends them on one keep-alive connection per client thread."""

    def __init__(self, port: int, shop: dict, seed: int):
        self.port = port
        self.shop = shop
        self.rng = random.Random(seed)
        self.kinds = [kind for kind, weight in MIX for _ in range(weight)]
        today = date.today()
        self.report = (f"{API}/brands/{shop['brand']['id']}/reports/attribution"
                       f"?from={today - timedelta(days=30)}&to={today + timedelta(days=1)}&group_by=influencer")

    def one(self, conn: Connection) -> tuple[str, int]:
        kind = self.rng.choice(self.kinds)
        shop = self.shop
        if kind == "storefront":
            status, _ = call(conn, "GET", f"{API}/storefronts/{shop['storefront']['slug']}")
        elif kind == "page":
            conn.request("GET", f"/s/{shop['storefront']['slug']}", headers={"User-Agent": BROWSER})
            response = conn.getresponse()
            response.read()
            status = response.status
        elif kind == "redirect":
            ip = f"10.{self.rng.randrange(256)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
            conn.request("GET", f"/r/{shop['link']['code']}", headers={"User-Agent": BROWSER, "X-Forwarded-For": ip})
            response = conn.getresponse()
            response.read()
            status = response.status
        elif kind == "order":
            product = self.rng.choice(shop["products"])
            body = {"storefront": shop["storefront"]["slug"], "items": [{"product_id": product["id"], "quantity": 1}],
                    "email": "load@example.com"}
            status, _ = call(conn, "POST", f"{API}/orders", body)
        else:
            status, _ = call(conn, "GET", self.report, token=shop["brand_token"])
        return kind, status


def run_step(port: int, shop: dict, concurrency: int, seconds: float, per_kind: dict | None = None) -> LoadResult:
    """Closed loop for ``seconds``: ``concurrency`` threads, each sending its next request when the last is answered."""
    result = LoadResult(f"c={concurrency}", 0)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    connects = [0]

    def client(n: int) -> None:
        mix = Mix(port, shop, seed=n * 7919 + concurrency)
        conn = Connection(port, 30, connects)
        local: list[float] = []
        errors: list[str] = []
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    kind, status = mix.one(conn)
                except Exception as exc:
                    conn.close()
                    local.append(time.perf_counter() - started)
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                local.append(time.perf_counter() - started)
                if status != EXPECTED[kind]:
                    errors.append(f"{kind}: HTTP {status}")
                if per_kind is not None:
                    with lock:
                        per_kind.setdefault(kind, []).append(local[-1])
        finally:
            conn.close()
            with lock:
                result.latencies.extend(local)
                result.errors += len(errors)
                result.error_samples.extend(errors[: max(0, 5 - len(result.error_samples))])

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    result.wall = time.perf_counter() - began
    return result


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,2,4,8,16,32", help="client concurrency of each step")
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--soak-minutes", type=float, default=10)
    parser.add_argument("--soak-concurrency", type=int, help="default: the knee's")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    log("starting PostgreSQL, Redis and localstripe of our own, migrating")
    stack = Stack()
    try:
        web = stack.gunicorn(workers=int(os.environ.get("GUNICORN_WORKERS", (os.cpu_count() or 1) * 2 + 1)), threads=1,
                             GUNICORN_MAX_REQUESTS="0", LOG_LEVEL="WARNING", TRUSTED_PROXY_COUNT="1")
        stack.register_webhook(web.url)
        worker = stack.worker(LOG_LEVEL="WARNING")
        cron = Process([str(BIN / "rq"), "cron", "--url", stack.redis.url, "workers.cron"], stack.env(),
                       stack.dir / "cron.log")
        stack.processes.append(cron)
        shop = seed_shop(web.url, products=10, stock=10_000_000)
        port = web.port
        log(f"gunicorn: {len(web.worker_pids())} sync workers; mix {dict(MIX)}")
        run_step(port, shop, 2, 5)  # warm-up: every worker's caches, connections

        print("\n| clients | req/s | p50 ms | p99 ms | errors | load average (1/5/15 min) |\n|---|---|---|---|---|---|")
        steps = []
        for level in [int(x) for x in args.levels.split(",")]:
            result = run_step(port, shop, level, args.step_seconds)
            steps.append((level, result))
            error_rate = result.errors / max(1, result.done)
            print(f"| {level} | {result.rps:.0f} | {result.percentile_ms(50):.1f} | {result.percentile_ms(99):.1f} | "
                  f"{result.errors} ({error_rate:.2%}) | {load_average()} |", flush=True)
            for sample in result.error_samples[:3]:
                log(f"  error: {sample}")
        knee = steps[0]
        for previous, current in zip(steps, steps[1:]):
            if current[1].rps > previous[1].rps * 1.10:
                knee = current
            else:
                break
        level, result = knee
        print(f"\nknee: {level} clients, {result.rps:.0f} req/s, p50 {result.percentile_ms(50):.1f} ms, "
              f"p99 {result.percentile_ms(99):.1f} ms, errors {result.errors}/{result.done}")

        soak_level = args.soak_concurrency or level
        log(f"soak: {args.soak_minutes} min at {soak_level} clients")
        samples = []
        per_kind: dict[str, list[float]] = {}
        soak_seconds = args.soak_minutes * 60
        done = threading.Event()
        totals: list[LoadResult] = []
        loader = threading.Thread(target=lambda: (totals.append(run_step(port, shop, soak_level, soak_seconds, per_kind)),
                                                  done.set()), daemon=True)
        started = time.monotonic()
        loader.start()
        while not done.wait(timeout=0 if not samples else 30):
            web_pids = web.worker_pids()
            samples.append((time.monotonic() - started, sum(rss_kib(p) for p in web_pids), len(web_pids),
                            rss_kib(worker.pid), load_average()))
        soak = totals[0]
        print(f"\nsoak: {soak_level} clients for {soak.wall / 60:.1f} min: {soak.done} requests, {soak.rps:.0f} req/s, "
              f"p50 {soak.percentile_ms(50):.1f} ms, p99 {soak.percentile_ms(99):.1f} ms, errors {soak.errors}")
        for kind, latencies in sorted(per_kind.items()):
            ordered = sorted(latencies)
            print(f"  {kind}: {len(ordered)} requests, p50 {ordered[len(ordered) // 2] * 1000:.1f} ms, "
                  f"p99 {ordered[int(len(ordered) * 0.99)] * 1000:.1f} ms")
        print("\n| minute | gunicorn workers RSS (MiB, sum) | RQ worker RSS (MiB) | load average |\n|---|---|---|---|")
        for at, web_rss, count, worker_rss, load in samples:
            print(f"| {at / 60:.1f} | {web_rss / 1024:.1f} ({count} workers) | {worker_rss / 1024:.1f} | {load} |")
        half = [s for s in samples if s[0] >= soak_seconds / 2]
        if len(half) >= 2:
            print(f"\nsecond half: gunicorn workers {(half[-1][1] - half[0][1]) / 1024:+.1f} MiB, "
                  f"RQ worker {(half[-1][3] - half[0][3]) / 1024:+.1f} MiB over {(half[-1][0] - half[0][0]) / 60:.1f} min")
        stored = stack.pg.scalar("SELECT count(*) FROM clicks")
        print(f"clicks stored {stored}, still buffered {stack.redis.client().llen('marketplace:clicks:buffer')}; "
              f"orders {stack.pg.scalar('SELECT count(*) FROM orders')}")
    finally:
        stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
