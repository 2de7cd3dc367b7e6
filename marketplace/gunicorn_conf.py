"""gunicorn settings, each overridable by an environment variable.

Use with ``gunicorn -c python:marketplace.gunicorn_conf wsgi:app``.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = None  # the app logs one structured line per request itself
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Move the loaded app's objects (a few hundred thousand: SQLAlchemy, schemas, the user-agent
    regexes) out of the collector's sight: otherwise each full collection walks them all, a pause
    of about 150 ms every ten thousand or so redirects (docs/benchmarks.md)."""
    gc.freeze()
