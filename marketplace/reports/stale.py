"""Asking for an order's report rows to be rebuilt: a row written in the transaction that
changed the order, and the rollup job woken after the commit (see ``rollups.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from marketplace.db import db, upsert, utcnow
from marketplace.queueing import FOLLOW_UP_RETRY, enqueue_after_commit
from marketplace.reports.models import ReportStaleOrder

REFRESH_JOB = "workers.jobs.refresh_reports"
WAKE_KEY = "marketplace:reports:refresh-waiting"  # set while a refresh job is waiting (coalescing)


def mark_stale(order_ids: Iterable[int]) -> None:
    """Ask for these orders' report rows to be rebuilt, in the caller's transaction."""
    rows = [{"order_id": order_id, "marked_at": utcnow()} for order_id in sorted(set(order_ids))]
    if not rows:
        return
    session = db.session
    session.execute(upsert(ReportStaleOrder).values(rows).on_conflict_do_nothing())
    enqueue_after_commit(session, REFRESH_JOB, retry=FOLLOW_UP_RETRY, coalesce=WAKE_KEY)
