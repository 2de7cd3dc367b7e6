"""Test fixtures.

The database is SQLite in a temporary file by default, PostgreSQL when
``TEST_DATABASE_URL`` is set; Redis is fakeredis by default, a real server when
``REDIS_URL`` is set. The schema is built once per run by the Alembic
migrations; every test then starts from empty tables and an empty Redis.
"""

from __future__ import annotations

import functools
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import fakeredis
import flask_migrate
import pytest
import requests
from redis import Redis
from sqlalchemy import MetaData, text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.accounts.models import Role
from marketplace.accounts.services import create_user, issue_token
from marketplace.cli import MIGRATIONS_DIR
from marketplace.db import Base, db
from marketplace.limiter import limiter

PASSWORD = "correct horse battery"


def _reset_schema(app) -> None:
    """Drop whatever a previous run left, then build the schema with the migrations."""
    with app.app_context():
        engine = db.engine
        existing = MetaData()
        existing.reflect(bind=engine)
        existing.drop_all(bind=engine)
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _free_port() -> int:
    """A free loopback port: any the system gives, or one of TEST_PORT_RANGE (e.g. ``8600-8699``)
    on machines where each user keeps to their own ports."""
    low, _, high = os.environ.get("TEST_PORT_RANGE", "").partition("-")
    candidates = random.sample(range(int(low), int(high) + 1), int(high) - int(low) + 1) if high else [0]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in TEST_PORT_RANGE={os.environ['TEST_PORT_RANGE']}")


def _wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


@pytest.fixture(scope="session")
def localstripe_url():
    """A real localstripe process on a free loopback port, for the whole run."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.localstripe_server", str(port)],
        cwd=os.path.dirname(os.path.dirname(__file__)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory, localstripe_url):
    app = create_app(
        {
            "STRIPE_API_BASE": localstripe_url,
            "STRIPE_SECRET_KEY": "sk_test_marketplace_tests",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_marketplace_tests",
            "STRIPE_WEBHOOK_SECRET": "whsec_marketplace_tests",
            "TESTING": True,
            "MARKETPLACE_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            # Redis is swapped per test below; the URL only picks the rate-limit storage.
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "AUTH_RATE_LIMIT": "10000 per minute",
            # Cheap hashing keeps the suite fast; production uses the RFC 9106 costs.
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_COST_KIB": 64,
            "LOG_LEVEL": "WARNING",
        }
    )
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    _reset_schema(app)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture(scope="session")
def _redis_server():
    url = os.environ.get("REDIS_URL")
    if not url:
        yield None
        return
    client = Redis.from_url(url)
    yield client
    client.close()


@pytest.fixture
def redis(app, _redis_server):
    """A clean Redis for this test (the real server's test database, or fakeredis)."""
    client = _redis_server or fakeredis.FakeRedis()
    client.flushdb()
    app.extensions["redis"] = client
    yield client
    app.extensions["redis"] = None


@pytest.fixture(autouse=True)
def _clean_state(app):
    yield
    limiter.reset()
    app.extensions.pop("link_cache", None)
    app.extensions.pop("redirect_rate_limit", None)  # counts kept in the process without Redis
    with app.app_context():
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        for attempt in range(5):
            try:
                with db.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                    else:
                        for table in tables:
                            conn.execute(text(f"DELETE FROM {table}"))
                return
            except OperationalError:
                # A late webhook from localstripe (sent a second after its event) can be in
                # flight on the live server: PostgreSQL breaks the deadlock; try again.
                if attempt == 4:
                    raise
                time.sleep(0.2)


@pytest.fixture(scope="session")
def live_server(app, localstripe_url):
    """The app served over HTTP on loopback, with localstripe sending it signed webhooks."""
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    requests.post(
        f"{localstripe_url}/_config/webhooks/marketplace-tests-{port}",
        data={"url": f"{url}/webhooks/stripe", "secret": app.config["STRIPE_WEBHOOK_SECRET"]},
        timeout=10,
    ).raise_for_status()
    yield url
    server.shutdown()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, from an app built only to read it (the tests that walk every
    operation need it when they are collected)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    return app.test_client().get("/api/openapi.json").get_json()


def assert_422_names(response, location: str, field: str) -> None:
    """A validation error that names ``field`` under ``location`` (``json`` or ``query``)."""
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == 422
    assert body["status"] == "Unprocessable Entity"
    assert field in body["errors"][location], body


@dataclass
class Actor:
    """A signed-up user with a bearer token, ready to make requests."""

    id: int
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Maker:
    """Builds test data through the same services the API uses, and through the API itself."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def actor(self, role: str = "shopper", email: str | None = None) -> Actor:
        email = email or f"{role}{self._next()}@example.com"
        with self.app.app_context():
            user = create_user(email, PASSWORD, Role(role))
            token, _ = issue_token(email, PASSWORD)
            return Actor(user.id, user.email, role, token)

    def _post(self, actor: Actor, url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(url, json=body, headers=actor.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def brand(self, owner: Actor | None = None, **fields) -> dict[str, Any]:
        owner = owner or self.actor("brand")
        n = self._next()
        body = {"name": f"Brand {n}", "default_commission_bps": 1000, **fields}
        return self._post(owner, "/api/v1/brands", body) | {"owner": owner}

    def product(self, brand: dict[str, Any], **fields) -> dict[str, Any]:
        n = self._next()
        body = {"title": f"Product {n}", "price": 2500, "currency": "USD", "sku": f"SKU-{n}", "stock": 10, **fields}
        return self._post(brand["owner"], f"/api/v1/brands/{brand['id']}/products", body)

    def influencer(self, handle: str | None = None) -> Actor:
        actor = self.actor("influencer")
        body = {"handle": handle or f"creator{self._next()}", "display_name": "A Creator"}
        response = self.client.put("/api/v1/me/influencer", json=body, headers=actor.headers)
        assert response.status_code == 201, response.get_json()
        return actor

    def storefront(self, owner: Actor | None = None, **fields) -> dict[str, Any]:
        owner = owner or self.influencer()
        body = {"slug": f"shop-{self._next()}", "title": "My picks", **fields}
        return self._post(owner, "/api/v1/storefronts", body) | {"owner": owner}

    def collection(self, storefront: dict[str, Any], **fields) -> dict[str, Any]:
        body = {"name": f"Collection {self._next()}", **fields}
        return self._post(storefront["owner"], f"/api/v1/storefronts/{storefront['slug']}/collections", body)

    def item(self, storefront: dict[str, Any], product: dict[str, Any], **fields) -> dict[str, Any]:
        body = {"product_id": product["id"], **fields}
        return self._post(storefront["owner"], f"/api/v1/storefronts/{storefront['slug']}/items", body)


@pytest.fixture
def make(app, client) -> Maker:
    return Maker(app, client)
