"""RQ wiring: jobs leave only after commit, run in an app context, once per id; inline without Redis."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from rq import Queue
from rq.cron import CronScheduler
from sqlalchemy import func, select

from marketplace.accounts.models import AuthSession, Role
from marketplace.accounts.services import create_user
from marketplace.db import db, utcnow
from marketplace.queueing import enqueue_after_commit
from workers import AppSimpleWorker, AppWorker
from workers.jobs import (
    approve_commissions,
    attribute_pending_orders,
    drain_clicks,
    expire_orders,
    prune_tokens,
    reconcile_payments,
    refresh_reports,
    roll_up_clicks,
    run_payouts,
)

PRUNE = "workers.jobs.prune_tokens"


def _add_stale_token(app) -> None:
    """An auth session that expired a month ago, in an uncommitted transaction."""
    long_ago = utcnow() - timedelta(days=30)
    with app.app_context():
        user = create_user(f"u{utcnow().timestamp()}@example.com", "password123", Role.SHOPPER)
        db.session.add(AuthSession(id=f"{user.id:032d}", user_id=user.id, created_at=long_ago, expires_at=long_ago))
        db.session.commit()


def _token_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuthSession))


def test_job_is_enqueued_only_when_the_transaction_commits(app, redis):
    queue = Queue("default", connection=redis)
    with app.app_context():
        enqueue_after_commit(db.session, PRUNE)
        assert queue.count == 0
        db.session.commit()

    assert queue.count == 1
    assert queue.jobs[0].func_name == PRUNE


def test_rolled_back_transaction_sends_no_job(app, redis):
    with app.app_context():
        enqueue_after_commit(db.session, PRUNE)
        db.session.rollback()
        db.session.commit()

    assert Queue("default", connection=redis).count == 0


def test_worker_runs_job_in_app_context(app, redis):
    _add_stale_token(app)
    with app.app_context():
        enqueue_after_commit(db.session, PRUNE)
        db.session.commit()

    worker = AppSimpleWorker(["default"], connection=redis, app=app)
    assert worker.work(burst=True)

    assert _token_count(app) == 0
    assert Queue("default", connection=redis).finished_job_registry.count == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="a forked work horse needs a real Redis server")
def test_forking_worker_runs_job_in_app_context(app, redis):
    _add_stale_token(app)
    with app.app_context():
        enqueue_after_commit(db.session, PRUNE)
        db.session.commit()

    assert AppWorker(["default"], connection=redis, app=app).work(burst=True)

    assert _token_count(app) == 0
    assert Queue("default", connection=redis).finished_job_registry.count == 1


def test_job_with_same_id_is_queued_once(app, redis):
    with app.app_context():
        enqueue_after_commit(db.session, PRUNE, job_id="prune-tokens")
        enqueue_after_commit(db.session, PRUNE, job_id="prune-tokens")
        db.session.commit()

    assert Queue("default", connection=redis).count == 1


def test_without_redis_job_runs_inline_after_commit(app):
    assert app.extensions["redis"] is None
    _add_stale_token(app)

    with app.app_context():
        enqueue_after_commit(db.session, PRUNE)
        assert _token_count(app) == 1  # not before the commit
        db.session.commit()

    assert _token_count(app) == 0


def test_cron_config_schedules_periodic_jobs(redis):
    scheduler = CronScheduler(connection=redis)

    scheduler.load_config_from_file("workers.cron")

    jobs = {job.func: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        prune_tokens, expire_orders, reconcile_payments, drain_clicks, approve_commissions, run_payouts, attribute_pending_orders,
        refresh_reports, roll_up_clicks,
    }
    assert (jobs[refresh_reports].queue_name, jobs[refresh_reports].interval) == ("default", 300)
    assert (jobs[roll_up_clicks].queue_name, jobs[roll_up_clicks].interval) == ("default", 60)
    assert (jobs[attribute_pending_orders].queue_name, jobs[attribute_pending_orders].interval) == ("default", 300)
    assert (jobs[approve_commissions].queue_name, jobs[approve_commissions].interval) == ("low", 3600)
    assert (jobs[run_payouts].queue_name, jobs[run_payouts].cron) == ("low", "30 6 * * *")
    assert (jobs[drain_clicks].queue_name, jobs[drain_clicks].interval) == ("default", 5)
    assert (jobs[reconcile_payments].queue_name, jobs[reconcile_payments].interval) == ("low", 900)
    assert (jobs[prune_tokens].queue_name, jobs[prune_tokens].cron) == ("low", "17 3 * * *")
    assert (jobs[expire_orders].queue_name, jobs[expire_orders].interval) == ("default", 60)


def test_a_job_id_is_free_again_once_its_job_finished_or_failed(app, redis):
    """Unique while queued or running: RQ keeps a finished job's id for an hour and a failed one's
    for a week, which would silently drop the next request (a second payout run, a redelivered event)."""
    queue = Queue("default", connection=redis)
    with app.app_context():
        enqueue_after_commit(db.session, PRUNE, job_id="prune-tokens")
        db.session.commit()
    assert AppSimpleWorker(["default"], connection=redis, app=app).work(burst=True)
    assert queue.finished_job_registry.count == 1

    with app.app_context():
        enqueue_after_commit(db.session, PRUNE, job_id="prune-tokens")
        enqueue_after_commit(db.session, PRUNE, job_id="prune-tokens")  # still one while it waits
        db.session.commit()

    assert queue.count == 1 and queue.job_ids == ["prune-tokens"]
