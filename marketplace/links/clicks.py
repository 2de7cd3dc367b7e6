"""Clicks: classified and hashed on the redirect, stored in batches.

The redirect's hot path does no SQL: with Redis, the click is one ``RPUSH`` onto a
buffer that ``drain_clicks`` (a job every few seconds, and before each attribution)
moves into the database in batches; without Redis (the embedded default) the same
code stores it at once. Repeats (the same visitor, or the same address hash and
browser, on the same link within the hour) are decided when storing, in time order.
Each click carries a random id, so a batch stored twice (a drainer that died between
its commit and trimming the buffer) adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from ua_parser import parse as parse_user_agent

from marketplace.db import db, utcnow
from marketplace.links.models import Click
from marketplace.queueing import get_redis

log = logging.getLogger(__name__)

BUFFER_KEY = "marketplace:clicks:buffer"
DRAIN_LOCK_KEY = "marketplace:clicks:drain-lock"
REPEAT_WINDOW = timedelta(hours=1)
INSERT_CHUNK = 1000
# Link-preview fetchers and headless browsers that ua-parser does not call spiders.
EXTRA_BOTS = re.compile(
    r"headless|phantomjs|puppeteer|playwright|selenium|preview|embedly|skypeuripreview|curl|wget|python-requests|httpx",
    re.IGNORECASE,
)


def classify(user_agent: str) -> tuple[str, str, bool]:
    """``(device, browser, is_bot)`` for a User-Agent header."""
    if not user_agent.strip():
        return "bot", "Other", True
    parsed = parse_user_agent(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    device_family = parsed.device.family if parsed.device else ""
    if device_family == "Spider" or EXTRA_BOTS.search(user_agent):
        return "bot", browser[:64], True
    if "iPad" in device_family or "Tablet" in user_agent or ("Android" in user_agent and "Mobile" not in user_agent):
        return "tablet", browser[:64], False
    if "Mobile" in user_agent or device_family in ("iPhone", "iPod"):
        return "mobile", browser[:64], False
    return "desktop", browser[:64], False


def hash_ip(ip: str | None, today: date | None = None) -> str:
    """A keyed hash of the address whose key changes every day: counts a repeat within a
    day, cannot be reversed or joined across days. The raw address is never stored."""
    day = (today or date.today()).isoformat()
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), f"ip-salt:{day}".encode(), hashlib.sha256).digest()
    return hmac.new(key, (ip or "").encode(), hashlib.sha256).hexdigest()[:32]


def record_click(link_id: int, visitor_id: str, user_agent: str, ip: str | None, referrer: str | None) -> bool:
    """Buffer (or, without Redis, store) one click. Never raises: the redirect must not fail."""
    device, browser, is_bot = classify(user_agent)
    click = {
        "uid": uuid.uuid4().hex,
        "link_id": link_id,
        "visitor_id": visitor_id,
        "occurred_at": utcnow().isoformat(),
        "referrer_host": ((urlsplit(referrer).hostname or "")[:255] or None) if referrer else None,
        "device": device,
        "browser": browser,
        "ip_hash": hash_ip(ip),
        "is_bot": is_bot,
    }
    try:
        redis = get_redis()
        if redis is None:
            store_clicks([click])
        else:
            redis.rpush(BUFFER_KEY, json.dumps(click))
        return True
    except Exception:
        db.session.rollback()
        log.exception("click on link %s not recorded", link_id, extra={"metric": "click_record_failures"})
        return False


def store_clicks(clicks: list[dict[str, Any]]) -> int:
    """Insert a batch of clicks, deciding repeats in time order; returns the rows added."""
    if not clicks:
        return 0
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
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), INSERT_CHUNK):  # multi-row INSERTs within SQLite's parameter limit
        chunk = rows[start : start + INSERT_CHUNK]
        statement = insert(Click.__table__).values(chunk).on_conflict_do_nothing(index_elements=["uid"])
        added += len(db.session.execute(statement.returning(Click.__table__.c.id)).all())  # rowcount is -1 on psycopg
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
    """Move buffered clicks into the database; returns how many were stored. One drainer at a time."""
    redis = get_redis()
    if redis is None:
        return 0
    token = uuid.uuid4().hex
    if not redis.set(DRAIN_LOCK_KEY, token, nx=True, ex=lock_seconds):
        return 0
    stored = 0
    try:
        while raw := redis.lrange(BUFFER_KEY, 0, batch_size - 1):
            stored += store_clicks([json.loads(item) for item in raw])
            redis.ltrim(BUFFER_KEY, len(raw), -1)  # only after the commit: a crash re-reads, uids dedupe
    finally:
        if redis.get(DRAIN_LOCK_KEY) == token.encode():
            redis.delete(DRAIN_LOCK_KEY)
    return stored
