"""Refunds: brands (for their own lines) and admins give money back, per line, by
quantity or by amount, never more than was paid.

The refundable room is claimed in the database first (line and order counters, under
the order's row lock), then the provider is asked with an idempotency key derived
from the refund's id, so a retried request can neither refund twice nor exceed what
was paid. Each refund keeps its lines, so commissions can later be reversed pro rata.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.brands.services import is_member, require_member
from marketplace.commissions.services import adjust_for_refunds as adjust_commissions
from marketplace.db import db
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.orders.models import Order, OrderLine, OrderStatus, Refund, RefundLine, RefundStatus
from marketplace.orders.services import PaymentUnavailable, log_event, transition
from marketplace.payments.gateway import PaymentProviderError, get_gateway
from marketplace.reports.stale import mark_stale as mark_reports_stale

log = logging.getLogger(__name__)

S = OrderStatus
REFUNDABLE = frozenset({S.PAID, S.PARTIALLY_REFUNDED})


def _status_for(order: Order) -> OrderStatus:
    if order.refunded_total == 0:
        return S.PAID
    return S.REFUNDED if order.refunded_total >= order.total else S.PARTIALLY_REFUNDED


def _follow_amounts(order: Order, cause: str) -> None:
    """Move the order to the status its refunded amount calls for."""
    wanted = _status_for(order)
    if wanted != order.status or wanted == S.PARTIALLY_REFUNDED:
        transition(order, wanted, cause, {"refunded_total": order.refunded_total})
    if order.needs_refund and order.refunded_total >= order.total:
        order.needs_refund = False


def _planned_lines(order: Order, requested: list[dict[str, Any]], user: User) -> list[tuple[OrderLine, int, int]]:
    """``(line, quantity, amount)`` for each requested line, or the reasons it cannot be refunded."""
    by_id = {line.id: line for line in order.lines}
    plan, errors = [], {}
    for index, entry in enumerate(requested):
        line = by_id.get(entry["line_id"])
        if line is None:
            errors[f"lines.{index}.line_id"] = ["not a line of this order"]
            continue
        if not user.is_admin and not is_member(user, line.brand_id):
            raise Forbidden("you may refund only your brand's lines", reason="not_your_line")
        room = line.line_total - line.refunded_amount
        if "quantity" in entry:
            quantity = entry["quantity"]
            if quantity > line.quantity - line.refunded_quantity:
                errors[f"lines.{index}.quantity"] = [f"only {line.quantity - line.refunded_quantity} left to refund"]
                continue
            left = line.quantity - line.refunded_quantity
            # Units carry their share of the net line total; the last units take what is left.
            amount = room if quantity == left else min(line.line_total * quantity // line.quantity, room)
        else:
            quantity, amount = 0, entry["amount"]
        if amount > room or amount <= 0:
            errors[f"lines.{index}.amount"] = [f"at most {room} left to refund on this line"]
            continue
        plan.append((line, quantity, amount))
    if errors:
        raise Invalid("this refund exceeds what can be refunded", reason="refund_exceeds_paid", errors=errors)
    return plan


def create_refund(user: User, order_id: int, data: dict[str, Any]) -> Refund:
    session = db.session
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or not (user.is_admin or any(is_member(user, line.brand_id) for line in order.lines)):
        raise NotFound("order not found")
    if order.status not in REFUNDABLE:
        raise Conflict(f"an order that is {order.status.value} cannot be refunded", reason="not_refundable")
    plan = _planned_lines(order, data["lines"], user)
    if len({line.id for line, _, _ in plan}) != len(plan):
        raise Invalid("each line may appear once", errors={"lines": ["a line appears twice"]})

    refund = Refund(
        order_id=order.id,
        requested_by_user_id=user.id,
        reason=data["reason"],
        amount=sum(amount for _, _, amount in plan),
        currency=order.currency,
        lines=[RefundLine(order_line_id=line.id, quantity=quantity, amount=amount) for line, quantity, amount in plan],
    )
    for line, quantity, amount in plan:
        line.refunded_quantity += quantity
        line.refunded_amount += amount
    order.refunded_total += refund.amount
    session.add(refund)
    session.flush()
    _follow_amounts(order, f"refund {refund.id} of {refund.amount} requested: {refund.reason}")
    adjust_commissions(order)
    mark_reports_stale([order.id])
    session.commit()  # the room is claimed before the provider is asked

    try:
        result = get_gateway().refund(
            order.payment_intent_id,
            amount=refund.amount,
            idempotency_key=f"refund-{refund.id}",
            metadata={"order_id": str(order.id), "refund_id": str(refund.id)},
        )
    except PaymentProviderError as exc:
        log.warning("refund %s of order %s failed: %s", refund.id, order.id, exc)
        _give_back(refund, f"the payment provider refused refund {refund.id}: {exc}")
        session.commit()
        raise PaymentUnavailable("the payment provider did not refund; nothing was refunded") from None
    refund.provider_refund_id = result.id
    refund.status = RefundStatus.SUCCEEDED if result.status == "succeeded" else RefundStatus.PENDING
    session.commit()
    return refund


def _give_back(refund: Refund, cause: str) -> None:
    """A refund that did not happen: its amounts become refundable again."""
    order = db.session.scalar(select(Order).where(Order.id == refund.order_id).with_for_update())
    lines = {line.id: line for line in order.lines}
    for refund_line in refund.lines:
        lines[refund_line.order_line_id].refunded_quantity -= refund_line.quantity
        lines[refund_line.order_line_id].refunded_amount -= refund_line.amount
    order.refunded_total -= refund.amount
    refund.status = RefundStatus.FAILED
    if order.status == _status_for(order):
        log_event(order, order.status, order.status, cause)
    else:
        _follow_amounts(order, cause)
    adjust_commissions(order)
    mark_reports_stale([order.id])


def record_refund_update(provider_refund_id: str, status: str, cause: str) -> str:
    """Apply a provider's refund event (``refund.updated``, ``refund.failed``) once."""
    refund = db.session.scalar(select(Refund).where(Refund.provider_refund_id == provider_refund_id))
    if refund is None:
        return f"ignored: no refund has provider id {provider_refund_id}"
    if status == "succeeded" and refund.status == RefundStatus.PENDING:
        refund.status = RefundStatus.SUCCEEDED
        return f"refund {refund.id} succeeded"
    if status in ("failed", "canceled") and refund.status != RefundStatus.FAILED:
        _give_back(refund, f"{cause}: refund {refund.id} {status} at the provider")
        return f"refund {refund.id} {status}: its amount is refundable again"
    return f"ignored: refund {refund.id} is {refund.status.value}, event says {status}"


def brand_refunds(user: User, brand_id: int, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The refunds of these orders that give back some of the brand's lines, per order, with only
    the brand's refund lines (members and admins)."""
    require_member(user, brand_id)
    rows = db.session.execute(
        select(Refund, RefundLine, OrderLine.title)
        .join(RefundLine, RefundLine.refund_id == Refund.id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .where(Refund.order_id.in_(order_ids), OrderLine.brand_id == brand_id)
        .order_by(Refund.id, RefundLine.id)
    )
    refunds: dict[int, dict[str, Any]] = {}
    for refund, line, title in rows:
        entry = refunds.setdefault(refund.id, {"refund": refund, "lines": []})
        entry["lines"].append({"title": title, "quantity": line.quantity, "amount": line.amount})
    by_order: dict[int, list[dict[str, Any]]] = {}
    for entry in refunds.values():
        by_order.setdefault(entry["refund"].order_id, []).append(entry)
    return by_order
