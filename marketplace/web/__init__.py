"""The pages, served by the same app as the API: the shopper's (storefronts, cart, checkout with
Stripe Elements, order confirmation and tracking, re-sharing, the privacy page), and the
influencer's and the brand's dashboards."""

from __future__ import annotations

from flask import Flask

from marketplace.web.security import init_csrf


def init_app(app: Flask) -> None:
    from marketplace.web import brand_pages, influencer_pages  # noqa: F401  (their routes join the blueprint)
    from marketplace.web.views import blp

    init_csrf(app)
    app.register_blueprint(blp)
