"""The marketplace Flask application."""

from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace import cli, limiter, logs, queueing, web
from marketplace.payments import gateway
from marketplace.config import load_settings, validate_settings
from marketplace.db import db
from marketplace.http import JSONProvider, init_api


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults < environment < ``config`` overrides."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.update(load_settings(os.environ, app.instance_path))
    if config:
        app.config.update(config)
    validate_settings(app.config)
    app.json = JSONProvider(app)
    app.json.sort_keys = False  # keep fields in schema order
    os.makedirs(app.instance_path, exist_ok=True)

    logs.configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    db.init_app(app)
    queueing.init_app(app)
    gateway.init_app(app)
    limiter.init_app(app)
    logs.init_app(app)
    _register_api(app)
    web.init_app(app)
    cli.init_app(app)

    from marketplace.links.hot_path import RedirectHotPath

    app.wsgi_app = RedirectHotPath(app, app.wsgi_app)  # cached share links: /r/{code} before Flask's hooks
    if app.config.get("TRUSTED_PROXY_COUNT"):
        count = int(app.config["TRUSTED_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    return app


def _register_api(app: Flask) -> None:
    from marketplace.accounts.routes import blp as accounts_blp
    from marketplace.attribution.routes import blp as attribution_blp
    from marketplace.brands.routes import blp as brands_blp
    from marketplace.catalog.routes import blp as catalog_blp
    from marketplace.commissions.routes import blp as commissions_blp
    from marketplace.discounts.routes import blp as discounts_blp
    from marketplace.health import blp as health_blp
    from marketplace.influencers.routes import blp as influencers_blp
    from marketplace.links.routes import blp as links_blp
    from marketplace.links.routes import redirects as redirects_blp
    from marketplace.orders.routes import blp as orders_blp
    from marketplace.payments.routes import blp as webhooks_blp
    from marketplace.payouts.routes import blp as payouts_blp
    from marketplace.reports.routes import blp as reports_blp
    from marketplace.storefronts.routes import blp as storefronts_blp

    api = init_api(app)
    domains = (
        accounts_blp, brands_blp, catalog_blp, influencers_blp, storefronts_blp, links_blp, discounts_blp, orders_blp,
        attribution_blp, commissions_blp, payouts_blp, reports_blp,
    )
    for blp in domains:
        api.register_blueprint(blp, url_prefix="/api/v1")
    api.register_blueprint(health_blp)
    api.register_blueprint(webhooks_blp)
    api.register_blueprint(redirects_blp)
    app.extensions["api"] = api
