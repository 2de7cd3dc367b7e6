"""What a brand is owed for an order: the one place this arithmetic lives.

Per brand of the order, over that brand's lines::

    net sales     = line totals − refunded amounts
    platform fee  = net sales × PLATFORM_FEE_BPS / 10 000, rounded half up
    commissions   = the net of the brand's commission lines that are not canceled
                    (held ones included: they are reserved until reviewed)
    brand share   = net sales − platform fee − commissions
    outstanding   = brand share − what settlement transfers already sent

An order settles once its attribution is computed and the brand's hold period has
passed; anything that changes afterwards (a refund, a canceled commission) changes the
outstanding amount, which the next run settles as a new line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from marketplace.accounts.models import User
from marketplace.attribution.models import OrderAttribution
from marketplace.attribution.services import ATTRIBUTABLE
from marketplace.brands.models import Brand
from marketplace.brands.services import is_member
from marketplace.commissions.models import CommissionLine, CommissionState
from marketplace.commissions.services import hold_period
from marketplace.db import db, utcnow
from marketplace.errors import NotFound
from marketplace.orders.models import Order, OrderLine
from marketplace.payouts.models import Payout, PayoutStatus, SettlementLine

BPS = 10_000


def platform_fee(net_sales: int, fee_bps: int) -> int:
    """Half up, on whole minor units."""
    return (net_sales * fee_bps * 2 + BPS) // (2 * BPS)


def order_settlement(order: Order, now: datetime | None = None) -> list[dict[str, Any]]:
    """The settlement of each brand of the order (see the module docstring)."""
    now = now or utcnow()
    session = db.session
    fee_bps = current_app.config["PLATFORM_FEE_BPS"]
    brand_ids = sorted({line.brand_id for line in order.lines})
    brands = {b.id: b for b in session.scalars(select(Brand).where(Brand.id.in_(brand_ids)))}
    commissions = dict(
        session.execute(
            select(CommissionLine.brand_id, func.sum(CommissionLine.amount))
            .where(CommissionLine.order_id == order.id, CommissionLine.state != CommissionState.CANCELED)
            .group_by(CommissionLine.brand_id)
        ).all()
    )
    settled = dict(
        session.execute(
            select(SettlementLine.brand_id, func.sum(SettlementLine.amount))
            .join(Payout, Payout.id == SettlementLine.payout_id)
            .where(SettlementLine.order_id == order.id, Payout.status != PayoutStatus.FAILED)
            .group_by(SettlementLine.brand_id)
        ).all()
    )
    attributed = session.get(OrderAttribution, order.id) is not None
    result = []
    for brand_id in brand_ids:
        lines = [line for line in order.lines if line.brand_id == brand_id]
        net_sales = sum(line.line_total - line.refunded_amount for line in lines) if order.status in ATTRIBUTABLE else 0
        fee = platform_fee(net_sales, fee_bps)
        commission = int(commissions.get(brand_id) or 0)
        share = net_sales - fee - commission
        due_at = (order.paid_at + hold_period(brands[brand_id])) if order.paid_at else None
        result.append(
            {
                "brand_id": brand_id,
                "currency": order.currency,
                "gross_sales": sum(line.line_total for line in lines),
                "refunded": sum(line.refunded_amount for line in lines),
                "net_sales": net_sales,
                "platform_fee_bps": fee_bps,
                "platform_fee": fee,
                "commissions": commission,
                "brand_share": share,
                "settled": int(settled.get(brand_id) or 0),
                "outstanding": share - int(settled.get(brand_id) or 0),
                "due_at": due_at,
                "due": bool(attributed and due_at and due_at <= now),
            }
        )
    return result


def settlement_view(user: User, order_id: int) -> dict[str, Any]:
    """``GET /orders/{id}/settlement``: a brand sees its own part, an admin every brand's."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("order not found")
    parts = [p for p in order_settlement(order) if user.is_admin or is_member(user, p["brand_id"])]
    if not parts:
        raise NotFound("order not found")
    return {"order_id": order.id, "status": order.status.value, "total": order.total, "currency": order.currency,
            "brands": parts}


def outstanding_for(brand_id: int, currency: str, now: datetime) -> list[tuple[int, int]]:
    """``(order id, amount)`` for each due order of the brand whose settlement is not fully sent.

    Candidates are the brand's paid, attributed orders past the hold that were never
    settled, or changed (a refund, a commission's state) since they last were; the
    arithmetic itself is ``order_settlement``'s.
    """
    hold = hold_period(db.session.get(Brand, brand_id))
    last_settled = (
        select(func.max(SettlementLine.created_at))
        .join(Payout, Payout.id == SettlementLine.payout_id)
        .where(SettlementLine.order_id == Order.id, SettlementLine.brand_id == brand_id, Payout.status != PayoutStatus.FAILED)
        .scalar_subquery()
    )
    changed_commission = (
        select(CommissionLine.id)
        .where(CommissionLine.order_id == Order.id, CommissionLine.brand_id == brand_id, CommissionLine.updated_at > last_settled)
        .exists()
    )
    order_ids = db.session.scalars(
        select(Order.id)
        .join(OrderAttribution, OrderAttribution.order_id == Order.id)
        .where(
            Order.currency == currency,
            Order.status.in_(ATTRIBUTABLE),
            Order.paid_at <= now - hold,
            Order.id.in_(select(OrderLine.order_id).where(OrderLine.brand_id == brand_id)),
            or_(last_settled.is_(None), Order.updated_at > last_settled, changed_commission),
        )
        .order_by(Order.id)
    ).all()
    due = []
    for order_id in order_ids:
        part = next(p for p in order_settlement(db.session.get(Order, order_id), now) if p["brand_id"] == brand_id)
        if part["due"] and part["outstanding"] != 0:
            due.append((order_id, part["outstanding"]))
    return due
