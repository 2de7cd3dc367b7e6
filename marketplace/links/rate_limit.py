"""The share-link redirect's rate limit: requests per client address, in fixed windows.

``GET /r/{code}`` for a cached code is answered before Flask's hooks (``links.hot_path``), so
Flask-Limiter never sees it, and its check would cost a Redis round trip the redirect no longer
waits for (docs/benchmarks.md). So the count rides with the click instead: ``INCR`` and
``EXPIRE`` of the address's window key go out in the same write as the click's ``RPUSH``
(``clicks.ClickAppender``), and, like the ``RPUSH``'s reply, the count is read on a later
request once it has arrived. A count past the limit makes this process refuse that address
(429, nothing recorded) until its window ends. Per request that is two more commands in a write
already made and a dictionary lookup; the price is an overshoot of the requests a worker
answers before it reads the reply that crossed the limit (docs/reliability.md has the figures).

The address is its daily keyed hash (``clicks.hash_ip``), never the raw address. Without Redis
(the embedded default) the count is kept in the process. The limit counts every request to
``/r/``: known codes (with their click), unknown ones (a 404: guessing codes), and HEAD.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from cachetools import TTLCache
from flask import current_app
from limits import parse

KEY_PREFIX = "marketplace:redirect-rate"
MAX_ADDRESSES = 100_000  # refused (or, without Redis, counted) addresses kept per process


@dataclass(frozen=True)
class Window:
    key: str  # the Redis key of this address's count in this window
    ends_at: float  # epoch seconds


class RedirectRateLimit:
    def __init__(self, limit: str) -> None:
        item = parse(limit)  # "300 per minute", as Flask-Limiter's strings
        self.amount, self.seconds = item.amount, item.get_expiry()
        self._refused: TTLCache = TTLCache(MAX_ADDRESSES, ttl=self.seconds)  # address hash -> window end
        self._counts: TTLCache = TTLCache(MAX_ADDRESSES, ttl=self.seconds)  # without Redis: key -> count
        self._lock = threading.Lock()

    def window(self, ip_hash: str, now: float | None = None) -> Window:
        start = int((now or time.time()) // self.seconds) * self.seconds
        return Window(f"{KEY_PREFIX}:{start}:{ip_hash}", start + self.seconds)

    def refuses(self, ip_hash: str, now: float | None = None) -> bool:
        with self._lock:
            ends_at = self._refused.get(ip_hash)
        return ends_at is not None and ends_at > (now or time.time())

    def counted(self, ip_hash: str, count: int, window: Window) -> None:
        """A window's count, as Redis (or this process) answered it."""
        if count > self.amount:
            with self._lock:
                self._refused[ip_hash] = window.ends_at

    def count_here(self, ip_hash: str) -> bool:
        """Without Redis: count the request in this process; False when it is over the limit."""
        window = self.window(ip_hash)
        with self._lock:
            count = self._counts[window.key] = self._counts.get(window.key, 0) + 1
        self.counted(ip_hash, count, window)
        return count <= self.amount


def redirect_rate_limit() -> RedirectRateLimit | None:
    """This app's limit (one per process, kept with the app), or None when rate limits are off."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return None
    limit = current_app.extensions.get("redirect_rate_limit")
    if limit is None:
        limit = current_app.extensions["redirect_rate_limit"] = RedirectRateLimit(config["REDIRECT_RATE_LIMIT"])
    return limit
