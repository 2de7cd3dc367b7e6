"""Throwaway servers for fault injection: a PostgreSQL cluster, a Redis server, localstripe,
gunicorn serving the app, and RQ workers, each a real process on a free loopback port that
a test may stop, restart, pause (SIGSTOP: a server that accepts connections and never
answers) or kill. Nothing here touches the shared PostgreSQL or Redis.

The app runs in its own processes (gunicorn, ``python -m workers``, ``flask``): one pytest
process cannot host a second app, since Flask-Limiter keeps its storage on its one global
instance. Test data goes in through the HTTP API, and is checked with plain SQL.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import requests
from redis import Redis

from tests.conftest import _free_port, _wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def pg_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed from Debian's packages."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def missing_tools() -> str | None:
    if pg_bindir() is None:
        return "PostgreSQL server binaries (apt-get install postgresql)"
    if shutil.which("redis-server") is None:
        return "redis-server (apt-get install redis-server)"
    return None


def wait_until(predicate, seconds: float = 20, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


class Postgres:
    """A PostgreSQL cluster in a temporary folder (initdb; run as ``postgres`` when we are root,
    since initdb refuses root). ``fsync=off``: it is thrown away."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="mp-fault-pg-"))
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE marketplace")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir)

    def _pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", *args)

    def dsn(self, database: str = "marketplace") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/marketplace"

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (what a restart or failover does to the app's connections)."""
        self._pg_ctl("-m", mode, "stop")

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params):
        return self.query(sql, *params)[0][0]

    def close(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """``redis-server`` on a free port with no persistence."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mp-fault-redis-"))
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_timeout=5)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        """Gone: connections refused (its data with it, as after a restart without persistence)."""
        self.process.kill()
        self.process.wait()

    def pause(self) -> None:
        """Hung: the kernel still accepts connections and takes commands, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Process:
    """A child process in its own process group, its output in a file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = open(log, "ab")
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, signum: int) -> None:
        self.process.send_signal(signum)

    def kill_group(self, signum: int = signal.SIGKILL) -> None:
        """The whole group (a worker and its work horse, gunicorn and its workers): a lost machine."""
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def wait(self, seconds: float = 30) -> int:
        return self.process.wait(timeout=seconds)

    def children(self) -> list[int]:
        try:
            return [int(pid) for pid in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        """Killed, with its children (an RQ work horse runs in a process group of its own)."""
        if self.process.poll() is None:
            for pid in self.children():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.kill_group(signal.SIGKILL)
            self.process.wait()
        self._out.close()

    close = stop

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (LOG_FORMAT=json)."""
        records = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    pass
        return records


class Stack:
    """PostgreSQL, Redis and localstripe of our own, the schema migrated, and the app's settings for
    the processes a test starts (gunicorn, workers, flask commands)."""

    WEBHOOK_SECRET = "whsec_fault_tests"

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mp-fault-"))
        self.processes: list[Process] = []
        self.pg = self.redis = self.localstripe = None
        try:
            self.pg = Postgres()
            self.redis = RedisServer()
            self.localstripe_port = _free_port()
            self.localstripe = self.start_localstripe()
            self.flask("db", "upgrade")
        except BaseException:
            self.close()
            raise

    def start_localstripe(self) -> Process:
        process = Process([sys.executable, "-m", "tests.localstripe_server", str(self.localstripe_port)], dict(os.environ),
                          self.dir / "localstripe.log")
        _wait_for_port(self.localstripe_port)
        return process

    @property
    def localstripe_url(self) -> str:
        return f"http://127.0.0.1:{self.localstripe_port}"

    def env(self, **overrides: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("GUNICORN_", "RQ_"))}
        env.update(
            FLASK_APP="wsgi",
            MARKETPLACE_ENV="development",
            DATABASE_URL=self.pg.url,
            REDIS_URL=self.redis.url,
            STRIPE_API_BASE=self.localstripe_url,
            STRIPE_SECRET_KEY="sk_test_fault_tests",
            STRIPE_PUBLISHABLE_KEY="pk_test_fault_tests",
            STRIPE_WEBHOOK_SECRET=self.WEBHOOK_SECRET,
            PASSWORD_HASH_TIME_COST="1",
            PASSWORD_HASH_MEMORY_COST_KIB="64",
            AUTH_RATE_LIMIT="10000 per minute",
            REDIRECT_RATE_LIMIT="100000 per minute",  # the traffic comes from one address
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(overrides)
        return env

    def flask(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "flask"), *args], env=self.env(**env), cwd=ROOT, capture_output=True, text=True,
                              check=check, timeout=120)

    def gunicorn(self, workers: int = 2, threads: int = 4, **env: str) -> "Gunicorn":
        return Gunicorn(self, workers, threads, env)

    def worker(self, **env: str) -> Process:
        process = Process([sys.executable, "-m", "workers"], self.env(**env), self.dir / f"worker-{uuid.uuid4().hex[:6]}.log")
        self.processes.append(process)
        return process

    def register_webhook(self, base_url: str) -> None:
        requests.post(f"{self.localstripe_url}/_config/webhooks/faults",
                      data={"url": f"{base_url}/webhooks/stripe", "secret": self.WEBHOOK_SECRET}, timeout=10).raise_for_status()

    def close(self) -> None:
        for server in (*self.processes, self.localstripe, self.redis, self.pg):
            if server is not None:
                server.close()
        if os.environ.get("FAULT_KEEP_LOGS"):  # to read the servers' logs after a failure
            print(f"\nfault-test logs kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    def __init__(self, stack: Stack, workers: int, threads: int, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = stack.env(GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_WORKERS=str(workers),
                                GUNICORN_THREADS=str(threads), **env)
        self.process = Process([str(BIN / "gunicorn"), "-c", "python:marketplace.gunicorn_conf", "wsgi:app"], environment,
                               stack.dir / f"gunicorn-{self.port}.log")
        stack.processes.append(self.process)
        wait_until(self._answers, 30, what="gunicorn")

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code in (200, 503)
        except requests.RequestException:
            return False

    def worker_pids(self) -> list[int]:
        return self.process.children()


# ---------------------------------------------------------------- data through the API


API = "/api/v1"
PASSWORD = "fault-tests-password"


def _post(session: requests.Session, url: str, body: dict, token: str | None = None, expect: int = 201) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = session.post(url, json=body, headers=headers, timeout=30)
    assert response.status_code == expect, (url, response.status_code, response.text)
    return response.json()


def sign_up(base: str, role: str, session: requests.Session | None = None) -> str:
    """A new account of ``role``; its bearer token."""
    session = session or requests.Session()
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    _post(session, f"{base}{API}/auth/signup", {"email": email, "password": PASSWORD, "role": role})
    return _post(session, f"{base}{API}/auth/token", {"email": email, "password": PASSWORD}, expect=200)["access_token"]


def seed_shop(base: str, products: int = 2, stock: int = 1000, price: int = 2500) -> dict[str, Any]:
    """A brand with products, an influencer's published storefront curating them, and a share link."""
    session = requests.Session()
    brand_token = sign_up(base, "brand", session)
    brand = _post(session, f"{base}{API}/brands", {"name": f"Brand {uuid.uuid4().hex[:6]}", "default_commission_bps": 1000},
                  brand_token)
    made = [
        _post(session, f"{base}{API}/brands/{brand['id']}/products",
              {"title": f"Product {n}", "price": price, "currency": "USD", "sku": f"SKU-{uuid.uuid4().hex[:8]}", "stock": stock},
              brand_token)
        for n in range(products)
    ]
    influencer_token = sign_up(base, "influencer", session)
    response = session.put(f"{base}{API}/me/influencer", json={"handle": f"c{uuid.uuid4().hex[:10]}", "display_name": "C"},
                           headers={"Authorization": f"Bearer {influencer_token}"}, timeout=30)
    assert response.status_code == 201, response.text
    storefront = _post(session, f"{base}{API}/storefronts", {"slug": f"shop-{uuid.uuid4().hex[:8]}", "title": "Picks"},
                       influencer_token)
    for product in made:
        _post(session, f"{base}{API}/storefronts/{storefront['slug']}/items", {"product_id": product["id"]}, influencer_token)
    link = _post(session, f"{base}{API}/links", {"storefront": storefront["slug"], "channel": "email"}, influencer_token)
    return {"brand": brand, "brand_token": brand_token, "products": made, "storefront": storefront,
            "influencer_token": influencer_token, "link": link}


def order_body(shop: dict[str, Any], quantity: int = 1, product: int = 0) -> dict[str, Any]:
    return {"storefront": shop["storefront"]["slug"], "items": [{"product_id": shop["products"][product]["id"], "quantity": quantity}],
            "email": "shopper@example.com"}


def pay(stack: Stack, payment_intent_id: str, payment_method: str = "pm_card_visa") -> None:
    """What Stripe.js does in the browser (with the secret key: localstripe cannot take a card on confirm)."""
    auth = ("sk_test_fault_tests", "")
    base = f"{stack.localstripe_url}/v1/payment_intents/{payment_intent_id}"
    requests.post(base, data={"payment_method": payment_method}, auth=auth, timeout=10).raise_for_status()
    requests.post(f"{base}/confirm", auth=auth, timeout=10)


def is_error_payload(response: requests.Response) -> bool:
    """The project's error shape: JSON with a numeric code and a message, no traceback."""
    try:
        body = response.json()
    except ValueError:
        return False
    return (isinstance(body, dict) and body.get("code") == response.status_code and bool(body.get("message"))
            and "Traceback" not in response.text)
