"""Structured logs: one line per request (and per job), with a request id; JSON in production."""

from __future__ import annotations

import logging
import time
import uuid

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
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
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


def start_request(request: Request) -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    # Accept a caller's id only if it is short and printable, so logs stay clean.
    g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish_request(request: Request, response: Response) -> Response:
    """The request id header, and the request's one access-log line."""
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    started = g.get("request_started")
    user = g.get("current_user")
    _access.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "user_id": user.id if user is not None else None,
        },
    )
    return response


def init_app(app: Flask) -> None:
    app.before_request(lambda: start_request(request))
    app.after_request(lambda response: finish_request(request, response))
