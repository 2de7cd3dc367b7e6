"""``GET /r/{code}``: the share-link redirect, answered as plain WSGI.

The redirect is the one path whose cost per request is a target (docs/benchmarks.md), and on it
the web framework cost as much as the redirect's own work: routing, Flask-Limiter's check,
flask-smorest's wrapper, the request context, werkzeug's request and response objects (about
0.1 ms for the response and its cookie alone). So the answer is built here from the WSGI environ,
as a status, a header list and a body (``answer``), and ``RedirectHotPath``, a WSGI middleware
(inside ``ProxyFix``, so the client address is the same), sends it for a GET or HEAD of a code
that ``links.services.resolve`` has cached, in an app context, with the request id and the
access-log line of ``logs``. Nothing in it can fail but the click and the address's count, which
``clicks.admit`` never lets fail the redirect. Everything else goes on to the Flask app: other
paths, the first request for a code in each process and minute (the view ``links.routes.follow``
resolves it, fills the cache and sends the same ``answer``), unknown and inactive codes (the
API's 404).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Iterable

from flask import Flask, current_app, g
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.utils import redirect

from marketplace import logs
from marketplace.links import services
from marketplace.links.clicks import admit, new_click
from marketplace.links.rate_limit import redirect_rate_limit

# The route's <string(maxlength=16):code>: one path segment of 1 to 16 characters.
_REDIRECT_PATH = re.compile(r"/r/([^/]{1,16})")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase.upper()}"  # as werkzeug writes it: "302 FOUND"


def answer(link: services.ResolvedLink, environ: dict) -> Answer:
    """The 302 to the link's target with the visitor cookie, the click recorded (not for HEAD);
    or a 429 when the address is over its limit (nothing recorded)."""
    visitor_id = _visitor_id(environ.get("HTTP_COOKIE")) or services.new_visitor_id()
    click = None
    if environ["REQUEST_METHOD"] == "GET":
        click = new_click(link.id, visitor_id, environ.get("HTTP_USER_AGENT", ""), environ.get("REMOTE_ADDR"),
                          environ.get("HTTP_REFERER"))
    if not admit(environ.get("REMOTE_ADDR"), click):
        return too_many_redirects()
    body = _redirect_note(link.target_url)
    config = current_app.config
    cookie = f"{services.VISITOR_COOKIE}={visitor_id}" + _cookie_attributes(
        config["VISITOR_COOKIE_DAYS"], config["MARKETPLACE_ENV"] not in ("development", "testing"), int(time.time()))
    return Answer(302, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                        ("Location", link.target_url), ("Set-Cookie", cookie)], body)


def too_many_redirects() -> Answer:
    """The 429 of ``/r/``, for known and unknown codes alike (the API's error shape)."""
    body = json.dumps({"code": 429, "status": "Too Many Requests", "reason": "rate_limited",
                       "message": "too many requests from this address; try again later"}).encode()
    return Answer(429, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                        ("Retry-After", str(redirect_rate_limit().seconds))], body)


def _visitor_id(cookie_header: str | None) -> str | None:
    """The visitor cookie's id, if the browser sent one we could have set (most clicks come without)."""
    if not cookie_header or services.VISITOR_COOKIE not in cookie_header:
        return None
    return services.valid_visitor_id(parse_cookie(cookie_header).get(services.VISITOR_COOKIE))


@lru_cache(maxsize=4096)
def _redirect_note(location: str) -> bytes:
    """werkzeug's "Redirecting..." page for a target, made once per target rather than per click."""
    return redirect(location).get_data()


@lru_cache(maxsize=4)
def _cookie_attributes(days: int, secure: bool, now: int) -> str:
    """``; Expires=...; Max-Age=...; HttpOnly; Path=/; SameSite=Lax``, as werkzeug writes them:
    the same for every visitor within a second (the id is alphanumeric: never quoted)."""
    max_age = days * 86400
    return dump_cookie("x", "", max_age=max_age, expires=now + max_age, httponly=True, samesite="Lax",
                       secure=secure)[len("x="):]


class RedirectHotPath:
    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        match = _REDIRECT_PATH.fullmatch(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD")
        if match is not None and method in ("GET", "HEAD"):
            with self.app.app_context():
                link = services.cached_link(match[1])
                if link is not None:
                    started = time.perf_counter()
                    g.request_id = logs.request_id(environ.get("HTTP_X_REQUEST_ID", ""))
                    reply = answer(link, environ)
                    start_response(reply.status_line, [*reply.headers, (logs.REQUEST_ID_HEADER, g.request_id)])
                    logs.access_line(method, environ["PATH_INFO"], reply.status, started)
                    return [] if method == "HEAD" else [reply.body]
        return self.wsgi_app(environ, start_response)
