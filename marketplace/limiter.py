"""Rate limits (flask-limiter): in Redis when ``REDIS_URL`` is set, in memory otherwise."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def auth_rate_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    # Redis unreachable: count in this process's memory until it answers again (checked
    # periodically), rather than fail every limited request with a 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        # A hung Redis: wait 1 s for it, not redis-py's 5 s (each time the limiter tries it again).
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1})
    limiter.init_app(app)
