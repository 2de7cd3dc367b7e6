"""Attribution: credit each paid order line to the relationships that earned it.

It reads the shopper's human clicks (a repeat on the same link within the hour once) within each
brand's attribution window before the order, splits each line under the configured model
(``rules.py``), and stores the credits with their explanation. A discount code of the line's
brand wins over clicks (code beats cookie). Re-shared links carry their originating
influencer, who keeps the credit.

How it runs. The transaction that marks an order paid also writes its ``AttributionRequest``
(``request_attribution``) and, after the commit, wakes the batch job
``workers.jobs.attribute_pending_orders`` unless one is already waiting (a coalesced job,
``queueing.enqueue_after_commit``). That job takes up to ``ATTRIBUTION_BATCH_SIZE`` requests
at a time (``SKIP LOCKED``, so workers share them), reads what those orders need with a
handful of set-based queries (``attribute_orders``), and stores their credits and deletes
their requests in one transaction per batch. An order whose attribution raises is handed to
the single-order job ``workers.jobs.attribute_order`` (job id ``attribute-order-{id}``,
retried with backoff, then RQ's failed registry), which ``attribute_order`` runs. Both paths
write through ``store_order_credits`` and replace an order's credits under the order's row
lock: one set of credits, whatever is retried. A batch that fails as a whole (the database)
leaves its requests in place for the next try.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, lazyload

from marketplace.accounts.models import User
from marketplace.attribution.models import (
    AttributionCredit,
    AttributionRequest,
    AttributionShare,
    AttributionTouchpoint,
    OrderAttribution,
)
from marketplace.attribution.rules import MODELS, PPM, Touchpoint, allocate, model_shares
from marketplace.brands.models import Brand
from marketplace.brands.services import is_member
from marketplace.commissions.services import record_for_orders as record_commissions
from marketplace.db import db, insert_rows, insert_rows_returning_ids, upsert, utcnow
from marketplace.discounts.models import DiscountCode
from marketplace.errors import NotFound
from marketplace.influencers.models import InfluencerProfile
from marketplace.links.clicks import REPEAT_WINDOW, drain_clicks
from marketplace.links.models import Click, ShareLink
from marketplace.orders.models import Order, OrderLine, OrderStatus
from marketplace.queueing import FOLLOW_UP_RETRY, coalesced_job_started, enqueue_after_commit, get_redis
from marketplace.reports.stale import mark_stale as mark_reports_stale

log = logging.getLogger(__name__)

ATTRIBUTABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})
BATCH_JOB = "workers.jobs.attribute_pending_orders"
WAKE_KEY = "marketplace:attribution:batch-waiting"  # set while a batch job is waiting (coalescing)
# A batch job stops taking batches after this long and wakes the next one, well within
# RQ's job timeout (queueing.JOB_TIMEOUT_SECONDS), however long the backlog.
JOB_SECONDS = 120


# ------------------------------------------------------------------ asking for it


def request_attribution(order_id: int) -> None:
    """Ask for the order's attribution, in the caller's transaction (the one that marks it paid):
    the request row commits with the payment; the batch job is woken after the commit."""
    session = db.session
    session.execute(  # once per order: a second request while one waits adds nothing
        upsert(AttributionRequest).values(order_id=order_id, requested_at=utcnow()).on_conflict_do_nothing()
    )
    _wake(session)


def wake_batch_job() -> None:
    """Enqueue a batch job now, even if one seems to be waiting (``flask attribution retry-failed``)."""
    enqueue_after_commit(db.session, BATCH_JOB, retry=FOLLOW_UP_RETRY)
    db.session.commit()


def _wake(session: Session) -> None:
    enqueue_after_commit(session, BATCH_JOB, retry=FOLLOW_UP_RETRY, coalesce=WAKE_KEY)


def _hand_over(session: Session, order_id: int) -> None:
    """Give an order whose attribution failed in a batch to its own job, with its own retries."""
    enqueue_after_commit(
        session, "workers.jobs.attribute_order", order_id, job_id=f"attribute-order-{order_id}", retry=FOLLOW_UP_RETRY
    )


# ------------------------------------------------------------------ the batch job


def attribute_pending(batch_size: int | None = None) -> str:
    """The batch job: attribute the requested orders, one transaction per batch, until none is
    left (or ``JOB_SECONDS`` have passed: it then wakes the next job and stops)."""
    coalesced_job_started(WAKE_KEY)  # from here on, a new request wakes another job
    batch_size = batch_size or current_app.config["ATTRIBUTION_BATCH_SIZE"]
    deadline = time.monotonic() + JOB_SECONDS
    session = db.session
    attributed = handed_over = 0
    while True:
        drain_clicks()  # the shoppers' last clicks may still be in the buffer
        claimed = _take(_oldest_requests(batch_size))
        if not claimed:
            session.commit()
            break
        try:
            done, failed = attribute_orders(claimed)
            for order_id in failed:
                _hand_over(session, order_id)
            session.commit()
        except SQLAlchemyError:
            session.rollback()  # the requests are back
            log.exception("attribution of a batch of %d orders failed: each goes to its own job", len(claimed))
            done, failed = [], _take(AttributionRequest.order_id.in_(claimed))
            for order_id in failed:
                _hand_over(session, order_id)
            session.commit()  # raises if the database is down: the job is retried, the requests stay
        attributed += len(done)
        handed_over += len(failed)
        if len(claimed) == batch_size and time.monotonic() > deadline and get_redis() is not None:
            _wake(session)
            session.commit()
            break
    return f"{attributed} orders attributed, {handed_over} handed to single-order jobs"


def _oldest_requests(limit: int):
    """Up to ``limit`` requests, oldest orders first, skipping those another worker has taken."""
    oldest = select(AttributionRequest.order_id).order_by(AttributionRequest.order_id).limit(limit)
    return AttributionRequest.order_id.in_(oldest.with_for_update(skip_locked=True))


def _take(criterion) -> list[int]:
    """Delete the requests that match; their order ids. A rollback gives them back."""
    statement = delete(AttributionRequest).where(criterion).returning(AttributionRequest.order_id)
    return sorted(db.session.scalars(statement, execution_options={"synchronize_session": False}))


def attribute_orders(order_ids: Iterable[int], model: str | None = None) -> tuple[list[int], list[int]]:
    """Compute (or recompute) the credits of these orders with a few set-based queries, in the
    caller's transaction (which commits them). Returns ``(attributed, failed)`` order ids: an
    order whose attribution raised has nothing stored (its previous credits stay); orders that
    are not paid (any more) are in neither list."""
    model = model or current_app.config["ATTRIBUTION_MODEL"]
    half_life = timedelta(days=current_app.config["TIME_DECAY_HALF_LIFE_DAYS"])
    session = db.session
    orders = [
        order
        for order in session.scalars(
            select(Order)
            .where(Order.id.in_(list(order_ids)))
            .order_by(Order.id)
            .with_for_update()
            .options(lazyload(Order.events))
        )
        if order.status in ATTRIBUTABLE
    ]
    if not orders:
        return [], []
    windows = {
        brand_id: timedelta(days=days)
        for brand_id, days in session.execute(
            select(Brand.id, Brand.attribution_window_days).where(Brand.id.in_({l.brand_id for o in orders for l in o.lines}))
        )
    }
    longest = {order.id: max(windows[line.brand_id] for line in order.lines) for order in orders}
    touchpoints = _touchpoints_of(orders, longest)
    code_ids = {order.discount_code_id for order in orders if order.discount_code_id}
    codes = {c.id: c for c in session.scalars(select(DiscountCode).where(DiscountCode.id.in_(code_ids)))} if code_ids else {}
    people = _influencer_users(
        {t.influencer_id for found in touchpoints.values() for t in found} | {c.influencer_id for c in codes.values()}
    )

    computed, failed = [], []
    for order in orders:
        try:
            is_self = partial(_is_self_referral_in, people, order)
            code = codes.get(order.discount_code_id)
            found = touchpoints.get(order.id, [])
            computed.append((order, [
                _line_credits(order, line, model, windows[line.brand_id], found, code, half_life, is_self)
                for line in order.lines
            ], [
                share for line in order.lines for share in _line_shares(order, line, windows[line.brand_id], found, code, half_life)
            ]))
        except Exception:
            log.exception("attribution of order %s failed", order.id)
            failed.append(order.id)
    writer = CreditWriter()
    for order, line_credits, shares in computed:
        store_order_credits(writer, order, line_credits, shares, model)
    writer.flush()
    return [order.id for order, _, _ in computed], failed


def _touchpoints_of(orders: list[Order], longest: dict[int, timedelta]) -> dict[int, list[Touchpoint]]:
    """Each order's touchpoints as ``_touchpoints`` finds them, for all the orders in one query:
    per order, an index range scan of clicks (visitor_id, occurred_at)."""
    by_id = {order.id: order for order in orders if order.visitor_id}
    if not by_id:
        return {}
    since = min(order.created_at - longest[order.id] for order in by_id.values())
    rows = db.session.execute(
        select(Order.id.label("order_id"), Click.occurred_at, Click.link_id, ShareLink.influencer_id)
        .join(Click, and_(Click.visitor_id == Order.visitor_id, Click.occurred_at <= Order.created_at))
        .join(ShareLink, ShareLink.id == Click.link_id)
        .where(Order.id.in_(list(by_id)), Click.is_bot.is_(False), Click.occurred_at >= since)
        .order_by(Order.id, Click.occurred_at, Click.id)
    )
    found: dict[int, list[Touchpoint]] = {}
    for row in rows:
        order = by_id[row.order_id]
        if row.occurred_at >= order.created_at - longest[order.id]:  # its own window, not the batch's
            found.setdefault(row.order_id, []).append(Touchpoint(row.influencer_id, row.occurred_at, row.link_id))
    return {order_id: once_per_hour(touchpoints) for order_id, touchpoints in found.items()}


def _influencer_users(influencer_ids: set[int]) -> dict[int, tuple[int, str]]:
    """Each influencer's account: ``{influencer id: (user id, email)}``, for the self-referral check."""
    if not influencer_ids:
        return {}
    rows = db.session.execute(
        select(InfluencerProfile.id, User.id.label("user_id"), User.email)
        .join(User, User.id == InfluencerProfile.user_id)
        .where(InfluencerProfile.id.in_(influencer_ids))
    )
    return {row.id: (row.user_id, row.email) for row in rows}


def _is_self_referral_in(people: dict[int, tuple[int, str]], order: Order, influencer_id: int) -> bool:
    user = people.get(influencer_id)
    return user is not None and (user[0] == order.shopper_user_id or user[1] == order.email)


# ------------------------------------------------------------------ one order


def _touchpoints(order: Order, longest_window: timedelta) -> list[Touchpoint]:
    """The visitor's human clicks before the order, within the longest window of its brands."""
    if not order.visitor_id:
        return []
    rows = db.session.execute(
        select(Click.occurred_at, Click.link_id, ShareLink.influencer_id)
        .join(ShareLink, ShareLink.id == Click.link_id)
        .where(
            Click.visitor_id == order.visitor_id,
            Click.is_bot.is_(False),
            Click.occurred_at <= order.created_at,
            Click.occurred_at >= order.created_at - longest_window,
        )
        .order_by(Click.occurred_at, Click.id)
    ).all()
    return once_per_hour([Touchpoint(row.influencer_id, row.occurred_at, row.link_id) for row in rows])


def once_per_hour(touchpoints: list[Touchpoint]) -> list[Touchpoint]:
    """The shopper's clicks (in time order) without their repeats: a click on a link within the
    hour after a kept click on the same link counts once. Unlike a click's ``counted`` flag,
    which also merges other visitors behind the same address and browser (a household, an
    office, a carrier's NAT), this looks at this shopper's clicks only, so a sale is never lost
    because someone else clicked first."""
    kept, last = [], {}
    for touchpoint in touchpoints:
        previous = last.get(touchpoint.link_id)
        if previous is None or touchpoint.at - previous >= REPEAT_WINDOW:
            kept.append(touchpoint)
            last[touchpoint.link_id] = touchpoint.at
    return kept


def _is_self_referral(order: Order, influencer_id: int) -> bool:
    user = db.session.scalar(
        select(User).join(InfluencerProfile, InfluencerProfile.user_id == User.id).where(InfluencerProfile.id == influencer_id)
    )
    return user is not None and (user.id == order.shopper_user_id or user.email == order.email)


def attribute_order(order_id: int, model: str | None = None) -> str:
    """Compute (or recompute) the credits of one paid order, in a transaction of its own. Idempotent.

    The single-order job (an order handed over by a failed batch, or queued by hand) runs it;
    it reads what the order needs query by query, as the batch path does for many orders."""
    model = model or current_app.config["ATTRIBUTION_MODEL"]
    drain_clicks()  # the shopper's last clicks may still be in the buffer
    half_life = timedelta(days=current_app.config["TIME_DECAY_HALF_LIFE_DAYS"])
    session = db.session
    _take(AttributionRequest.order_id == order_id)  # its request, if any; taken before the order, as batches do
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update().options(lazyload(Order.events)))
    if order is None or order.status not in ATTRIBUTABLE:
        session.commit()
        return f"ignored: order {order_id} is not paid"
    windows = {
        brand.id: timedelta(days=brand.attribution_window_days)
        for brand in session.scalars(select(Brand).where(Brand.id.in_({line.brand_id for line in order.lines})))
    }
    touchpoints = _touchpoints(order, max(windows.values()))
    code = session.get(DiscountCode, order.discount_code_id) if order.discount_code_id else None
    is_self = partial(_is_self_referral, order)
    line_credits = [
        _line_credits(order, line, model, windows[line.brand_id], touchpoints, code, half_life, is_self)
        for line in order.lines
    ]
    shares = [
        share for line in order.lines for share in _line_shares(order, line, windows[line.brand_id], touchpoints, code, half_life)
    ]
    writer = CreditWriter()
    summary = store_order_credits(writer, order, line_credits, shares, model)
    writer.flush()
    session.commit()
    return f"order {order.id}: {summary}"


@dataclass(slots=True)
class Credit:
    """One influencer's share of one order line, and what it rests on: the discount code, or
    the touchpoints ``(link id, clicked at, weight in ppm)`` of that influencer's clicks."""

    order_line_id: int
    influencer_id: int
    fraction_ppm: int
    rule: str  # "discount_code" or the model's name
    window_days: int
    self_referral: bool
    discount_code_id: int | None = None
    touchpoints: list[tuple[int, datetime, int]] = field(default_factory=list)


def store_order_credits(
    writer: CreditWriter, order: Order, line_credits: list[list[Credit]], shares: list[dict[str, Any]], model: str
) -> str:
    """The one place an order's credits are stored: they replace whatever the order had (with the
    lines' shares under every model), and its ``OrderAttribution`` row records when, under which
    model and how many lines were credited.
    Staged on ``writer``, which writes them (``flush``) in the caller's transaction: the
    single-order path flushes and commits once per order, the batch path once per batch.
    The order's commissions follow its credits when the writer flushes, in that transaction."""
    writer.orders.append(order)
    writer.shares.extend(shares)
    credited_lines = 0
    for credits in line_credits:
        writer.credits.extend((order.id, model, credit) for credit in credits)
        credited_lines += bool(credits)
    summary = f"{credited_lines} of {len(line_credits)} lines credited under {model}"
    writer.attributions.append({"order_id": order.id, "model": model, "computed_at": utcnow(), "summary": summary})
    return summary


class CreditWriter:
    """Writes the credits staged by ``store_order_credits`` for any number of orders with a few
    multi-row statements: the orders' previous credits (and, by cascade, touchpoints) deleted,
    the new credits and their touchpoints inserted, the orders' attribution rows replaced."""

    def __init__(self) -> None:
        self.orders: list[Order] = []
        self.credits: list[tuple[int, str, Credit]] = []  # (order id, model, credit)
        self.shares: list[dict[str, Any]] = []  # attribution_shares rows
        self.attributions: list[dict[str, Any]] = []

    def flush(self) -> None:
        if not self.orders:
            return
        session = db.session
        order_ids = [order.id for order in self.orders]
        credits, shares, attributions = AttributionCredit.__table__, AttributionShare.__table__, OrderAttribution.__table__
        session.execute(delete(credits).where(credits.c.order_id.in_(order_ids)))
        session.execute(delete(shares).where(shares.c.order_id.in_(order_ids)))
        insert_rows(shares, self.shares)
        if self.credits:
            now = utcnow()
            ids = insert_rows_returning_ids(AttributionCredit.__table__, [
                {"order_id": order_id, "order_line_id": c.order_line_id, "influencer_id": c.influencer_id,
                 "fraction_ppm": c.fraction_ppm, "rule": c.rule, "model": model, "window_days": c.window_days,
                 "discount_code_id": c.discount_code_id, "self_referral": c.self_referral, "created_at": now}
                for order_id, model, c in self.credits
            ])
            insert_rows(AttributionTouchpoint.__table__, [
                {"credit_id": credit_id, "link_id": link_id, "clicked_at": at, "weight_ppm": weight}
                for credit_id, (_, _, c) in zip(ids, self.credits, strict=True)
                for link_id, at, weight in c.touchpoints
            ])
        session.execute(delete(attributions).where(attributions.c.order_id.in_(order_ids)))
        insert_rows(attributions, self.attributions)
        record_commissions(self.orders)  # credits and their commissions agree, in one transaction
        mark_reports_stale(order_ids)
        self.__init__()


def _line_credits(
    order, line: OrderLine, model, window, touchpoints, code, half_life, is_self_referral: Callable[[int], bool]
) -> list[Credit]:
    def credit(influencer_id: int, ppm: int, rule: str, **fields) -> Credit:
        return Credit(line.id, influencer_id, ppm, rule, window.days, is_self_referral(influencer_id), **fields)

    if code is not None and code.brand_id == line.brand_id:
        return [credit(code.influencer_id, PPM, "discount_code", discount_code_id=code.id)]
    in_window = [t for t in touchpoints if t.at >= order.created_at - window]
    earned = {id(t): ppm for t, ppm in allocate(model, in_window, order.created_at, half_life)}
    by_influencer: dict[int, list[tuple[int, datetime, int]]] = {}
    for t in in_window:  # every click of a credited influencer is kept, even one the model gave nothing
        by_influencer.setdefault(t.influencer_id, []).append((t.link_id, t.at, earned.get(id(t), 0)))
    return [
        credit(influencer_id, sum(weight for _, _, weight in used), model, touchpoints=used)
        for influencer_id, used in sorted(by_influencer.items())
        if any(weight for _, _, weight in used)
    ]


def _line_shares(order, line: OrderLine, window, touchpoints, code, half_life) -> list[dict[str, Any]]:
    """The line's ``attribution_shares`` rows: what each model gives each (influencer, link);
    a discount code of the line's brand takes the whole line under every model."""
    row = {"order_id": order.id, "order_line_id": line.id}
    if code is not None and code.brand_id == line.brand_id:
        return [{**row, "influencer_id": code.influencer_id, "link_id": None, **{f"{m}_ppm": PPM for m in MODELS}}]
    in_window = [t for t in touchpoints if t.at >= order.created_at - window]
    return [
        {**row, "influencer_id": influencer_id, "link_id": link_id, **{f"{m}_ppm": ppm for m, ppm in by_model.items()}}
        for (influencer_id, link_id), by_model in sorted(model_shares(in_window, order.created_at, half_life).items())
    ]


def _credit_view(credit: AttributionCredit) -> dict[str, Any]:
    """A credit with what it rests on: the discount code, or each click's link and share."""
    if credit.discount_code_id is not None:
        used = [{"discount_code": db.session.get(DiscountCode, credit.discount_code_id).code}]
    else:
        links = {
            link.id: link
            for link in db.session.scalars(
                select(ShareLink).where(ShareLink.id.in_({t.link_id for t in credit.touchpoints}))
            )
        }
        used = [
            {
                "link_code": links[t.link_id].code,
                "channel": links[t.link_id].channel,
                "campaign": links[t.link_id].campaign,
                "reshare_depth": links[t.link_id].depth,
                "clicked_at": t.clicked_at.isoformat(),
                "weight_ppm": t.weight_ppm,
            }
            for t in credit.touchpoints
        ]
    return {
        "influencer_id": credit.influencer_id,
        "fraction_ppm": credit.fraction_ppm,
        "rule": credit.rule,
        "model": credit.model,
        "window_days": credit.window_days,
        "touchpoints": used,
        "self_referral": credit.self_referral,
    }


def explain(order_id: int, viewer: User) -> dict[str, Any]:
    """The order's credits as a brand (its lines), a credited influencer (their credits) or an admin sees them."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("order not found")
    attribution = db.session.get(OrderAttribution, order.id)
    credits = db.session.scalars(
        select(AttributionCredit).where(AttributionCredit.order_id == order.id).order_by(AttributionCredit.id)
    ).all()
    own_influencer = db.session.scalar(select(InfluencerProfile.id).where(InfluencerProfile.user_id == viewer.id))
    lines = []
    for line in order.lines:
        line_credits = [c for c in credits if c.order_line_id == line.id]
        if viewer.is_admin or is_member(viewer, line.brand_id):
            visible = line_credits
        else:
            visible = [c for c in line_credits if c.influencer_id == own_influencer]
            if not visible:
                continue
        lines.append({"order_line_id": line.id, "brand_id": line.brand_id, "title": line.title,
                      "line_total": line.line_total, "organic": not line_credits,
                      "credits": [_credit_view(c) for c in visible]})
    if not lines:
        raise NotFound("order not found")
    return {
        "order_id": order.id,
        "model": attribution.model if attribution else None,
        "computed_at": attribution.computed_at if attribution else None,
        "lines": lines,
    }


def orders_to_rebuild(brand_id: int, since, until) -> list[int]:
    return list(
        db.session.scalars(
            select(Order.id)
            .where(
                Order.id.in_(select(OrderLine.order_id).where(OrderLine.brand_id == brand_id)),
                Order.status.in_(ATTRIBUTABLE),
                Order.created_at >= since,
                Order.created_at < until,
            )
            .order_by(Order.id)
        )
    )
