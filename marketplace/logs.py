"""Structured logs: one line per request (and per job), with a request id; JSON in production."""

from __future__ import annotations

import logging
import secrets
import time

from flask import Flask, Request, Response, g, has_app_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_access = logging.getLogger("marketplace.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_app_context() else "-"
        return True


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(  # "time": ISO 8601 in UTC, to the microsecond
                "%(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Stripe's SDK logs whole request and response bodies at DEBUG (a PaymentIntent's client
    # secret among them): never below INFO, whatever LOG_LEVEL says.
    logging.getLogger("stripe").setLevel(max(logging.getLevelName(level), logging.INFO))


def request_id(incoming: str) -> str:
    """The caller's ``X-Request-ID`` if it is short and printable (so logs stay clean), else a new one."""
    return incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else secrets.token_hex(16)


def start_request(request: Request) -> None:
    g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER, ""))
    g.request_started = time.perf_counter()


def finish_request(request: Request, response: Response) -> Response:
    """The request id header, and the request's one access-log line."""
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    user = g.get("current_user")
    access_line(request.method, request.path, response.status_code, g.get("request_started"),
                user.id if user is not None else None)
    return response


def access_line(method: str, path: str, status: int, started: float | None, user_id: int | None = None) -> None:
    """A request's one access-log line (the request id comes from ``g``, as on every line)."""
    _access.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "user_id": user_id,
        },
    )


def init_app(app: Flask) -> None:
    app.before_request(lambda: start_request(request))
    app.after_request(lambda response: finish_request(request, response))
