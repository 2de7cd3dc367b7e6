"""Attribution throughput: paid orders attributed per second by ONE worker, with 1,000,000
clicks from 100,000 visitors in PostgreSQL.

    .venv/bin/python bench/attribution.py --database-url postgresql://postgres@127.0.0.1/attr_bench \
        --redis-url redis://127.0.0.1:6379/11 [--mode batch|per-order] [--worker production|simple] \
        [--limit N] [--sample 200] [--reuse]

1. Data: on an EMPTY database, ``bench/attribution_data.py`` generates it (``flask db upgrade``,
   COPY, ANALYZE; about a minute). With ``--reuse`` it takes a database a previous run
   generated (``flask db upgrade`` first) and empties the attribution tables instead.
2. Flushes the Redis database of ``--redis-url`` and asks for the attribution of the paid
   orders (all, or the first ``--limit`` by id) the way production does:
   ``--mode batch`` (the default) calls ``attribution.services.request_attribution`` for each
   order in the transaction that stands for its payment, as ``record_payment_succeeded``
   does: the request row, and after the commit the coalesced wake-up job;
   ``--mode per-order`` sends the pre-batch job: ``workers.jobs.attribute_order(order_id)``
   with the job id ``attribute-order-{id}`` and the retry policy, through ``queueing.send``.
3. Runs ONE worker until the queues are empty: ``python -m workers --burst`` (the production
   entry point and worker class), or with ``--worker simple`` RQ's non-forking
   ``workers.AppSimpleWorker``, for comparison. Prints orders/s over the worker's wall time
   (process start to exit), over the jobs' span (first job started to last job ended), and
   over the time spent in attribution jobs, which the target is checked against: the worker
   also runs the report rollups that the attribution wakes (``refresh_reports``), and the
   wall time and span include them. Each job function's time is printed.
4. Checks the result: every order has exactly one attribution row and no pending request,
   every line's credits sum to 1,000,000 parts per million or the line has none (organic),
   every click-based credit equals the sum of its touchpoints' weights, no job failed; then,
   for ``--sample`` random orders, calls the single-order ``attribute_order`` again and
   checks that it stores exactly the credits (and touchpoints) the run stored.
5. Prints the ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement that one batch (the claim of
   500 requests, then ``attribute_orders``) and one single-order job send, captured from
   SQLAlchemy while they run and re-run in order in one transaction that is rolled back
   (after an ``ANALYZE`` of the attribution tables, as autovacuum would do). Lists of ids are
   shortened in the printout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from read_paths import ROOT, _interrupt, log, run_flask, server_env  # noqa: E402

TARGET = 500  # orders/s
ATTRIBUTION_TABLES = (  # what a run writes, emptied by --reuse
    "commission_lines", "attribution_touchpoints", "attribution_credits", "order_attributions", "attribution_requests",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an EMPTY PostgreSQL database (or one generated before, with --reuse)")
    parser.add_argument("--redis-url", required=True, help="a Redis database for this benchmark only: it is flushed")
    parser.add_argument("--mode", choices=("batch", "per-order"), default="batch")
    parser.add_argument("--worker", choices=("production", "simple"), default="production",
                        help="production: python -m workers --burst; simple: workers.AppSimpleWorker (no fork per job)")
    parser.add_argument("--limit", type=int, help="attribute only the first N paid orders (by id)")
    parser.add_argument("--sample", type=int, default=200, help="orders re-attributed one by one to compare")
    parser.add_argument("--reuse", action="store_true", help="reuse generated data; empty the attribution tables")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--orders", type=int, default=20_000, help="paid orders to generate")
    parser.add_argument("--visitors", type=int, default=100_000)
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--worker-child", choices=("simple",), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def bench_env(args) -> dict[str, str]:
    env = server_env(args.database_url, 1, 1, 0)
    env.update({"REDIS_URL": args.redis_url, "LOG_LEVEL": "WARNING"})
    return env


# ---------------------------------------------------------------- the worker


def simple_worker_child() -> int:
    """workers/__main__.py, with RQ's SimpleWorker class and in burst mode."""
    from sqlalchemy.orm import configure_mappers

    from marketplace import create_app
    from workers import AppSimpleWorker

    app = create_app()
    import marketplace.models  # noqa: F401

    configure_mappers()
    AppSimpleWorker(app.config["RQ_QUEUES"], connection=app.extensions["redis"], app=app).work(burst=True, with_scheduler=True)
    return 0


def run_worker(args, env, log_path: Path) -> float:
    command = [sys.executable, "-m", "workers", "--burst"]
    if args.worker == "simple":
        command = [sys.executable, str(Path(__file__).resolve()), "--database-url", args.database_url,
                   "--redis-url", args.redis_url, "--worker-child", "simple"]
    with open(log_path, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = process.wait(timeout=3600)
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"worker exited with {code}:\n{log_path.read_text(errors='replace')[-3000:]}")
    return seconds


def job_span(redis) -> tuple[float, int, int, dict[str, list[float]]]:
    """(seconds from the first job's start to the last job's end, finished jobs, failed jobs,
    {job function: [each finished job's seconds]}) over all queues."""
    from rq import Queue
    from rq.job import Job

    starts, ends, finished, failed = [], [], 0, 0
    by_function: dict[str, list[float]] = {}
    for name in ("default", "low"):
        queue = Queue(name, connection=redis)
        ids = queue.finished_job_registry.get_job_ids()
        failed += len(queue.failed_job_registry.get_job_ids())
        finished += len(ids)
        for start in range(0, len(ids), 1000):
            for job in Job.fetch_many(ids[start : start + 1000], connection=redis):
                if job is not None and job.started_at and job.ended_at:
                    starts.append(job.started_at)
                    ends.append(job.ended_at)
                    by_function.setdefault(job.func_name, []).append((job.ended_at - job.started_at).total_seconds())
    span = (max(ends) - min(starts)).total_seconds() if starts else 0.0
    return span, finished, failed, by_function


# ---------------------------------------------------------------- asking for the attribution


def enqueue(args, app, order_ids: list[int]) -> float:
    from marketplace.db import db

    started = time.perf_counter()
    with app.app_context():
        if args.mode == "per-order":
            from marketplace.queueing import PendingJob, send

            try:
                from marketplace.queueing import FOLLOW_UP_RETRY
            except ImportError:  # the code before batches (for the "before" figures)
                from marketplace.orders.services import FOLLOW_UP_RETRY

            for order_id in order_ids:
                send(PendingJob("workers.jobs.attribute_order", (order_id,), {}, job_id=f"attribute-order-{order_id}",
                                retry=FOLLOW_UP_RETRY))
        else:
            from marketplace.attribution.services import request_attribution

            for start in range(0, len(order_ids), 500):
                for order_id in order_ids[start : start + 500]:
                    request_attribution(order_id)  # as in record_payment_succeeded's transaction
                db.session.commit()  # after it: the wake-up job, unless one is already waiting
    return time.perf_counter() - started


# ---------------------------------------------------------------- checking


def snapshot(session, order_ids) -> dict[int, list[tuple]]:
    from sqlalchemy import select

    from marketplace.attribution.models import AttributionCredit

    credits: dict[int, list[tuple]] = {order_id: [] for order_id in order_ids}
    for credit in session.scalars(select(AttributionCredit).where(AttributionCredit.order_id.in_(order_ids))):
        credits[credit.order_id].append((
            credit.order_line_id, credit.influencer_id, credit.fraction_ppm, credit.rule, credit.model,
            credit.window_days, credit.discount_code_id, credit.self_referral,
            tuple((t.link_id, t.clicked_at, t.weight_ppm) for t in credit.touchpoints),
        ))
    return {order_id: sorted(rows) for order_id, rows in credits.items()}


def verify(app, order_ids: list[int], sample: int) -> dict:
    from sqlalchemy import text

    from marketplace.attribution.services import attribute_order
    from marketplace.db import db

    q = lambda sql: db.session.execute(text(sql), {"ids": order_ids})  # noqa: E731
    with app.app_context():
        attributed = q("SELECT count(*) FROM order_attributions WHERE order_id = ANY(:ids)").scalar_one()
        pending = db.session.execute(text("SELECT count(*) FROM attribution_requests")).scalar_one() if _has_requests() else 0
        lines = q("""
            SELECT count(*) AS lines,
                   count(*) FILTER (WHERE s.total = 0 AND s.n = 0) AS organic,
                   count(*) FILTER (WHERE s.total = 1000000) AS whole,
                   count(*) FILTER (WHERE s.rules = 'discount_code') AS by_code
            FROM (SELECT l.id, coalesce(sum(c.fraction_ppm), 0) AS total, count(c.id) AS n, string_agg(DISTINCT c.rule, ',') AS rules
                  FROM order_lines l LEFT JOIN attribution_credits c ON c.order_line_id = l.id
                  WHERE l.order_id = ANY(:ids) GROUP BY l.id) s
        """).one()
        foreign = q("""
            SELECT count(*) FROM attribution_credits c JOIN order_lines l ON l.id = c.order_line_id
            WHERE c.order_id = ANY(:ids) AND l.order_id <> c.order_id
        """).scalar_one()
        uneven = q("""
            SELECT count(*) FROM (
                SELECT c.id FROM attribution_credits c LEFT JOIN attribution_touchpoints t ON t.credit_id = c.id
                WHERE c.order_id = ANY(:ids) AND c.rule <> 'discount_code'
                GROUP BY c.id, c.fraction_ppm HAVING coalesce(sum(t.weight_ppm), 0) <> c.fraction_ppm) s
        """).scalar_one()
        credits = q("SELECT count(*) FROM attribution_credits WHERE order_id = ANY(:ids)").scalar_one()
        self_referrals = q("SELECT count(*) FROM attribution_credits WHERE order_id = ANY(:ids) AND self_referral").scalar_one()
        touchpoints = q("""SELECT count(*) FROM attribution_touchpoints t JOIN attribution_credits c ON c.id = t.credit_id
                           WHERE c.order_id = ANY(:ids)""").scalar_one()
        db.session.rollback()

        picked = sorted(random.Random(7).sample(order_ids, min(sample, len(order_ids))))
        before = snapshot(db.session, picked)
        db.session.rollback()
        for order_id in picked:
            attribute_order(order_id)
        after = snapshot(db.session, picked)
        differing = [order_id for order_id in picked if before[order_id] != after[order_id]]
    ok = (attributed == len(order_ids) and pending == 0 and lines.lines == lines.organic + lines.whole
          and not foreign and not uneven and not differing)
    return {
        "ok": ok, "attributed": attributed, "pending": pending, "lines": lines.lines, "organic": lines.organic,
        "whole": lines.whole, "by_code": lines.by_code, "foreign": foreign, "uneven": uneven, "credits": credits,
        "touchpoints": touchpoints, "self_referrals": self_referrals, "sampled": len(picked), "differing": differing[:10],
        "sampled_with_credits": sum(1 for order_id in picked if before[order_id]),
    }


def _has_requests() -> bool:
    from marketplace.db import db

    from sqlalchemy import inspect

    return "attribution_requests" in inspect(db.engine).get_table_names()


# ---------------------------------------------------------------- query plans


def capture(engine, action) -> list[tuple[str, object]]:
    """The statements ``action()`` sends, with their parameters (executemany ones left out)."""
    from sqlalchemy import event

    statements: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements


LONG_LIST = re.compile(r"'\{([^}]{200,})\}'")
PLACEHOLDERS = re.compile(r"(%\((\w+?)_\d+(?:_\d+)?\)s(::\w+)?(, )?){4,}")


def compact(text_: str) -> str:
    """Shorten the 500-id lists that batch statements and plans carry."""
    text_ = LONG_LIST.sub(lambda m: "'{" + ",".join(m.group(1).split(",")[:6]) + f",... {m.group(1).count(',') + 1} values}}'", text_)
    return PLACEHOLDERS.sub(lambda m: f"%({m.group(2)}_1)s, ... ", text_)


def explain(engine, statements) -> list[str]:
    """Each statement's plan, run in order in one transaction (so each sees what the previous did), rolled back."""
    out = []
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            for statement, parameters in statements:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
                out.append(compact(f"-- {statement.strip()}\n" + "\n".join(plan)))
        finally:
            transaction.rollback()
    return out


def query_plans(app, order_ids: list[int]) -> str:
    """The plans of what one batch (the claim included) and one single-order job send."""
    from sqlalchemy import text

    from marketplace.attribution import services
    from marketplace.db import db

    sections = []
    with app.app_context():
        engine = db.engine
        db.session.execute(text("ANALYZE attribution_credits, attribution_touchpoints, order_attributions"))
        db.session.commit()
        if hasattr(services, "attribute_orders"):
            batch = order_ids[: app.config["ATTRIBUTION_BATCH_SIZE"]]
            db.session.execute(text("INSERT INTO attribution_requests (order_id, requested_at) "
                                    "SELECT unnest(CAST(:ids AS integer[])), now() ON CONFLICT DO NOTHING"), {"ids": batch})
            db.session.commit()
            db.session.execute(text("ANALYZE attribution_requests"))
            db.session.commit()

            def one_batch():  # what attribute_pending does per batch, rolled back instead of committed
                services.attribute_orders(services._take(services._oldest_requests(len(batch))))
                db.session.rollback()

            statements = capture(engine, one_batch)
            sections.append(f"### batch path: one batch of {len(batch)} orders (claim + attribute_orders), "
                            f"{len(statements)} statements\n\n" + "\n\n".join(explain(engine, statements)))
            db.session.execute(text("DELETE FROM attribution_requests"))
            db.session.commit()
        one = db.session.execute(text("""
            SELECT o.id FROM orders o WHERE o.id = ANY(:ids) AND o.discount_code_id IS NULL AND o.visitor_id IS NOT NULL
            AND (SELECT count(*) FROM clicks c WHERE c.visitor_id = o.visitor_id) BETWEEN 8 AND 30 ORDER BY o.id LIMIT 1
        """), {"ids": order_ids}).scalar_one()
        db.session.rollback()
        statements = capture(engine, lambda: services.attribute_order(one))
        sections.append(f"### single-order path: attribute_order({one}), {len(statements)} statements\n\n"
                        + "\n\n".join(explain(engine, statements)))
    return "\n\n".join(sections)


# ---------------------------------------------------------------- main


def prepare_database(args) -> str:
    from sqlalchemy import create_engine, inspect, text

    from marketplace.config import normalize_database_url

    if not args.reuse:
        from attribution_data import generate

        result = generate(args.database_url, visitors=args.visitors, clicks=args.clicks, orders=args.orders)
        return (f"generated in {result['seconds']:.0f} s: "
                + ", ".join(f"{n} {t}" for t, n in result["rows"].items() if t in ("clicks", "orders", "order_lines", "share_links")))
    run_flask(["db", "upgrade"], bench_env(args))  # data generated before a newer migration
    engine = create_engine(normalize_database_url(args.database_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            tables = [t for t in ATTRIBUTION_TABLES if t in inspect(conn).get_table_names()]
            conn.execute(text(f"TRUNCATE {', '.join(tables)}"))
            conn.execute(text("VACUUM ANALYZE " + ", ".join(tables)))
            clicks = conn.execute(text("SELECT count(*) FROM clicks")).scalar_one()
            orders = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
    finally:
        engine.dispose()
    return f"reused: {clicks} clicks, {orders} orders; attribution tables emptied"


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker_child:
        os.environ.update(bench_env(args))
        return simple_worker_child()
    signal.signal(signal.SIGTERM, _interrupt)
    env = bench_env(args)
    os.environ.update(env)  # the in-process app (enqueueing, checks) sees what the worker sees
    from redis import Redis

    from marketplace import create_app
    from marketplace.db import db
    from sqlalchemy import text

    log(f"database: {args.database_url}")
    log(prepare_database(args))
    redis = Redis.from_url(args.redis_url)
    redis.flushdb()
    app = create_app()
    with app.app_context():
        order_ids = list(db.session.scalars(text("SELECT id FROM orders WHERE status = 'paid' ORDER BY id")))
        if args.limit:
            order_ids = order_ids[: args.limit]
        server = db.session.execute(text("SHOW server_version")).scalar_one()
        db.session.rollback()
    enqueue_seconds = enqueue(args, app, order_ids)
    log(f"{len(order_ids)} orders asked for ({args.mode}) in {enqueue_seconds:.1f} s; queued jobs: "
        f"{sum(redis.llen(f'rq:queue:{q}') for q in ('default', 'low'))}")

    log_path = Path(tempfile.mkdtemp(prefix="attr-bench-")) / "worker.log"
    wall = run_worker(args, env, log_path)
    span, finished, failed, by_function = job_span(redis)
    log(f"worker done in {wall:.1f} s ({finished} jobs finished, {failed} failed); checking")
    checks = verify(app, order_ids, args.sample)

    print(f"PostgreSQL {server}; {os.cpu_count()} cores; mode {args.mode}; worker {args.worker}; "
          f"batch size {app.config.get('ATTRIBUTION_BATCH_SIZE', '-')}; model {app.config['ATTRIBUTION_MODEL']}")
    print(f"orders: {len(order_ids)}; jobs finished {finished}, failed {failed}")
    print(f"worker wall time {wall:.1f} s -> {len(order_ids) / wall:.0f} orders/s; "
          f"jobs' span {span:.1f} s -> {len(order_ids) / span if span else 0:.0f} orders/s")
    for function, seconds in sorted(by_function.items()):
        print(f"  {function}: {len(seconds)} job(s), {sum(seconds):.1f} s")
    # The worker also runs the jobs the attribution wakes (the report rollups, issue #6's): its
    # wall time covers them. The target is the attribution's own rate: orders per second of
    # attribution jobs (the batch job, and single-order jobs if any).
    attributing = sum(sum(seconds) for function, seconds in by_function.items() if ".attribute_" in function)
    rate = len(order_ids) / attributing if attributing else 0
    print(f"attribution jobs {attributing:.1f} s -> {rate:.0f} orders/s")
    print("checks: " + json.dumps(checks, default=str))
    verdict = "MET" if rate >= TARGET else "NOT MET"
    print(f"target >= {TARGET} orders/s (attribution jobs): {verdict}; "
          f"checks {'OK' if checks['ok'] and not failed else 'FAILED'}")
    if not args.no_explain:
        print()
        print(query_plans(app, order_ids))
    return 0 if checks["ok"] and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
