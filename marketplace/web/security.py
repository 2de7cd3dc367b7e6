"""The pages' protections: CSRF on their forms, and security headers with a Content-Security-Policy.

Only the pages' blueprint checks CSRF tokens (``WTF_CSRF_CHECK_DEFAULT`` is off): the API
authenticates with bearer tokens, which a browser never sends on its own, and Stripe signs
its webhooks. The headers are set on the pages' responses only, so the Swagger UI page
(which needs its inline script) keeps working.
"""

from __future__ import annotations

from flask import Flask, Response, current_app
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# Stripe.js and Elements, as Stripe documents them for a Content-Security-Policy.
STRIPE_JS_URL = "https://js.stripe.com/v3/"
STRIPE_SCRIPT_SOURCES = ("https://js.stripe.com", "https://*.js.stripe.com")
STRIPE_FRAME_SOURCES = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
STRIPE_CONNECT_SOURCES = ("https://api.stripe.com",)


def init_csrf(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # see the module docstring
    csrf.init_app(app)


def payments_emulated() -> bool:
    """True when payments go to localstripe (``STRIPE_API_BASE``), the embedded default."""
    return bool(current_app.config["STRIPE_API_BASE"])


def stripe_js_url() -> str:
    """Stripe.js from Stripe, or localstripe's stand-in, served at the same path on its own port."""
    if payments_emulated():
        return current_app.config["STRIPE_API_BASE"].rstrip("/") + "/js.stripe.com/v3/"
    return STRIPE_JS_URL


def content_security_policy() -> str:
    """Only what the pages use: their own scripts and styles, Stripe.js, images over HTTPS."""
    if payments_emulated():
        emulator = current_app.config["STRIPE_API_BASE"].rstrip("/")
        scripts, frames, connect = (emulator,), (), (emulator,)
    else:
        scripts, frames, connect = STRIPE_SCRIPT_SOURCES, STRIPE_FRAME_SOURCES, STRIPE_CONNECT_SOURCES
    directives = {
        "default-src": ("'self'",),
        "script-src": ("'self'", *scripts),
        "connect-src": ("'self'", *connect),
        "frame-src": frames or ("'none'",),
        # Product images and avatars are the brands' and influencers' own, on their hosts.
        "img-src": ("'self'", "https:", "data:"),
        "style-src": ("'self'",),
        "font-src": ("'self'",),
        "object-src": ("'none'",),
        "base-uri": ("'self'",),
        "form-action": ("'self'",),
        "frame-ancestors": ("'none'",),
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # Order pages carry their access token in the address: never send it to another site.
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(self)"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
