"""``GET /healthz``: can this instance reach its database and Redis?"""

from __future__ import annotations

import logging

import marshmallow as ma
from sqlalchemy import text

from marketplace.db import db
from marketplace.http import Blueprint, Schema
from marketplace.queueing import get_redis

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__, description="Liveness and readiness")


class HealthSchema(Schema):
    status = ma.fields.String(metadata={"description": "ok or degraded"})
    database = ma.fields.String(metadata={"description": "ok or error"})
    redis = ma.fields.String(metadata={"description": "ok, error, or disabled (jobs run inline)"})


def _check(name: str, probe) -> str:
    try:
        probe()
        return "ok"
    except Exception:
        log.warning("health check failed: %s", name, exc_info=True)
        return "error"


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="A dependency is unreachable")
def healthz():
    """Database and Redis reachability (503 when either fails)"""
    database = _check("database", lambda: db.session.execute(text("SELECT 1")))
    redis_client = get_redis()
    redis = "disabled" if redis_client is None else _check("redis", redis_client.ping)
    healthy = database == "ok" and redis != "error"
    return {"status": "ok" if healthy else "degraded", "database": database, "redis": redis}, 200 if healthy else 503
