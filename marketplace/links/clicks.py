"""Clicks: classified and hashed on the redirect, stored in batches.

The redirect's hot path does no SQL: with Redis, the click is one ``RPUSH`` onto a
buffer that ``drain_clicks`` (a job every few seconds, and before each attribution)
moves into the database in batches; without Redis (the embedded default) the same
code stores it at once. Repeats (the same visitor, or the same address hash and
browser, on the same link within the hour) are decided when storing, in time order:
on PostgreSQL by one set-based statement, elsewhere (SQLite) by a pass in Python; the
tests hold the two to the same decisions. Each click carries a random id, so a batch
stored twice (a drainer that died between its commit and trimming the buffer) adds
nothing.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import hiredis
import ua_parser
from flask import current_app
from psycopg.errors import UniqueViolation
from redis.exceptions import ConnectionError as RedisConnectionError, ResponseError, TimeoutError as RedisTimeoutError
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError
from ua_parser import Domain

from marketplace.db import db, on_postgresql, upsert, utcnow
from marketplace.links.models import Click
from marketplace.links.rate_limit import RedirectRateLimit, redirect_rate_limit
from marketplace.queueing import enqueue_after_commit, get_redis

log = logging.getLogger(__name__)

BUFFER_KEY = "marketplace:clicks:buffer"
DRAIN_LOCK_KEY = "marketplace:clicks:drain-lock"
ROLL_UP_JOB = "workers.jobs.roll_up_clicks"
ROLL_UP_WAKE_KEY = "marketplace:clicks:roll-up-waiting"
REPEAT_WINDOW = timedelta(hours=1)
INSERT_CHUNK = 1000
# Link-preview fetchers and headless browsers that ua-parser does not call spiders; matched on
# the lowercased header (an IGNORECASE search costs ten times as much, on every redirect).
EXTRA_BOTS = re.compile(
    r"headless|phantomjs|puppeteer|playwright|selenium|preview|embedly|skypeuripreview|curl|wget|python-requests|httpx"
)


def classify(user_agent: str) -> tuple[str, str, bool]:
    """``(device, browser, is_bot)`` for a User-Agent header."""
    if not user_agent.strip():
        return "bot", "Other", True
    parsed = ua_parser.parser(user_agent, Domain.USER_AGENT | Domain.DEVICE)  # not the OS: not kept
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    device_family = parsed.device.family if parsed.device else ""
    if device_family == "Spider" or EXTRA_BOTS.search(user_agent.lower()):
        return "bot", browser[:64], True
    if "iPad" in device_family or "Tablet" in user_agent or ("Android" in user_agent and "Mobile" not in user_agent):
        return "tablet", browser[:64], False
    if "Mobile" in user_agent or device_family in ("iPhone", "iPod"):
        return "mobile", browser[:64], False
    return "desktop", browser[:64], False


def hash_ip(ip: str | None, today: date | None = None) -> str:
    """A keyed hash of the address whose key changes every day: counts a repeat within a
    day, cannot be reversed or joined across days. The raw address is never stored.
    (Keyed BLAKE2b, 128 bits: one pass, a fifth of an HMAC-SHA256's time on the redirect.)"""
    key = _daily_salt(current_app.config["SECRET_KEY"], today or date.today())
    return hashlib.blake2b((ip or "").encode(), key=key, digest_size=16).hexdigest()


@lru_cache(maxsize=4)
def _daily_salt(secret_key: str, day: date) -> bytes:
    return hmac.new(secret_key.encode(), f"ip-salt:{day.isoformat()}".encode(), hashlib.sha256).digest()


def click_uid() -> str:
    """32 hex characters: microseconds since the epoch, then 72 random bits. Unique as a uuid4
    is, but in time order, so the unique index on uid is appended to rather than written at
    random pages (docs/benchmarks.md, click ingestion)."""
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(9)}"


def new_click(link_id: int, visitor_id: str, user_agent: str, ip: str | None, referrer: str | None) -> dict[str, Any]:
    """One click as the redirect records it (the address only as its daily hash)."""
    device, browser, is_bot = classify(user_agent)
    return {
        "uid": click_uid(),
        "link_id": link_id,
        "visitor_id": visitor_id,
        "occurred_at": utcnow().isoformat(),
        "referrer_host": ((urlsplit(referrer).hostname or "")[:255] or None) if referrer else None,
        "device": device,
        "browser": browser,
        "ip_hash": hash_ip(ip),
        "is_bot": is_bot,
    }


def admit(ip: str | None, click: dict[str, Any] | None = None) -> bool:
    """One request to ``/r/``: counted against its address's rate limit (``links.rate_limit``) and,
    for a GET, its click buffered (or, without Redis, stored). False when the address is over the
    limit: nothing is recorded then. Never raises: a failure is logged and the request admitted."""
    ip_hash = click["ip_hash"] if click else hash_ip(ip)
    limit = redirect_rate_limit()
    try:
        redis = get_redis()
        if redis is not None:
            return _appender(redis).send(json.dumps(click) if click else None, ip_hash, limit)
        if limit is not None and not limit.count_here(ip_hash):
            return False
        if click:
            store_clicks([click])
        return True
    except Exception:
        db.session.rollback()
        if click:
            log.exception("click on link %s not recorded", click["link_id"], extra={"metric": "click_record_failures", "count": 1})
        else:
            log.exception("a redirect was not counted")
        return True


_CLICK = "click"  # what a pending reply answers: a click's RPUSH, (limit, hash, window) for a count, None


class ClickAppender:
    """RPUSHes clicks onto the buffer, and counts each address's requests, without waiting for Redis.

    Each request is one write on a connection this process keeps for it: the click's ``RPUSH``
    and the address's ``INCR``/``EXPIRE`` (``links.rate_limit``). The redirect answers once the
    write is on the socket, not after Redis replied (a round trip of system calls and waiting
    saved per redirect: docs/benchmarks.md). Replies are read on later requests, once they have
    arrived: an error reply is logged and counted then, and a count past the limit makes this
    process refuse that address. If the connection breaks, the click being sent and those whose
    replies were not read yet are logged and counted as not recorded (some of them may have
    been), and the next request connects again. Redis gets ``TIMEOUT_SECONDS`` to accept a
    connection or take a write, and after a failure it is left alone for ``RETRY_SECONDS``: the
    clicks meanwhile are counted as not recorded at once, so a hung Redis costs the redirect at
    most one short wait a second per process, not a socket timeout per click. At exit (gunicorn recycling or stopping a
    worker), ``close`` waits for the replies still due. The trade-off: a worker killed outright
    (SIGKILL, out of memory, a crash) within about one Redis round trip of answering can lose
    the clicks Redis had not read yet, uncounted."""

    TIMEOUT_SECONDS = 0.25
    RETRY_SECONDS = 1.0

    def __init__(self, redis) -> None:
        self.redis = redis
        self._connection = None
        self._pending: deque = deque()  # what each reply not read yet answers, in order
        self._retry_at = 0.0
        self._lock = threading.Lock()  # one connection per process, whatever gunicorn's threads

    def send(self, click: str | None, ip_hash: str, limit: RedirectRateLimit | None) -> bool:
        """Read the replies that arrived; then, unless the address is refused (False), send the
        click (if any) and the address's count in one write."""
        with self._lock:
            if time.monotonic() < self._retry_at:
                raise RedisConnectionError("Redis failed a moment ago; not tried again yet")
            try:
                if self._connection is None:
                    pool = self.redis.connection_pool
                    self._connection = pool.connection_class(**{
                        **pool.connection_kwargs, "socket_timeout": self.TIMEOUT_SECONDS,
                        "socket_connect_timeout": self.TIMEOUT_SECONDS,
                    })
                self._read_replies()
                if limit is not None and limit.refuses(ip_hash):
                    return False
                commands, answers = [], []
                if click is not None:
                    commands.append(("RPUSH", BUFFER_KEY, click))
                    answers.append(_CLICK)
                if limit is not None:
                    window = limit.window(ip_hash)
                    commands += [("INCR", window.key), ("EXPIRE", window.key, limit.seconds)]
                    answers += [(limit, ip_hash, window), None]
                if commands:  # packed by hiredis itself: redis-py's packer costs more than the write
                    self._connection.send_packed_command([b"".join(map(hiredis.pack_command, commands))])
                    self._pending.extend(answers)
                return True
            except (RedisConnectionError, RedisTimeoutError):
                unconfirmed = self._lost()
                self._retry_at = time.monotonic() + self.RETRY_SECONDS
                if unconfirmed:
                    log.error("Redis connection lost: %d earlier clicks unconfirmed, perhaps not recorded", unconfirmed,
                              extra={"metric": "click_record_failures", "count": unconfirmed})
                raise  # this click: admit logs and counts it

    def close(self) -> None:
        """Wait (a little) for the replies still due, then disconnect: at the process's exit. A socket
        closed with unread replies is reset, which can drop the clicks Redis has not read yet."""
        with self._lock:
            if self._connection is None:
                return
            try:
                self._read_replies(timeout=1)
            except (RedisConnectionError, RedisTimeoutError):
                unconfirmed = self._lost()
                log.exception("%d clicks unconfirmed at exit, perhaps not recorded", unconfirmed,
                              extra={"metric": "click_record_failures", "count": unconfirmed})
            self._connection.disconnect()

    def _lost(self) -> int:
        """Forget the replies due on a broken connection; the number of clicks among them."""
        unconfirmed = sum(1 for answer in self._pending if answer is _CLICK)
        self._pending.clear()
        self._connection.disconnect()
        return unconfirmed

    def _read_replies(self, timeout: float = 0) -> None:
        while self._pending and self._connection.can_read(timeout=timeout):
            answer = self._pending.popleft()
            try:
                reply = self._connection.read_response()
            except ResponseError:
                if answer is _CLICK:
                    log.exception("a buffered click was refused by Redis",
                                  extra={"metric": "click_record_failures", "count": 1})
                else:
                    log.exception("a redirect's count was refused by Redis")
                continue
            if isinstance(answer, tuple):
                limit, ip_hash, window = answer
                limit.counted(ip_hash, reply, window)


def _appender(redis) -> ClickAppender:
    appender = current_app.extensions.get("click_appender")
    if appender is None or appender.redis is not redis:
        if appender is not None:
            atexit.unregister(appender.close)
        appender = current_app.extensions["click_appender"] = ClickAppender(redis)
        atexit.register(appender.close)  # gunicorn's workers exit through the interpreter (max_requests, SIGTERM)
    return appender


def store_clicks(clicks: list[dict[str, Any]]) -> int:
    """Insert a batch of clicks (as ``new_click`` builds them), deciding repeats in time order;
    returns the rows added. On PostgreSQL one set-based statement does it all, elsewhere Python."""
    if not clicks:
        return 0
    if on_postgresql():
        added = _store_postgres([json.dumps(click) for click in clicks])
    else:
        added = _store_python(clicks)
    _roll_up_later()
    return added


def _roll_up_later() -> None:
    """Wake the click rollup (``reports.rollups.roll_up_clicks``) once the stored clicks committed."""
    enqueue_after_commit(db.session, ROLL_UP_JOB, coalesce=ROLL_UP_WAKE_KEY)
    db.session.commit()


def _store_buffered(raw: list[bytes]) -> int:
    """Store a batch of buffered JSON entries: on PostgreSQL as they are (the server parses them)."""
    if on_postgresql():
        return _store_postgres(raw)
    return _store_python([json.loads(item) for item in raw])


def _store_python(clicks: list[dict[str, Any]]) -> int:
    """The repeat rule in Python, and multi-row INSERTs: SQLite's path, and the reference for PostgreSQL's.

    The clicks are taken in time order (a stable sort: ties keep the buffer's order). A key's
    "last seen" time is the latest human click already stored with it (whatever its time),
    until a human click of the batch replaces it: every human click, counted or not, becomes
    the last seen of its two keys. A human click is a repeat when either key was last seen
    less than an hour before it, or later than it (a click stored earlier, pushed late)."""
    for click in clicks:
        click["occurred_at"] = datetime.fromisoformat(click["occurred_at"])
    clicks.sort(key=lambda c: c["occurred_at"])
    seen = _recent_keys(clicks)
    rows = []
    for click in clicks:
        keys = {("v", click["link_id"], click["visitor_id"]), ("a", click["link_id"], click["ip_hash"], click["browser"])}
        last = max((seen[k] for k in keys if k in seen), default=None)
        repeat = last is not None and click["occurred_at"] - last < REPEAT_WINDOW
        rows.append({**click, "counted": not click["is_bot"] and not repeat})
        if not click["is_bot"]:
            for key in keys:
                seen[key] = click["occurred_at"]
    added = 0
    for start in range(0, len(rows), INSERT_CHUNK):  # multi-row INSERTs within SQLite's parameter limit
        chunk = rows[start : start + INSERT_CHUNK]
        statement = upsert(Click.__table__).values(chunk).on_conflict_do_nothing(index_elements=["uid"])
        added += len(db.session.execute(statement.returning(Click.__table__.c.id)).all())  # rowcount is -1 on psycopg
    db.session.commit()
    return added


# The same rule as _store_python, in one statement: the batch is one JSON array that the server
# parses (json_to_recordset; "position" is the buffer order). The window functions give each
# click the last time a human click of the batch before it (time order, then buffer order) had
# its key; only when the batch has none does it look in the table, with an index lookup per key
# (ix_clicks_visitor_id_occurred_at, ix_clicks_link_id_ip_hash_browser_occurred_at) that stops
# at the first human click less than an hour before, or after, the click. Rows are inserted in
# time order, so ids follow time. (COLLATE "C" only makes the sorts cheaper: equal is equal.)
_POSTGRES_STORE = """
    WITH batch AS (
        SELECT b.*,
               max(b.occurred_at) FILTER (WHERE NOT b.is_bot) OVER (
                   PARTITION BY b.link_id, b.visitor_id COLLATE "C" ORDER BY b.occurred_at, b.position
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS visitor_seen,
               max(b.occurred_at) FILTER (WHERE NOT b.is_bot) OVER (
                   PARTITION BY b.link_id, b.ip_hash COLLATE "C", b.browser COLLATE "C" ORDER BY b.occurred_at, b.position
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS address_seen
        FROM ROWS FROM (
                 json_to_recordset(CAST(:batch AS json)) AS (
                     uid text, link_id integer, visitor_id text, occurred_at timestamptz, referrer_host text,
                     device text, browser text, ip_hash text, is_bot boolean)
             ) WITH ORDINALITY
             AS b(uid, link_id, visitor_id, occurred_at, referrer_host, device, browser, ip_hash, is_bot, position)
    )
    INSERT INTO clicks (uid, link_id, visitor_id, occurred_at, referrer_host, device, browser, ip_hash, is_bot, counted)
    SELECT uid, link_id, visitor_id, occurred_at, referrer_host, device, browser, ip_hash, is_bot,
           CASE
               WHEN is_bot THEN false
               WHEN visitor_seen > occurred_at - :window OR address_seen > occurred_at - :window THEN false
               WHEN visitor_seen IS NULL AND EXISTS (
                   SELECT FROM clicks AS c
                   WHERE c.visitor_id = batch.visitor_id AND c.link_id = batch.link_id
                     AND c.occurred_at > batch.occurred_at - :window AND NOT c.is_bot
               ) THEN false
               WHEN address_seen IS NULL AND EXISTS (
                   SELECT FROM clicks AS c
                   WHERE c.link_id = batch.link_id AND c.ip_hash = batch.ip_hash AND c.browser = batch.browser
                     AND c.occurred_at > batch.occurred_at - :window AND NOT c.is_bot
               ) THEN false
               ELSE true
           END
    FROM batch
    ORDER BY occurred_at, position
"""
# A batch normally holds no stored uid, and a plain INSERT (whose unique index refuses a
# duplicate anyway) costs less than ON CONFLICT's extra check per row. A batch stored before
# (or a uid pushed twice) makes it fail; the batch is then stored again, skipping stored uids.
_POSTGRES_INSERT = text(_POSTGRES_STORE)
_POSTGRES_INSERT_SKIPPING_STORED = text(_POSTGRES_STORE + "    ON CONFLICT (uid) DO NOTHING\n")


def _store_postgres(entries: list[bytes] | list[str]) -> int:
    """Store JSON click entries with _POSTGRES_STORE; returns the rows added."""
    if not entries:
        return 0
    if isinstance(entries[0], bytes):
        batch = (b"[" + b",".join(entries) + b"]").decode()
    else:
        batch = "[" + ",".join(entries) + "]"
    params = {"batch": batch, "window": REPEAT_WINDOW}
    try:
        with db.session.begin_nested():
            added = db.session.execute(_POSTGRES_INSERT, params).rowcount
    except IntegrityError as exc:
        if not isinstance(exc.orig, UniqueViolation):
            raise
        added = db.session.execute(_POSTGRES_INSERT_SKIPPING_STORED, params).rowcount
    db.session.commit()
    return added


def _recent_keys(clicks: list[dict[str, Any]]) -> dict[tuple, datetime]:
    """The latest human click per (link, visitor) and (link, address, browser) in the hour before the batch."""
    since = clicks[0]["occurred_at"] - REPEAT_WINDOW
    link_ids = {c["link_id"] for c in clicks}
    visitors = {c["visitor_id"] for c in clicks}
    addresses = {c["ip_hash"] for c in clicks}
    rows = db.session.execute(
        select(Click.link_id, Click.visitor_id, Click.ip_hash, Click.browser, Click.occurred_at).where(
            Click.link_id.in_(link_ids),
            Click.occurred_at >= since,
            Click.is_bot.is_(False),
            or_(Click.visitor_id.in_(visitors), Click.ip_hash.in_(addresses)),
        )
    )
    seen: dict[tuple, datetime] = {}
    for row in rows:
        for key in (("v", row.link_id, row.visitor_id), ("a", row.link_id, row.ip_hash, row.browser)):
            if key not in seen or row.occurred_at > seen[key]:
                seen[key] = row.occurred_at
    return seen


def drain_clicks(batch_size: int = 5000, lock_seconds: int = 60) -> int:
    """Move buffered clicks into the database; returns how many were stored. One drainer at a time:
    the lock is renewed before each batch, so a long drain (a backlog) keeps it, and a drainer
    that lost it stops."""
    redis = get_redis()
    if redis is None:
        return 0
    stored = 0
    with drain_lock(lock_seconds) as held:
        while held and held.renew() and (raw := redis.lrange(BUFFER_KEY, 0, batch_size - 1)):
            stored += _store_buffered(raw)
            redis.ltrim(BUFFER_KEY, len(raw), -1)  # only after the commit: a crash re-reads, uids dedupe
    if stored:
        _roll_up_later()
    return stored


class _DrainLock:
    def __init__(self, redis, token: str, seconds: int):
        self.redis, self.token, self.seconds = redis, token, seconds

    def renew(self) -> bool:
        if self.redis.get(DRAIN_LOCK_KEY) != self.token.encode():
            log.warning("click drain lock lost; stopping", extra={"metric": "click_drain_lock_lost"})
            return False
        self.redis.expire(DRAIN_LOCK_KEY, self.seconds)
        return True


@contextmanager
def drain_lock(seconds: int = 60, wait: bool = False):
    """Hold the drain's lock: while held, no other process stores clicks, so click ids commit in
    order (what the click rollup's watermark relies on). Yields the lock (``renew()`` before
    each step of a long task), or None when another holder has it and ``wait`` is false; with
    no Redis (clicks stored by the request, one writer at a time), a lock that always renews."""
    redis = get_redis()
    if redis is None:
        yield _NoLock()
        return
    token = uuid.uuid4().hex
    while not redis.set(DRAIN_LOCK_KEY, token, nx=True, ex=seconds):
        if not wait:
            yield None
            return
        time.sleep(0.1)
    try:
        yield _DrainLock(redis, token, seconds)
    finally:
        if redis.get(DRAIN_LOCK_KEY) == token.encode():
            redis.delete(DRAIN_LOCK_KEY)


class _NoLock:
    def renew(self) -> bool:
        return True
