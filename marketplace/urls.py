"""Absolute addresses of this app's pages, for links that leave it (share links, Stripe's return URLs)."""

from __future__ import annotations

from flask import current_app, request


def public_base_url() -> str:
    """``STOREFRONT_BASE_URL`` if set, else the address this request reached the app at."""
    return (current_app.config["STOREFRONT_BASE_URL"] or request.url_root).rstrip("/")
