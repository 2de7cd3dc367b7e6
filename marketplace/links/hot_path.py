"""``GET /r/{code}`` served before Flask's request handling, for codes this process has cached.

The redirect is the one path whose cost per request is a target (docs/benchmarks.md): past
routing, Flask-Limiter's check (it has no limit on ``/r/``, but the check runs on every request),
flask-smorest's response wrapper and the request context cost about as much as the redirect's
own work. This WSGI middleware answers a GET or HEAD of ``/r/{code}`` whose link
``links.services.resolve`` has cached (no SQL here, nothing that can fail but the click and
the address's count, which ``clicks.admit`` never lets fail the redirect) with the same response as the Flask view,
``links.routes.follow``, in an app context: the request id and the access-log line come from
``logs``. Everything else goes on to the Flask app: other paths, the first request for a code
(the view resolves it and fills the cache), unknown and inactive codes (the API's 404).
"""

from __future__ import annotations

import re
from typing import Iterable

from flask import Flask

from marketplace import logs
from marketplace.links import services
from marketplace.links.routes import redirect_visitor

# The route's <string(maxlength=16):code>: one path segment of 1 to 16 characters.
_REDIRECT_PATH = re.compile(r"/r/([^/]{1,16})")


class RedirectHotPath:
    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        match = _REDIRECT_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is not None and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            with self.app.app_context():
                link = services.cached_link(match[1])
                if link is not None:
                    request = self.app.request_class(environ)
                    logs.start_request(request)
                    response = logs.finish_request(request, redirect_visitor(link, request))
                    return response(environ, start_response)
        return self.wsgi_app(environ, start_response)
