"""``python -m workers``: an RQ worker (with the scheduler) for the configured queues.

``--burst`` works until the queues are empty, then exits (benchmarks, one-off catch-up).
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.orm import configure_mappers

from marketplace import create_app
from workers import AppWorker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description="An RQ worker for RQ_QUEUES.")
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    args = parser.parse_args(argv)
    app = create_app()
    redis = app.extensions["redis"]
    if redis is None:
        print("REDIS_URL is not set: jobs run inline in the web process, no worker is needed.", file=sys.stderr)
        return 2
    import marketplace.models  # noqa: F401

    configure_mappers()  # once, before forking work horses
    worker = AppWorker(app.config["RQ_QUEUES"], connection=redis, app=app)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
