"""Settings, read from environment variables with safe development defaults.

Precedence: built-in defaults < environment variables < the mapping passed to
``create_app(config=...)`` (used by tests and scripts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from limits import parse as parse_limit

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"  # refused in production
# The embedded default: localstripe on loopback, with keys it accepts (any sk_test_ works).
LOCALSTRIPE_URL = "http://127.0.0.1:8420"
LOCALSTRIPE_SECRET_KEY = "sk_test_localstripe"
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_localstripe_development_only"


class ConfigError(RuntimeError):
    """The settings are unsafe or inconsistent; the app refuses to start."""


def normalize_database_url(url: str) -> str:
    """Accept plain ``postgresql://``/``postgres://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def load_settings(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Build the settings mapping from environment variables."""
    environment = env.get("MARKETPLACE_ENV", "development").strip().lower()
    default_db = "sqlite:///" + str(Path(instance_path) / "marketplace.db")
    return {
        "MARKETPLACE_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY") or DEFAULT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(env.get("DATABASE_URL") or default_db),
        "SQLALCHEMY_ECHO": _bool(env.get("SQLALCHEMY_ECHO"), False),
        # No REDIS_URL: jobs run inline after commit and rate limits are kept in memory.
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RQ_QUEUES": ["default", "low"],
        "AUTH_TOKEN_TTL_SECONDS": _int(env, "AUTH_TOKEN_TTL_SECONDS", 12 * 3600),
        "AUTH_RATE_LIMIT": env.get("AUTH_RATE_LIMIT", "10 per minute;100 per hour"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # Requests to /r/{code} per client address (links/rate_limit.py): generous, as many
        # shoppers can share one address (carrier-grade NAT, offices).
        "REDIRECT_RATE_LIMIT": env.get("REDIRECT_RATE_LIMIT", "300 per minute"),
        # argon2id cost; the defaults follow RFC 9106's second recommended option.
        "PASSWORD_HASH_TIME_COST": _int(env, "PASSWORD_HASH_TIME_COST", 3),
        "PASSWORD_HASH_MEMORY_COST_KIB": _int(env, "PASSWORD_HASH_MEMORY_COST_KIB", 65536),
        # How many reverse proxies (load balancer, ingress) sit in front and set X-Forwarded-*.
        "TRUSTED_PROXY_COUNT": _int(env, "TRUSTED_PROXY_COUNT", 0),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 1024 * 1024),
        # The pages' session cookie (cart, orders just placed, sign-in): HTTPS-only outside development.
        "SESSION_COOKIE_SECURE": environment not in ("development", "testing"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "LOG_FORMAT": env.get("LOG_FORMAT", "json" if environment == "production" else "text"),
        # Stripe. Without a secret key the app uses localstripe, the local emulator that
        # `make run` starts (docs/payments.md); production refuses to start without keys.
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or LOCALSTRIPE_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY") or LOCALSTRIPE_PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or LOCALSTRIPE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or (None if env.get("STRIPE_SECRET_KEY") else LOCALSTRIPE_URL),
        # Seconds to wait for each answer from Stripe (three tries at most: docs/reliability.md).
        "STRIPE_TIMEOUT_SECONDS": _int(env, "STRIPE_TIMEOUT_SECONDS", 8),
        # Where share links send shoppers: empty means this app's own storefront pages (/s/{slug}).
        "STOREFRONT_BASE_URL": env.get("STOREFRONT_BASE_URL", ""),
        "VISITOR_COOKIE_DAYS": _int(env, "VISITOR_COOKIE_DAYS", 90),
        # How paid order lines are credited (attribution/rules.py) and the time-decay half-life.
        "ATTRIBUTION_MODEL": env.get("ATTRIBUTION_MODEL", "last_click"),
        "TIME_DECAY_HALF_LIFE_DAYS": _int(env, "TIME_DECAY_HALF_LIFE_DAYS", 7),
        # A brand's hold period counts in days; `make run` counts it in minutes so the demo
        # shows commissions pass from pending to approved (refused in production).
        "HOLD_PERIOD_UNIT": env.get("HOLD_PERIOD_UNIT", "days"),
        # Payouts: nothing is sent below this many major units (10 = 10.00) per payee and currency.
        "PAYOUT_MINIMUM": _int(env, "PAYOUT_MINIMUM", 10),
        # The platform's fee on each brand's net sales, in basis points (1 000 = 10 %).
        "PLATFORM_FEE_BPS": _int(env, "PLATFORM_FEE_BPS", 1000),
        # Paid orders the attribution job takes per transaction (docs/benchmarks.md).
        "ATTRIBUTION_BATCH_SIZE": _int(env, "ATTRIBUTION_BATCH_SIZE", 500),
        # Minutes an unpaid order holds its stock before it expires.
        "ORDER_RESERVATION_MINUTES": _int(env, "ORDER_RESERVATION_MINUTES", 30),
        # flask-smorest / OpenAPI
        "API_TITLE": "Relationship-commerce marketplace",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Served by the app itself (marketplace.http); set a CDN URL to load them from there.
        "OPENAPI_SWAGGER_UI_URL": env.get("OPENAPI_SWAGGER_UI_URL", "/api/docs/assets/"),
    }


def validate_settings(settings: Mapping[str, Any]) -> None:
    """Refuse to run production with development secrets or an embedded database."""
    from marketplace.attribution.rules import MODELS

    if settings["ATTRIBUTION_MODEL"] not in MODELS:
        raise ConfigError(f"ATTRIBUTION_MODEL must be one of {', '.join(MODELS)}")
    if settings["HOLD_PERIOD_UNIT"] not in ("days", "minutes"):
        raise ConfigError("HOLD_PERIOD_UNIT must be days or minutes")
    if not 0 <= settings["PLATFORM_FEE_BPS"] <= 10_000:
        raise ConfigError("PLATFORM_FEE_BPS must be between 0 and 10000")
    if settings["STRIPE_TIMEOUT_SECONDS"] < 1:
        raise ConfigError("STRIPE_TIMEOUT_SECONDS must be at least 1")
    if settings["PAYOUT_MINIMUM"] < 0:
        raise ConfigError("PAYOUT_MINIMUM must not be negative")
    if not 1 <= settings["ATTRIBUTION_BATCH_SIZE"] <= 5000:
        raise ConfigError("ATTRIBUTION_BATCH_SIZE must be between 1 and 5000")
    try:
        parse_limit(settings["REDIRECT_RATE_LIMIT"])
    except ValueError as exc:
        raise ConfigError(f"REDIRECT_RATE_LIMIT must be a single limit such as '300 per minute': {exc}") from exc
    if settings["MARKETPLACE_ENV"] != "production":
        return
    secret = settings.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
        raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters in production")
    if str(settings["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        raise ConfigError("DATABASE_URL must point to PostgreSQL in production")
    if settings["STRIPE_SECRET_KEY"] == LOCALSTRIPE_SECRET_KEY or settings["STRIPE_API_BASE"] == LOCALSTRIPE_URL:
        raise ConfigError("STRIPE_SECRET_KEY must be set in production (localstripe is for development)")
    if settings["HOLD_PERIOD_UNIT"] != "days":
        raise ConfigError("HOLD_PERIOD_UNIT=minutes is for the demo; production holds count in days")
    if settings["STRIPE_WEBHOOK_SECRET"] == LOCALSTRIPE_WEBHOOK_SECRET:
        raise ConfigError("STRIPE_WEBHOOK_SECRET must be set in production")
