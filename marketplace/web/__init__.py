"""The shopper's pages, served by the same app as the API: storefronts, cart, checkout with
Stripe Elements, order confirmation and tracking, re-sharing, and the privacy page."""

from __future__ import annotations

from flask import Flask

from marketplace.web.security import init_csrf


def init_app(app: Flask) -> None:
    from marketplace.web.views import blp

    init_csrf(app)
    app.register_blueprint(blp)
