"""RQ wiring: queues on Redis when ``REDIS_URL`` is set, inline execution otherwise.

Jobs are always sent *after* the database transaction that asked for them
commits, so a job never looks for a row that is not there yet, and a rolled back
transaction sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import import_attribute
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

JOB_TIMEOUT_SECONDS = 600
RESULT_TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600
# How long a coalesced job's "one is waiting" mark outlives a job that never ran (lost, or
# whose enqueue failed): past it, the next request enqueues another.
COALESCE_TTL_SECONDS = 60
FOLLOW_UP_RETRY = Retry(max=3, interval=[10, 60, 300])  # then RQ's failed registry


@dataclass
class PendingJob:
    func_path: str
    args: tuple
    kwargs: dict
    queue: str = "default"
    job_id: str | None = None
    retry: Retry | None = None
    coalesce: str | None = None


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["redis"] = Redis.from_url(url) if url else None


def get_redis() -> Redis | None:
    return current_app.extensions["redis"]


def get_queue(name: str = "default") -> Queue:
    redis = get_redis()
    if redis is None:
        raise RuntimeError("no Redis configured: jobs run inline")
    return Queue(name, connection=redis, default_timeout=JOB_TIMEOUT_SECONDS)


def enqueue_after_commit(
    session: Session,
    func_path: str,
    *args: Any,
    queue: str = "default",
    job_id: str | None = None,
    retry: Retry | None = None,
    coalesce: str | None = None,
    **kwargs: Any,
) -> None:
    """Send ``func_path(*args, **kwargs)`` once ``session`` commits.

    ``job_id`` makes the job unique while it is queued or running (RQ's
    ``unique=True``); jobs must be idempotent anyway, since a worker can die
    mid-job and the job then runs again.

    ``coalesce`` names a Redis key that keeps at most one such job waiting: the job is
    enqueued only if it can set the key (``SET NX``, expiring after
    ``COALESCE_TTL_SECONDS`` in case the job is lost), and the job calls
    ``coalesced_job_started(key)`` before it looks for work, so anything committed
    after that point enqueues the next one. For jobs that do all the work there is
    (a batch), whatever asked for it.
    """
    if not session.in_transaction():
        session.begin()  # tie the job to a transaction, so a rollback can drop it
    pending = session.info.setdefault("pending_jobs", [])
    if coalesce and any(job.coalesce == coalesce for job in pending):
        return
    pending.append(PendingJob(func_path, args, kwargs, queue=queue, job_id=job_id, retry=retry, coalesce=coalesce))


def coalesced_job_started(key: str) -> None:
    """Called by a coalesced job before it looks for work: the next request enqueues another."""
    redis = get_redis()
    if redis is not None:
        redis.delete(key)


def send(job: PendingJob):
    """Enqueue on Redis, or run now in a fresh app context (and so a fresh session)."""
    redis = get_redis()
    if redis is None:
        func = import_attribute(job.func_path)
        with current_app.app_context():
            return func(*job.args, **job.kwargs)
    options: dict[str, Any] = {
        "result_ttl": RESULT_TTL_SECONDS,
        "failure_ttl": FAILURE_TTL_SECONDS,
    }
    if job.job_id:
        options.update(job_id=job.job_id, unique=True)
    if job.retry:
        options["retry"] = job.retry  # needs a worker started with the scheduler (python -m workers)
    if job.coalesce and not redis.set(job.coalesce, "1", nx=True, ex=COALESCE_TTL_SECONDS):
        return None  # one is waiting, and will see what this one was sent for
    try:
        return _enqueue(get_queue(job.queue), job, options)
    except Exception:
        if job.coalesce:
            redis.delete(job.coalesce)  # none is waiting after all
        raise


def _enqueue(queue: Queue, job: PendingJob, options: dict[str, Any]):
    try:
        return queue.enqueue(job.func_path, args=job.args, kwargs=job.kwargs, **options)
    except DuplicateJobError:
        pass
    # RQ refuses an id while the job's hash lives: also for result_ttl after it finished and for
    # failure_ttl after it failed. Unique means "while queued or running" here: a finished or
    # failed run's leftovers make way for the new one.
    try:
        previous = Job.fetch(job.job_id, connection=queue.connection)
    except NoSuchJobError:
        previous = None
    if previous is not None and previous.get_status() in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
        log.info("job %s is already queued", job.job_id)
        return None
    if previous is not None:
        previous.delete()
    try:
        return queue.enqueue(job.func_path, args=job.args, kwargs=job.kwargs, **options)
    except DuplicateJobError:  # another process queued it meanwhile
        return None


@event.listens_for(Session, "after_commit")
def _collect_after_commit(session: Session) -> None:
    jobs = session.info.pop("pending_jobs", None)
    if jobs:
        # No SQL may run inside after_commit; hand the jobs to after_transaction_end.
        session.info["committed_jobs"] = jobs


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("pending_jobs", None)


@event.listens_for(Session, "after_transaction_end")
def _send_committed(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for job in session.info.pop("committed_jobs", ()):
        try:
            send(job)
        except Exception:
            # The commit stands. Jobs that must never be lost (payments, commissions)
            # also need a sweep that finds work left undone; see docs/architecture.md.
            log.exception("could not send job %s after commit", job.func_path)
