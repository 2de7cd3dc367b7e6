"""Report latency on the issue #6 data set, and how fast the rollups are built and kept.

    .venv/bin/python bench/reports.py --database-url postgresql://postgres@127.0.0.1/gen_reports \
        [--rebuild] [--stale 20000] [--runs 7] [--plans]

The database comes from ``bench/reports_data.py`` (10 M clicks, 1 M orders, one year).

1. ``flask db upgrade``; then, with ``--rebuild`` or when ``report_sales`` is empty, the rollups
   are rebuilt from the raw tables as ``flask reports rebuild`` does (timed: orders/s, clicks/s);
   with ``--derived``, only what is derived from ``report_sales`` and the clicks (totals,
   shoppers, click rollups: after a change of their definitions), each step timed.
2. The rollup job: the ``--stale`` most recent orders are marked stale, as a payment,
   attribution or refund marks them, and ``refresh_stale`` (the RQ job's body) rebuilds their
   rows, in ``--workers`` processes at once (as that many RQ workers run it): orders/s,
   against the issue's 1,000 orders/s. The report tables are vacuumed before each case
   (autovacuum is off on this machine's PostgreSQL; a server would run it).
3. Each brand report for the last 365 days, for three brands (the most orders, the median,
   the fewest), ``--runs`` times after one warm-up, through the app in-process (WSGI test
   client, as an admin: routing, validation, serialization included, no network): median and
   slowest, against the issue's 300 ms median. Influencer reports for the top influencer too.
4. ``--plans``: ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement the attribution report
   (``group_by=influencer`` and ``day``), the models report and the relationships report
   send, for the biggest brand.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attribution import capture, explain  # noqa: E402
from read_paths import log, run_flask, server_env  # noqa: E402

TARGET_MS = 300
REPORT_TABLES = ("report_sales", "report_sale_totals", "report_shoppers", "report_influencer_products", "report_stale_orders")
# One RQ worker's run of the job, in a process of its own (the environment names the database).
JOB = "from marketplace import create_app\nfrom marketplace.reports.rollups import refresh_stale\n" \
      "with create_app().app_context():\n    print(refresh_stale())"
TARGET_ORDERS_PER_S = 1000
BRAND_REPORTS = [
    *((f"attribution group_by={g}", "attribution", {"group_by": g})
      for g in ("influencer", "channel", "product", "storefront", "campaign", "day", "week", "month")),
    ("attribution model=linear", "attribution", {"model": "linear"}),
    ("attribution group_by=influencer tz=America/New_York", "attribution", {"tz": "America/New_York"}),
    ("attribution group_by=day tz=Asia/Kolkata", "attribution", {"group_by": "day", "tz": "Asia/Kolkata"}),
    ("attribution models (all five)", "attribution/models", {}),
    ("relationships", "relationships", {}),
    ("attribution/chart.svg", "attribution/chart.svg", {}),
    ("relationships/chart.svg", "relationships/chart.svg", {}),
    ("attribution CSV", "attribution", {"format": "csv"}),
]
INFLUENCER_REPORTS = [
    ("performance group_by=day", "performance", {"group_by": "day"}),
    ("performance group_by=link", "performance", {"group_by": "link"}),
    ("performance group_by=brand", "performance", {"group_by": "brand"}),
    ("relationships (influencer)", "relationships", {}),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the rollups even if they exist")
    parser.add_argument("--derived", action="store_true", help="rebuild only the rollups derived from report_sales and clicks")
    parser.add_argument("--stale", type=int, default=20000, help="orders for the rollup job's throughput")
    parser.add_argument("--workers", type=int, default=1, help="processes running the rollup job at once")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--no-reports", action="store_true", help="stop after the rollups: no report timings")
    return parser.parse_args(argv)


def timed(call, runs: int) -> tuple[float, float]:
    call()  # warm-up: caches, plans
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000, max(seconds) * 1000


def admin_token(app) -> str:
    from sqlalchemy import select

    from marketplace.accounts.models import Role, User
    from marketplace.accounts.services import create_user, issue_token
    from marketplace.db import db

    email, password = "bench-admin@bench.example", "bench-admin-password"
    with app.app_context():
        if db.session.scalar(select(User).where(User.email == email)) is None:
            create_user(email, password, Role.ADMIN)
        return issue_token(email, password)[0]


def pick_brands(app) -> list[tuple[int, int]]:
    """(brand id, orders in the last year): the most, the median and the fewest."""
    from sqlalchemy import func, select

    from marketplace.db import db
    from marketplace.reports.models import ReportSale

    with app.app_context():
        rows = db.session.execute(
            select(ReportSale.brand_id, func.count(func.distinct(ReportSale.order_id)))
            .group_by(ReportSale.brand_id).order_by(func.count(func.distinct(ReportSale.order_id)).desc())
        ).all()
    return [tuple(rows[0]), tuple(rows[len(rows) // 2]), tuple(rows[-1])]


def top_influencer(app) -> tuple[int, int]:
    """(user id, influencer id) of the influencer with the most credited rows."""
    from sqlalchemy import func, select

    from marketplace.db import db
    from marketplace.influencers.models import InfluencerProfile
    from marketplace.reports.models import ReportSale

    with app.app_context():
        influencer_id = db.session.scalar(
            select(ReportSale.influencer_id).where(ReportSale.influencer_id.is_not(None))
            .group_by(ReportSale.influencer_id).order_by(func.count().desc()).limit(1)
        )
        return db.session.get(InfluencerProfile, influencer_id).user_id, influencer_id


def rebuild(app) -> None:
    from marketplace.reports.rollups import rebuild as rebuild_rollups

    with app.app_context():
        started = time.perf_counter()
        counts = rebuild_rollups()
        seconds = time.perf_counter() - started
    log(f"rebuild: {counts['orders']} orders and {counts['clicks']} clicks in {seconds:.0f} s "
        f"({counts['orders'] / seconds:.0f} orders/s over the whole rebuild)")


def rebuild_derived(app) -> None:
    from marketplace.db import db
    from marketplace.reports.cohorts import rebuild_shoppers
    from marketplace.reports.rollups import rebuild_clicks, rebuild_totals

    with app.app_context():
        for name, step in (("report_sale_totals", rebuild_totals), ("report_shoppers", rebuild_shoppers),
                           ("click rollups", rebuild_clicks)):
            started = time.perf_counter()
            step()
            db.session.commit()
            log(f"{name} rebuilt in {time.perf_counter() - started:.0f} s")


def job_throughput(app, stale: int, workers: int = 1) -> dict[str, float]:
    """The rollup job on the ``stale`` most recent orders, three ways: their rows taken out (the
    orders set back to unpaid, as a payment that never happened), put back (paid again: the
    rows a payment adds), and the orders marked stale again with nothing changed (what a
    commission approval or a second webhook marks). Orders/s each; the orders end as they began."""
    from sqlalchemy import select, text, update

    from marketplace.db import db, insert_rows, utcnow
    from marketplace.orders.models import Order, OrderStatus
    from marketplace.reports.models import ReportStaleOrder
    from marketplace.reports.rollups import refresh_stale

    rates = {}
    with app.app_context():
        orders = db.session.execute(select(Order.id, Order.status).order_by(Order.id.desc()).limit(stale)).all()
        order_ids = [order.id for order in orders]

        def run(case: str) -> None:
            # The rows a payment, an attribution or a refund writes (mark_stale would also run the
            # job at once here: without Redis, jobs run inline after the commit).
            insert_rows(ReportStaleOrder.__table__, [{"order_id": i, "marked_at": utcnow()} for i in order_ids])
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f"VACUUM ANALYZE {', '.join(REPORT_TABLES)}"))
            started = time.perf_counter()
            if workers == 1:
                done = refresh_stale()
            else:
                jobs = [subprocess.Popen([sys.executable, "-c", JOB], stdout=subprocess.PIPE, text=True) for _ in range(workers)]
                done = sum(int(job.communicate()[0].split()[-1]) for job in jobs)
            seconds = time.perf_counter() - started
            rates[case] = done / seconds
            log(f"rollup job, {case}: {done} stale orders in {seconds:.1f} s with {workers} worker(s): "
                f"{rates[case]:.0f} orders/s (target {TARGET_ORDERS_PER_S})")

        db.session.execute(update(Order).where(Order.id.in_(order_ids)).values(status=OrderStatus.PENDING_PAYMENT))
        run("rows taken out (orders unpaid)")
        for status in {order.status for order in orders}:
            db.session.execute(update(Order).where(Order.id.in_([o.id for o in orders if o.status == status]))
                               .values(status=status))
        run("rows added (orders paid)")
        run("marked again, unchanged")
    return rates


def main(argv=None) -> int:
    args = parse_args(argv)
    env = server_env(args.database_url, workers=1, threads=1, max_requests=0)
    run_flask(["db", "upgrade"], env)
    os.environ.update({k: v for k, v in env.items() if k in ("DATABASE_URL", "FLASK_ENV", "REDIS_URL", "SECRET_KEY")})
    os.environ.pop("REDIS_URL", None)  # jobs inline: the benchmark calls the job bodies itself

    from sqlalchemy import func, select

    from marketplace import create_app
    from marketplace.db import db, utcnow
    from marketplace.reports.models import ReportSale

    app = create_app()
    with app.app_context():
        empty = db.session.scalar(select(func.count()).select_from(select(ReportSale.id).limit(1).subquery())) == 0
    if args.rebuild or empty:
        rebuild(app)
    elif args.derived:
        rebuild_derived(app)
    if args.stale:
        job_throughput(app, args.stale, args.workers)
    if args.no_reports:
        return 0

    # As in a gunicorn worker (post_worker_init, marketplace/gunicorn_conf.py): the loaded app's
    # objects out of the collector's sight. Without it, full collections walking them added
    # 100-150 ms to one call in three (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    token = admin_token(app)
    client = app.test_client()
    today = utcnow().date()
    period = {"from": str(today - timedelta(days=364)), "to": str(today + timedelta(days=1))}
    results = []
    for brand_id, orders in pick_brands(app):
        for label, path, params in BRAND_REPORTS:
            url = f"/api/v1/brands/{brand_id}/reports/{path}"

            def call(url=url, params=params):
                response = client.get(url, query_string={**period, **params}, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.get_data(as_text=True)[:500]

            median, slowest = timed(call, args.runs)
            results.append((f"brand {brand_id} ({orders} orders)", label, median, slowest))
            log(f"brand {brand_id}: {label}: median {median:.0f} ms, slowest {slowest:.0f} ms")
    user_id, influencer_id = top_influencer(app)
    influencer_headers = {"Authorization": f"Bearer {token_of(app, user_id)}"}
    for label, path, params in INFLUENCER_REPORTS:
        url = f"/api/v1/me/reports/{path}"

        def call(url=url, params=params):
            response = client.get(url, query_string={**period, **params}, headers=influencer_headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]

        median, slowest = timed(call, args.runs)
        results.append((f"influencer {influencer_id}", label, median, slowest))
        log(f"influencer {influencer_id}: {label}: median {median:.0f} ms, slowest {slowest:.0f} ms")

    print("\n| who | report (last 365 days) | median ms | slowest ms |\n|---|---|---:|---:|")
    for who, label, median, slowest in results:
        print(f"| {who} | {label} | {median:.0f} | {slowest:.0f} |")
    over = [r for r in results if r[0].startswith("brand") and r[2] > TARGET_MS]
    print(f"\nbrand reports over {TARGET_MS} ms at the median: {len(over)} of {sum(r[0].startswith('brand') for r in results)}")

    if args.plans:
        print_plans(app, pick_brands(app)[0][0], period)
    return 0


def token_of(app, user_id: int) -> str:
    """A bearer token for a generated user: the benchmark gives it a password of its own first."""
    from marketplace.accounts.models import User
    from marketplace.accounts.services import issue_token, password_hasher
    from marketplace.db import db

    password = "bench-influencer-password"
    with app.app_context():
        user = db.session.get(User, user_id)
        user.password_hash = password_hasher().hash(password)
        db.session.commit()
        return issue_token(user.email, password)[0]


def print_plans(app, brand_id: int, period: dict) -> None:
    from datetime import date

    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.db import db
    from marketplace.reports import services

    p = services.period(date.fromisoformat(period["from"]), date.fromisoformat(period["to"]))
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "bench-admin@bench.example"))
        for label, action in (
            ("attribution group_by=influencer", lambda: services.attribution_report(admin, brand_id, p, "influencer", None, None)),
            ("attribution group_by=day", lambda: services.attribution_report(admin, brand_id, p, "day", None, None)),
            ("attribution/models", lambda: services.models_report(admin, brand_id, p, "influencer", None)),
            ("relationships", lambda: services.relationships_report(admin, brand_id, p, None)),
        ):
            statements = capture(db.engine, action)
            print(f"\n### {label}, brand {brand_id}\n\n```")
            print("\n\n".join(explain(db.engine, statements)))
            print("```")


if __name__ == "__main__":
    sys.exit(main())
