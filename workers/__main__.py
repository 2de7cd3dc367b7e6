"""``python -m workers``: an RQ worker (with the scheduler) for the configured queues.

``--burst`` works until the queues are empty, then exits (benchmarks, one-off catch-up).

RQ's worker quits when Redis goes away at the wrong moment (during its maintenance, its
heartbeat, or its start): this entry point then waits for Redis to answer and starts a new
worker, so a Redis restart does not leave the queues without one. SIGTERM still stops it
(after the job in hand: RQ's warm shutdown).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError
from sqlalchemy.orm import configure_mappers

from marketplace import create_app
from workers import AppWorker

log = logging.getLogger("workers")


def wait_for_redis(redis, most: float = 30) -> None:
    """Ping with backoff until Redis answers; SIGTERM and SIGINT end the process meanwhile."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    pause = 1.0
    while True:
        try:
            redis.ping()
            return
        except (RedisConnectionError, RedisTimeoutError):
            log.warning("Redis does not answer; trying again in %.0f s", pause)
            time.sleep(pause)
            pause = min(pause * 2, most)


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
    while True:
        worker = AppWorker(app.config["RQ_QUEUES"], connection=redis, app=app)
        try:
            worker.work(burst=args.burst, with_scheduler=True)
            if args.burst or worker.stop_requested:  # done, or asked to stop (SIGTERM)
                return 0
            log.error("the RQ worker quit (see above); starting another once Redis answers")
        except (RedisConnectionError, RedisTimeoutError):
            log.exception("the RQ worker lost Redis; starting another once it answers")
        wait_for_redis(redis)


if __name__ == "__main__":
    sys.exit(main())
