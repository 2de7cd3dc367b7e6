"""Click ingestion: clicks per second that ``drain_clicks`` moves from the Redis buffer into PostgreSQL.

    .venv/bin/python bench/ingest.py --database-url postgresql://postgres@127.0.0.1/drain_bench \\
        [--redis-url redis://127.0.0.1:6379/12] [--clicks 200000] [--batch-size N] [--history N]

What it does:

1. Prepares the given EMPTY PostgreSQL database (it refuses one with tables) with
   ``flask db upgrade`` and ``flask seed-demo``, then creates ``--links`` share links on the
   demo storefront ``maya-kitchen`` (``links.services.create_link``, in-process). With
   ``--history N`` it then stores N older clicks (the day before: never within the hour of
   the drained ones, so they change no decision) and runs ANALYZE, as for a table in service;
   by default the drain starts on an empty table.
2. Generates ``--clicks`` click entries, shaped exactly as ``record_click`` buffers them,
   spread over ``--hours`` hours: about 75 % new visitors, 20 % returning visitors (half of
   them back within minutes, so many are repeats within the hour; mostly on the same link),
   about 3 % bots, a few visitors behind shared addresses (same address hash and browser:
   repeats by address), and a few double clicks with the very same timestamp. The entries
   are pushed in time order with a few milliseconds of jitter, as several web workers
   would push them, so the buffer is not perfectly sorted.
3. FLUSHES the Redis database of ``--redis-url`` (it refuses one that holds keys other than
   this benchmark's buffer, unless ``--flush-anyway``), pushes the entries onto the buffer
   (``RPUSH marketplace:clicks:buffer``), then times ``drain_clicks(batch_size=...)``
   in-process, inside ``create_app()``'s app context with DATABASE_URL and REDIS_URL set:
   the call the rq cron job makes every 5 s.
4. Checks the result: the rows stored must equal the clicks pushed, the buffer must be
   empty, and every click's ``counted`` must equal an independent recomputation of the
   repeat rule in plain Python over the generated clicks, batch by batch as the drain
   reads them. Prints clicks/s, rows, counted, bots, batches and the slowest batch's time,
   and the CPU time of the drain's PostgreSQL backend (from /proc, so with the database on
   this machine): on a shared machine, clicks per backend CPU-second moves less than
   clicks/s. Exits 1 on any mismatch.

The database is left as it is (drop it yourself); the Redis database is flushed again at
the end.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from read_paths import (  # noqa: E402  (the shared database and environment helpers)
    ROOT, _interrupt, bench_database, log, print_markdown_table, run_flask, server_env,
)

sys.path.insert(0, str(ROOT))

BUFFER_KEY = "marketplace:clicks:buffer"  # as in marketplace/links/clicks.py (not imported: checked below)
HOUR = timedelta(hours=1)
START = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
HUMAN_BROWSERS = [  # (device, browser family) as classify() names them, with rough shares
    ("mobile", "Mobile Safari", 30), ("mobile", "Chrome Mobile", 22), ("desktop", "Chrome", 18),
    ("mobile", "Instagram", 12), ("desktop", "Safari", 6), ("desktop", "Firefox", 4), ("desktop", "Edge", 4),
    ("mobile", "Samsung Internet", 3), ("tablet", "Mobile Safari", 1),
]
BOT_BROWSERS = ["FacebookBot", "Twitterbot", "Slackbot-LinkExpanding", "WhatsApp", "HeadlessChrome", "Other"]
REFERRERS = [None, None, "l.instagram.com", "www.instagram.com", "t.co", "www.tiktok.com", "www.pinterest.com"]


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def generate_clicks(count: int, links: list[int], hours: float, seed: int) -> list[dict]:
    """Click entries as ``record_click`` buffers them, in push order (time order plus a little jitter).
    Each entry also carries ``_t`` (its datetime), which is removed before pushing."""
    rng = random.Random(seed)
    link_weights = [1 / (i + 1) for i in range(len(links))]  # a few popular links, a tail of quiet ones
    shared_addresses = [_hex(rng) for _ in range(40)]  # offices, carrier NATs: many visitors, one address
    browsers, weights = [(d, b) for d, b, _ in HUMAN_BROWSERS], [w for *_, w in HUMAN_BROWSERS]
    span = hours * 3600
    offsets = sorted(rng.uniform(0, span) for _ in range(count))
    visitors: list[dict] = []  # every human visitor so far: the ones that come back
    entries: list[dict] = []
    for offset in offsets:
        at = START + timedelta(seconds=offset)
        kind = rng.random()
        if kind < 0.03:  # a bot or a link-preview fetcher: no cookie kept, its own address
            entry = {"link_id": rng.choices(links, link_weights)[0], "visitor_id": _hex(rng), "device": "bot",
                     "browser": rng.choice(BOT_BROWSERS), "ip_hash": _hex(rng), "is_bot": True, "referrer_host": None}
        elif kind < 0.23 and visitors:  # a returning visitor: half of them back within minutes
            visitor = visitors[-rng.randrange(1, min(len(visitors), 3000) + 1)] if rng.random() < 0.5 else rng.choice(visitors)
            link = visitor["link_id"] if rng.random() < 0.7 else rng.choices(links, link_weights)[0]
            entry = {**visitor, "link_id": link, "referrer_host": rng.choice(REFERRERS)}
        else:  # a new visitor; 4 % of them behind a shared address
            device, browser = rng.choices(browsers, weights)[0]
            entry = {"link_id": rng.choices(links, link_weights)[0], "visitor_id": _hex(rng), "device": device,
                     "browser": browser, "ip_hash": rng.choice(shared_addresses) if rng.random() < 0.04 else _hex(rng),
                     "is_bot": False, "referrer_host": rng.choice(REFERRERS)}
            visitors.append({k: entry[k] for k in ("link_id", "visitor_id", "device", "browser", "ip_hash", "is_bot")})
        entry["_t"] = at
        entries.append(entry)
        if not entry["is_bot"] and rng.random() < 0.005:  # a double click: the very same microsecond
            entries.append({**entry})
    # Several web workers push: the buffer is in time order only to within a few milliseconds.
    jitter = [(e["_t"] + timedelta(milliseconds=rng.uniform(0, 5)), i) for i, e in enumerate(entries)]
    order = sorted(range(len(entries)), key=lambda i: jitter[i])
    entries = [entries[i] for i in order][:count]
    for entry in entries:
        # As click_uid() draws them on the redirect: time first (here the click's), then 72 random bits.
        entry["uid"] = f"{int(entry['_t'].timestamp() * 1_000_000):014x}{rng.getrandbits(72):018x}"
        entry["occurred_at"] = entry["_t"].isoformat()
    return entries


def expected_counted(entries: list[dict], batch_size: int) -> dict[str, bool]:
    """The repeat rule, recomputed here from its statement, batch by batch as the drain reads the buffer.

    A human click counts unless an earlier human click on the same link by the same visitor,
    or by the same address hash and browser, is less than an hour before it (each human click,
    counted or not, is the new "last seen" of its two keys); bots never count and are never
    "seen". Within a batch the clicks are taken in time order (ties: buffer order); a key's
    last-seen time comes from the batch when an earlier click of the batch has it, and
    otherwise from the latest click already stored (whatever its time)."""
    stored: dict[tuple, datetime] = {}
    counted: dict[str, bool] = {}
    for start in range(0, len(entries), batch_size):
        batch = sorted(entries[start:start + batch_size], key=lambda e: e["_t"])
        in_batch: dict[tuple, datetime] = {}
        for e in batch:
            if e["is_bot"]:
                counted[e["uid"]] = False
                continue
            keys = (("visitor", e["link_id"], e["visitor_id"]), ("address", e["link_id"], e["ip_hash"], e["browser"]))
            lasts = [in_batch[k] if k in in_batch else stored.get(k) for k in keys]
            counted[e["uid"]] = not any(last is not None and e["_t"] - last < HOUR for last in lasts)
            for k in keys:
                in_batch[k] = e["_t"]
        for k, t in in_batch.items():
            stored[k] = max(t, stored.get(k, t))
    return counted


def prepare_links(count: int) -> list[int]:
    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.db import db
    from marketplace.links.services import create_link

    maya = db.session.scalars(select(User).where(User.email == "maya@demo.example")).one()
    channels = ["instagram", "tiktok", "youtube", "pinterest", "blog", "email", "sms", "twitter"]
    return [create_link(maya, {"storefront": "maya-kitchen", "channel": channels[i % len(channels)]}).id
            for i in range(count)]


def store_history(count: int, links: list[int]) -> None:
    """``count`` clicks from the day before the generated ones (random visitors and addresses), then ANALYZE."""
    from sqlalchemy import text

    from marketplace.db import db

    db.session.execute(text(
        "INSERT INTO clicks (uid, link_id, visitor_id, occurred_at, referrer_host, device, browser, ip_hash, is_bot, counted) "
        "SELECT md5(random()::text || g), (:links)[1 + g % cardinality(:links)], md5(random()::text), "
        "       :start - interval '1 day' + random() * interval '20 hours', NULL, 'mobile', 'Mobile Safari', "
        "       md5(random()::text), g % 33 = 0, g % 33 <> 0 AND g % 5 <> 0 "
        "FROM generate_series(1, :count) AS g"), {"links": links, "start": START, "count": count})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE clicks"))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a local process (the drain's PostgreSQL backend), None if not readable
    (PostgreSQL on another host). On a shared machine the wall time also counts the waits for a core;
    this does not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_redis(redis, flush_anyway: bool) -> None:
    keys = [k.decode() for k in redis.scan_iter(count=1000)]
    foreign = [k for k in keys if not k.startswith("marketplace:clicks:")]
    if foreign and not flush_anyway:
        raise SystemExit(f"Redis database {redis.connection_pool.connection_kwargs.get('db', 0)} holds other keys "
                         f"({', '.join(foreign[:5])}...): this benchmark FLUSHES it. Pick an unused database, "
                         "or pass --flush-anyway.")


def git_head() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "marketplace", "migrations"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
    return f"commit {head or 'unknown'}" + (" + uncommitted changes" if dirty else "")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="an EMPTY PostgreSQL database, e.g. postgresql://postgres@127.0.0.1/drain_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12",
                        help="Redis database for the buffer; it is FLUSHED (default redis://127.0.0.1:6379/12)")
    parser.add_argument("--clicks", type=int, default=200_000, help="clicks pushed and drained (default 200000)")
    parser.add_argument("--batch-size", type=int, help="drain_clicks(batch_size=...) (default: drain_clicks's own default)")
    parser.add_argument("--links", type=int, default=8, help="share links the clicks go to (default 8)")
    parser.add_argument("--hours", type=float, default=3.0, help="the clicks' timestamps span this many hours (default 3)")
    parser.add_argument("--seed", type=int, default=20261129, help="random seed of the generated clicks")
    parser.add_argument("--history", type=int, default=0,
                        help="first store this many older clicks (the day before, so never within the hour of the "
                        "drained ones) and ANALYZE, as for a table in service (default 0: an empty table)")
    parser.add_argument("--flush-anyway", action="store_true", help="flush the Redis database even if it holds other keys")
    args = parser.parse_args(argv)
    if min(args.clicks, args.links) < 1 or args.hours <= 0 or (args.batch_size is not None and args.batch_size < 1) \
            or args.history < 0:
        parser.error("--clicks, --links, --batch-size >= 1, --hours > 0, --history >= 0")
    if not args.database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="marketplace-ingest-bench-"))
    redis = None
    try:
        database_url, db_kind = bench_database(args.database_url, tmp)
        env = server_env(database_url, workers=1, threads=1, max_requests=0)
        log(f"database: {db_kind}; flask db upgrade + flask seed-demo")
        run_flask(["db", "upgrade"], env)
        run_flask(["seed-demo"], env)

        from redis import Redis

        client = Redis.from_url(args.redis_url)
        check_redis(client, args.flush_anyway)
        redis = client  # from here on it is flushed at the end too
        log(f"flushing Redis database {args.redis_url}")
        redis.flushdb()

        os.environ.update(env)
        os.environ["REDIS_URL"] = args.redis_url
        os.environ["LOG_LEVEL"] = "WARNING"
        from sqlalchemy import event, func, select, text

        from marketplace import create_app
        from marketplace.db import db
        from marketplace.links import clicks as click_module
        from marketplace.links.models import Click

        assert click_module.BUFFER_KEY == BUFFER_KEY
        batch_size = args.batch_size or inspect.signature(click_module.drain_clicks).parameters["batch_size"].default
        app = create_app()
        with app.app_context():
            links = prepare_links(args.links)
            if args.history:
                log(f"storing {args.history} older clicks (the day before) and analyzing")
                store_history(args.history, links)
        log(f"{len(links)} links; generating {args.clicks} clicks over {args.hours:g} h")
        entries = generate_clicks(args.clicks, links, args.hours, args.seed)
        expected = expected_counted(entries, batch_size)
        payloads = [json.dumps({k: v for k, v in e.items() if k != "_t"}) for e in entries]
        pipe = redis.pipeline(transaction=False)
        for start in range(0, len(payloads), 10_000):
            pipe.rpush(BUFFER_KEY, *payloads[start:start + 10_000])
        pipe.execute()
        log(f"pushed {redis.llen(BUFFER_KEY)} entries onto {BUFFER_KEY}; draining with batch_size={batch_size}")

        commits: list[float] = []
        with app.app_context():
            event.listen(db.engine, "commit", lambda conn: commits.append(time.perf_counter()))
            db.engine.dispose()  # the drain then opens one connection and keeps reusing it: one backend to time
            backend = db.session.scalar(text("SELECT pg_backend_pid()"))
            db.session.commit()
            backend_cpu = cpu_seconds(backend)
            began = time.perf_counter()
            stored = click_module.drain_clicks(batch_size=batch_size)
            seconds = time.perf_counter() - began
            backend_cpu = cpu_seconds(backend) - backend_cpu if backend_cpu is not None else None
            db.session.close()
            # The drained clicks: not the history (the day before), nor the demo's own clicks (other links).
            recent = (Click.occurred_at >= START - HOUR) & Click.link_id.in_(links)
            rows = dict(db.session.execute(select(Click.uid, Click.counted).where(recent)).all())
            bots = db.session.scalar(select(func.count()).where(Click.is_bot.is_(True), recent))
            db.session.rollback()
        left = redis.llen(BUFFER_KEY)

        batches = [b - a for a, b in zip([began] + commits, commits)]
        mismatched = sum(1 for uid, counted in expected.items() if rows.get(uid) != counted)
        want_counted, got_counted = sum(expected.values()), sum(rows.values())
        want_bots = sum(e["is_bot"] for e in entries)
        ok = stored == len(entries) == len(rows) and left == 0 and mismatched == 0 and bots == want_bots

        print()
        print(f"click ingestion benchmark, {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
        print(f"machine: nproc={os.cpu_count()} ({platform.machine()}, {platform.system()} {platform.release()}), "
              f"Python {platform.python_version()}; database: {db_kind}; code: {git_head()}")
        print(f"clicks: {len(entries)} on {len(links)} links over {args.hours:g} h (seed {args.seed}); "
              f"drain_clicks(batch_size={batch_size}): {len(batches)} batches; table before the drain: "
              + (f"{args.history} older clicks, analyzed" if args.history else "empty"))
        print()
        print_markdown_table(
            ["clicks pushed", "rows stored", "counted (expected)", "bots (expected)", "seconds", "clicks/s",
             "batch s mean / max", "backend CPU s", "clicks per backend CPU s"],
            [[str(len(entries)), str(len(rows)), f"{got_counted} ({want_counted})", f"{bots} ({want_bots})",
              f"{seconds:.2f}", f"{len(entries) / seconds:.0f}",
              f"{sum(batches) / len(batches):.3f} / {max(batches):.3f}" if batches else "n/a",
              f"{backend_cpu:.2f}" if backend_cpu else "n/a",
              f"{len(entries) / backend_cpu:.0f}" if backend_cpu else "n/a"]],
        )
        print()
        print(f"drain_clicks returned {stored}; left in the buffer: {left}; clicks whose counted differs from the "
              f"recomputed repeat rule: {mismatched} -> {'OK' if ok else 'MISMATCH'}")
        return 0 if ok else 1
    finally:
        if redis is not None:
            redis.flushdb()
            redis.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        log(f"interrupted ({exc or 'Ctrl-C'})")
        sys.exit(130)
