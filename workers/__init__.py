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

    def perform_job(self, job, queue):
        with self.app.app_context():
            return super().perform_job(job, queue)


class AppWorker(AppContextMixin, Worker):
    """Forks a work horse per job (production)."""

    def execute_job(self, job, queue):
        # Pooled connections must not cross a fork: the horse opens its own.
        self.app.extensions["db"].engine.dispose(close=False)
        return super().execute_job(job, queue)


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in its own process (tests, debugging)."""
