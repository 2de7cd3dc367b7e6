"""``python -m workers``: an RQ worker (with the scheduler) for the configured queues."""

from __future__ import annotations

import sys

from sqlalchemy.orm import configure_mappers

from marketplace import create_app
from workers import AppWorker


def main() -> int:
    app = create_app()
    redis = app.extensions["redis"]
    if redis is None:
        print("REDIS_URL is not set: jobs run inline in the web process, no worker is needed.", file=sys.stderr)
        return 2
    import marketplace.models  # noqa: F401

    configure_mappers()  # once, before forking work horses
    worker = AppWorker(app.config["RQ_QUEUES"], connection=redis, app=app)
    worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
