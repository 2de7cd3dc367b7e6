"""Throughput and latency of the share-link redirect ``GET /r/{code}``, beside a bare-Flask 302.

    .venv/bin/python bench/redirect.py [--requests N] [--concurrency C] [--database-url URL]

Everything runs on 127.0.0.1 and is torn down at the end (even on error, Ctrl-C or SIGTERM):

1. Prepares a fresh database (SQLite in a temporary directory, or the given EMPTY
   PostgreSQL database) with ``flask db upgrade`` and ``flask seed-demo``.
2. Starts the marketplace under gunicorn (``-c python:marketplace.gunicorn_conf wsgi:app``)
   and, as the baseline, ``bench/baseline_redirect_app.py`` (one route, a bare 302)
   under the same settings.
3. Logs in as the demo influencer maya@demo.example and creates one share link to the
   ``maya-kitchen`` storefront (``POST /api/v1/links``).
4. Loads both with the closed-loop client of ``bench/read_paths.py``, in interleaved
   rounds, with a hard time cap. Each request is a browser-like visitor: by default 80 %
   are new (no cookie, an address of their own, a desktop or mobile User-Agent), 20 %
   come back (the ``mp_visitor`` cookie they were given, same address and browser). The
   redirect is not followed; anything but a 302 (or, from the marketplace, a 302 without
   the visitor cookie) is an error.
5. Counts the click rows afterwards (they must equal the warm-up + measured 302s) and
   the SQL statements of one redirect, in-process, then prints the table and whether
   the target (>= 0.7x the bare 302's req/s, p99 < 20 ms) is met.

Visitors' addresses: the app runs with ``TRUSTED_PROXY_COUNT=1`` (as behind one load
balancer) and each visitor sends its own ``X-Forwarded-For``. The repeat check matches
on visitor cookie OR (hashed address AND browser), so with every visitor on 127.0.0.1
almost every new visitor would be taken for a repeat. ``--one-address`` does that instead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from read_paths import (  # noqa: E402  (the shared client and process helpers)
    bench_database,
    server_env,
    print_markdown_table,
    ROOT, Connection, LoadResult, Server, _interrupt, call, fmt_ms, log, run_flask,
)

TARGET_RATIO, TARGET_P99_MS = 0.7, 20.0
COOKIE = "mp_visitor"
# Desktop and mobile browsers; {b} is a build number so the strings vary as real traffic's do.
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{b}.86 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{b}.86 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{b}.86 Safari/537.36 Edg/131.0.{b}.55",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{b}.86 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.{b}.54 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 356.0.0.{b}.4 (iPhone15,3; iOS 18_1; en_US; en; scale=3.00; 1290x2796; 654321)",
]
REFERRERS = [None, "https://l.instagram.com/", "https://www.instagram.com/"]
_addresses = itertools.count(1)  # one address per new visitor: 10.0.0.1, 10.0.0.2, ...


def new_visitor(rng: random.Random, one_address: bool) -> dict:
    n = next(_addresses)
    return {
        "address": None if one_address else f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        "ua": rng.choice(USER_AGENTS).format(b=rng.randrange(1000, 7000)),
        "referrer": rng.choice(REFERRERS),
        "cookie": None,
    }


def run_visitors(label: str, port: int, path: str, requests: int, args, want_cookie: bool):
    """Closed loop like read_paths.run_load, but each request is a visitor (new or returning).
    Returns ``(LoadResult, {"new": 302s to new visitors, "returning": 302s to returning ones})``."""
    result = LoadResult(label, requests)
    lock = threading.Lock()
    issued, connects, served = [0], [0], {"new": 0, "returning": 0}
    barrier = threading.Barrier(args.concurrency + 1)
    deadline = [0.0]

    def error(message: str) -> None:
        with lock:
            result.errors += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(message)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = Connection(port, args.timeout, connects)
        seen: list[dict] = []  # visitors this thread already sent: the ones that come back
        local: list[float] = []
        try:
            barrier.wait()
            while True:
                with lock:
                    if issued[0] >= requests:
                        break
                    if time.perf_counter() >= deadline[0]:
                        result.capped = True
                        break
                    issued[0] += 1
                returning = bool(seen) and rng.random() < args.returning
                visitor = rng.choice(seen) if returning else new_visitor(rng, args.one_address)
                headers = {
                    "User-Agent": visitor["ua"],
                    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                    "Accept-Language": "en-US,en;q=0.9",
                    "Accept-Encoding": "gzip, deflate, br",
                }
                if visitor["address"]:
                    headers["X-Forwarded-For"] = visitor["address"]
                if visitor["referrer"]:
                    headers["Referer"] = visitor["referrer"]
                if visitor["cookie"]:
                    headers["Cookie"] = f"{COOKIE}={visitor['cookie']}"
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                except Exception as exc:  # refused, reset, timed out: an error, and go on
                    conn.close()
                    local.append(time.perf_counter() - started)
                    error(f"{type(exc).__name__}: {exc}")
                    continue
                local.append(time.perf_counter() - started)
                cookie = next((c.split(";", 1)[0].split("=", 1)[1] for c in response.headers.get_all("Set-Cookie") or []
                               if c.startswith(COOKIE + "=")), None)
                if response.status != 302 or not response.getheader("Location"):
                    error(f"HTTP {response.status}: {body[:200]!r}")
                elif want_cookie and not cookie:
                    error("302 without the visitor cookie")
                else:
                    with lock:
                        served["returning" if returning else "new"] += 1
                    if not returning:
                        visitor["cookie"] = cookie  # the browser keeps it for its next visit
                        seen.append(visitor)
                        del seen[:-50]
        finally:
            conn.close()
            with lock:
                result.latencies.extend(local)

    threads = [threading.Thread(target=worker, args=(random.getrandbits(32),), daemon=True)
               for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = sum(os.times()[:2])
    deadline[0] = time.perf_counter() + args.cap
    began = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline[0] - time.perf_counter()) + args.timeout + 5)
    result.wall = time.perf_counter() - began
    result.client_cpu = sum(os.times()[:2]) - cpu_before
    result.connects = connects[0]
    return result, served


def wait_for(server: Server, path: str, status: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}")
        conn = Connection(server.port, 5, [0])
        try:
            if call(conn, "GET", path)[0] == status:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {timeout}s:\n{server.log_tail()}")


def create_link(port: int) -> str:
    conn = Connection(port, 60, [0])
    try:
        login = {"email": "maya@demo.example", "password": "demo-password"}
        status, body = call(conn, "POST", "/api/v1/auth/token", login)
        if status != 200:
            raise RuntimeError(f"login: HTTP {status}: {body[:300]!r}")
        token = json.loads(body)["access_token"]
        status, body = call(conn, "POST", "/api/v1/links", {"storefront": "maya-kitchen", "channel": "instagram"}, token)
        if status != 201:
            raise RuntimeError(f"create link: HTTP {status}: {body[:300]!r}")
        return json.loads(body)["code"]
    finally:
        conn.close()


def click_counts(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    from marketplace.config import normalize_database_url

    engine = create_engine(normalize_database_url(database_url))
    try:
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN counted THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN is_bot THEN 1 ELSE 0 END), 0) FROM clicks")).one()
    finally:
        engine.dispose()
    return {"rows": row[0], "counted": row[1], "bots": row[2]}


def count_sql(code: str) -> None:
    """In-process (subprocess of the benchmark, same DATABASE_URL): the statements of one redirect
    for a new and for a returning visitor, after a warm-up one. Prints one JSON object."""
    import logging

    from sqlalchemy import event

    from marketplace import create_app
    from marketplace.db import db

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def short(statement: str) -> str:  # "SELECT clicks", "INSERT clicks", "BEGIN IMMEDIATE", ...
        words = statement.split()
        if words[0].upper() == "INSERT":
            return f"INSERT {words[2]}"
        if words[0].upper() == "SELECT" and "FROM" in words:
            return f"SELECT {words[words.index('FROM') + 1]}"
        return " ".join(words[:2])

    event.listen(engine, "before_cursor_execute", lambda c, cur, statement, *a: seen.append(short(statement)))
    event.listen(engine, "checkout", lambda *a: seen.append("(pool checkout)"))
    event.listen(engine, "begin", lambda conn: seen[-1:] == ["BEGIN IMMEDIATE"] or seen.append("BEGIN"))  # SQLite's is a statement
    for name in ("commit", "rollback"):
        event.listen(engine, name, lambda conn, name=name: seen.append(name.upper()))
    out = {}
    for step, (client, address) in enumerate([(app.test_client(), "10.255.0.1"), (app.test_client(), "10.255.0.2")]):
        env = {"REMOTE_ADDR": address}
        headers = {"User-Agent": USER_AGENTS[0].format(b=1234)}
        client.get(f"/r/{code}", headers=headers, environ_base=env)  # warm-up; sets the cookie: next is a return
        if step == 0:
            client = app.test_client()  # a new visitor: no cookie, own address
            env = {"REMOTE_ADDR": "10.255.0.3"}
        seen.clear()
        status = client.get(f"/r/{code}", headers=headers, environ_base=env).status_code
        out["new visitor" if step == 0 else "returning visitor"] = {"status": status, "sequence": list(seen)}
    print(json.dumps(out))


def git_head() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "marketplace", "migrations", "wsgi.py"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
    return f"commit {head or 'unknown'}" + (" + uncommitted changes in marketplace/" if dirty else "")


def print_table(rows: list[LoadResult], baseline_rps: float) -> None:
    headers = ["endpoint", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "vs baseline"]
    table = [[r.label + (" (time cap hit)" if r.capped else ""), str(r.done), str(r.errors), f"{r.rps:.0f}",
              fmt_ms(r.percentile_ms(50)), fmt_ms(r.percentile_ms(95)), fmt_ms(r.percentile_ms(99)),
              f"{r.rps / baseline_rps:.2f}x" if baseline_rps else "n/a"] for r in rows]
    print_markdown_table(headers, table)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="measured requests per server (default 4000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads/connections (default 8)")
    parser.add_argument("--warmup", type=int, default=400, help="unmeasured requests per server first (default 400)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (default 4)")
    parser.add_argument("--time-cap", type=float, default=45.0,
                        help="seconds per server, all rounds together; the warm-up gets one round's share (default 45)")
    parser.add_argument("--timeout", type=float, default=10.0, help="socket timeout per request, seconds (default 10)")
    parser.add_argument("--returning", type=float, default=0.2,
                        help="share of requests from a visitor coming back with its cookie (default 0.2)")
    parser.add_argument("--redis-url", help="run the app with this REDIS_URL (its database is flushed): clicks are "
                        "buffered on the redirect and drained afterwards, and the drain is timed")
    parser.add_argument("--one-address", action="store_true",
                        help="all visitors on 127.0.0.1 (no X-Forwarded-For, TRUSTED_PROXY_COUNT unset)")
    parser.add_argument("--database-url", help="an EMPTY PostgreSQL database, e.g. postgresql://postgres@127.0.0.1/"
                        "redirect_bench (default: SQLite in a temporary directory)")
    parser.add_argument("--workers", type=int, default=2, help="GUNICORN_WORKERS for both servers (default 2)")
    parser.add_argument("--count-sql", metavar="CODE", help=argparse.SUPPRESS)  # internal: see count_sql()
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.rounds, args.workers) < 1 or args.warmup < 0 or args.time_cap <= 0 \
            or not 0 <= args.returning < 1:
        parser.error("--requests, --concurrency, --rounds, --workers >= 1, --warmup >= 0, --time-cap > 0, "
                     "0 <= --returning < 1")
    if args.database_url and not args.database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        parser.error("--database-url must be a PostgreSQL URL (SQLite is the default)")
    args.cap = args.time_cap / args.rounds  # per run_visitors call
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.count_sql:
        count_sql(args.count_sql)
        return 0
    signal.signal(signal.SIGTERM, _interrupt)  # unwinds like Ctrl-C, so the finally block still cleans up
    tmp = Path(tempfile.mkdtemp(prefix="marketplace-redirect-bench-"))
    servers: list[Server] = []
    started = time.monotonic()
    try:
        database_url, db_kind = bench_database(args.database_url, tmp)
        env = server_env(database_url, args.workers, threads=1, max_requests=0)
        if not args.one_address:
            env["TRUSTED_PROXY_COUNT"] = "1"
        if args.redis_url:  # clicks go to the Redis buffer; drained (and timed) after the load
            env["REDIS_URL"] = args.redis_url
            from redis import Redis

            Redis.from_url(args.redis_url).flushdb()

        log(f"database: {db_kind}; flask db upgrade + flask seed-demo")
        run_flask(["db", "upgrade"], env)
        log(run_flask(["seed-demo"], env))
        app = Server("marketplace", "wsgi:app", env, tmp / "app.log")
        baseline = Server("baseline", "bench.baseline_redirect_app:app", env, tmp / "baseline.log")
        servers += [app, baseline]
        wait_for(app, "/healthz", 200)
        wait_for(baseline, "/r/ready", 302)
        code = create_link(app.port)
        log(f"servers up: marketplace on :{app.port}, baseline on :{baseline.port}; link /r/{code}")
        clicks_before = click_counts(database_url)["rows"]

        plan = [("baseline GET /r/<code> (bare 302)", baseline, False), ("GET /r/{code} (marketplace)", app, True)]
        boots_before = {s.name: s.worker_boots() for s in servers}
        warm_served = {"new": 0, "returning": 0}
        for label, server, want_cookie in plan:
            if args.warmup:
                warm, served = run_visitors(label, server.port, f"/r/{code}", args.warmup, args, want_cookie)
                if server is app:
                    warm_served = served
                if warm.errors:
                    log(f"warm-up of {label}: {warm.errors} errors, e.g. {warm.error_samples[:2]}")
        per_round = [args.requests // args.rounds + (1 if r < args.requests % args.rounds else 0) for r in range(args.rounds)]
        totals = {label: LoadResult(label, args.requests) for label, _, _ in plan}
        served_total = {"new": 0, "returning": 0}
        round_lines = []
        for r, count in enumerate(per_round):
            parts = []
            for label, server, want_cookie in plan:
                part, served = run_visitors(label, server.port, f"/r/{code}", count, args, want_cookie)
                totals[label].add(part)
                parts.append(part)
                if server is app:
                    for k in served:
                        served_total[k] += served[k]
                log(f"round {r + 1}/{args.rounds} {label}: {part.done} requests, {part.errors} errors, "
                    f"{part.rps:.0f} req/s, p99 {fmt_ms(part.percentile_ms(99))} ms"
                    + (f"; e.g. {part.error_samples[:2]}" if part.errors else ""))
            round_lines.append(f"{parts[0].rps:.0f} / {parts[1].rps:.0f} req/s, /r p99 {fmt_ms(parts[1].percentile_ms(99))} ms")
        boots = {s.name: s.worker_boots() - boots_before[s.name] for s in servers}
        drained = run_flask(["links", "drain-clicks"], env) if args.redis_url else None
        clicks = click_counts(database_url)
        counted = subprocess.run([sys.executable, __file__, "--count-sql", code], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=120)
        sql = json.loads(counted.stdout.strip().splitlines()[-1]) if counted.returncode == 0 else None

        base, redirect = totals[plan[0][0]], totals[plan[1][0]]
        ratio = redirect.rps / base.rps if base.rps else 0.0
        p99 = redirect.percentile_ms(99)
        expected = sum(warm_served.values()) + sum(served_total.values())
        print()
        print(f"redirect benchmark, {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
        print(f"machine: nproc={os.cpu_count()} ({platform.machine()}, {platform.system()} {platform.release()}), "
              f"Python {platform.python_version()}")
        print(f"database: {db_kind}; code: {git_head()}")
        print(f"servers: gunicorn -c python:marketplace.gunicorn_conf, workers={args.workers}, sync worker, "
              f"max_requests=0; worker boots during the run: marketplace {boots['marketplace']}, baseline {boots['baseline']}")
        print(f"client: {args.concurrency} threads on 127.0.0.1; per server {args.warmup} warm-up + {args.requests} measured "
              f"requests in {args.rounds} interleaved rounds, time cap {args.time_cap:.0f}s; visitors: "
              f"{1 - args.returning:.0%} new (no cookie), {args.returning:.0%} returning with their cookie; "
              + ("all from 127.0.0.1" if args.one_address else "one X-Forwarded-For address per visitor, TRUSTED_PROXY_COUNT=1"))
        print("per round, baseline / marketplace: " + "; ".join(round_lines))
        print()
        print_table([base, redirect], base.rps)
        print()
        print(f"click rows: {clicks['rows'] - clicks_before} (expected {expected} = {sum(warm_served.values())} warm-up + "
              f"{sum(served_total.values())} measured 302s) -> {'OK' if clicks['rows'] - clicks_before == expected else 'MISMATCH'}; "
              f"counted {clicks['counted']} (new visitors served: {warm_served['new'] + served_total['new']}), "
              f"bots {clicks['bots']}")
        if drained:
            print(f"drain of the Redis click buffer (flask links drain-clicks): {drained.strip()}")
        if sql:
            for who, v in sql.items():
                statements = [s for s in v["sequence"] if s.startswith(("SELECT", "INSERT", "UPDATE", "DELETE"))]
                print(f"SQL per redirect, {who} (HTTP {v['status']}): {len(statements)} statements, "
                      f"{v['sequence'].count('COMMIT')} commit(s): " + ", ".join(v["sequence"]))
        else:
            print(f"SQL count failed: {counted.stderr[-500:]}")
        met_ratio, met_p99 = ratio >= TARGET_RATIO, p99 < TARGET_P99_MS
        print(f"target: req/s >= {TARGET_RATIO}x the bare 302: {'MET' if met_ratio else 'NOT MET'} ({ratio:.2f}x); "
              f"p99 < {TARGET_P99_MS:.0f} ms: {'MET' if met_p99 else 'NOT MET'} ({fmt_ms(p99)} ms) -> "
              f"{'target met' if met_ratio and met_p99 else 'target NOT met'}")
        print(f"client CPU, share of one core: baseline {base.client_cpu / base.wall:.0%}, "
              f"marketplace {redirect.client_cpu / redirect.wall:.0%}; total time {time.monotonic() - started:.0f}s")
        failed = base.errors + redirect.errors
        for r in (base, redirect):
            for sample in r.error_samples:
                print(f"  error, {r.label}: {sample}")
        return 1 if failed or clicks["rows"] - clicks_before != expected else 0
    except Exception:
        for server in servers:
            log(f"--- last lines of the {server.name} server log ---\n{server.log_tail()}")
        raise
    finally:
        for server in servers:
            try:
                server.stop()
            except Exception as exc:
                log(f"could not stop {server.name}: {exc}")
        shutil.rmtree(tmp, ignore_errors=True)
        log("servers stopped, temp dir removed")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        log(f"interrupted ({exc or 'Ctrl-C'})")
        sys.exit(130)
