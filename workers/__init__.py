"""RQ workers that run every job inside a Flask app context.

Start one with ``python -m workers`` (queues from ``RQ_QUEUES``) or with the
stock CLI: ``rq worker --url "$REDIS_URL" --worker-class workers.AppWorker default low``.
"""

from __future__ import annotations

from flask import Flask
from rq import SimpleWorker, Worker


class AppContextMixin:
    """Builds the app once per worker process and runs each job in a fresh app context."""

    def __init__(self, *args, app: Flask | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if app is None:
            from marketplace import create_app

            app = create_app()
        self.app = app

    stop_requested = False  # by SIGTERM or SIGINT (python -m workers tells a stop from a quit by it)

    def request_stop(self, signum, frame):
        self.stop_requested = True
        return super().request_stop(signum, frame)

    def perform_job(self, *args, **kwargs):
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)


class AppWorker(AppContextMixin, Worker):
    """Forks a work horse per job (production)."""

    def main_work_horse(self, *args, **kwargs):
        # Runs in the forked horse: pooled connections must not cross the fork.
        self.app.extensions["db"].engine.dispose(close=False)
        return super().main_work_horse(*args, **kwargs)


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in its own process (tests, debugging)."""
