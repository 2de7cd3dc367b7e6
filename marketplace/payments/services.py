"""Stripe webhooks: verify, store once, process once in a job.

The request handler only verifies the signature and stores the event under its
Stripe id (a unique key), then answers. The job locks the stored event, applies it
to the order and marks it processed in the same transaction: a redelivered event,
a job run twice, or a job that crashed halfway and runs again changes the order
exactly once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.db import db, has_unstorable_text, utcnow
from marketplace.errors import Conflict, DomainError
from marketplace.orders.refunds import record_refund_update
from marketplace.orders.services import PaymentUnavailable, record_payment_failed, record_payment_succeeded
from marketplace.orders.models import TRANSITIONS, Order, OrderStatus
from marketplace.payments.gateway import CardDeclined, PaymentProviderError, get_gateway
from marketplace.payments.models import StripeEvent
from marketplace.payouts.services import record_account_update
from marketplace.queueing import FOLLOW_UP_RETRY, enqueue_after_commit

log = logging.getLogger(__name__)


class BadWebhook(DomainError):
    status_code = 400
    reason = "bad_webhook"


PAYABLE = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED})


def checkout_payment(order: Order) -> dict[str, str]:
    """What Stripe.js needs to take the payment of an unpaid order: its PaymentIntent's client secret."""
    if order.status not in PAYABLE or not order.payment_intent_id:
        raise Conflict(f"this order is {order.status.value}: there is nothing to pay", reason="not_payable")
    try:
        intent = get_gateway().retrieve_payment_intent(order.payment_intent_id)
    except PaymentProviderError as exc:
        log.warning("payment intent of order %s unreadable: %s", order.id, exc)
        raise PaymentUnavailable("the payment provider is unavailable; try again in a moment") from None
    return {"payment_intent_id": intent.id, "client_secret": intent.client_secret}


def pay_with_emulator_card_token(order: Order, card_token: str) -> str | None:
    """localstripe only (see ``StripeGateway.confirm_with_card_token``): pay an order with a card
    tokenised in the browser. Returns why the card was declined, or None when it was accepted;
    either way the webhook then marks the order, as with Stripe."""
    if order.status not in PAYABLE or not order.payment_intent_id:
        raise Conflict(f"this order is {order.status.value}: there is nothing to pay", reason="not_payable")
    try:
        get_gateway().confirm_with_card_token(order.payment_intent_id, card_token)
    except CardDeclined as exc:
        return f"{exc} The order is not paid; you can try another card."
    except PaymentProviderError as exc:
        log.warning("emulated payment of order %s failed: %s", order.id, exc)
        raise PaymentUnavailable("the payment could not be sent; nothing was charged, try again") from None
    return None


def receive_event(payload: bytes, signature_header: str | None) -> tuple[str, bool]:
    """Verify and store an event; returns ``(event_id, newly_stored)``. Nothing is stored on a 400."""
    if not signature_header:
        raise BadWebhook("the Stripe-Signature header is missing")
    try:
        event = get_gateway().parse_webhook(payload, signature_header)
    except ValueError as exc:
        raise BadWebhook(f"the event could not be verified: {exc}") from None
    if has_unstorable_text(event):
        raise BadWebhook("the event has text that cannot be stored (NUL characters or lone surrogates)")
    session = db.session
    stored = session.get(StripeEvent, event["id"])
    if stored is None:
        session.add(StripeEvent(id=event["id"], type=event["type"], payload=event))
    elif stored.processed_at is not None:
        return event["id"], False
    # New, or stored but not processed yet (a lost job): (re)queue; the job is idempotent. Retried
    # if it fails (the database restarting) or dies with its worker; apply_stored_events sweeps the rest.
    enqueue_after_commit(session, "workers.jobs.process_stripe_event", event["id"], job_id=f"stripe-event-{event['id']}",
                         retry=FOLLOW_UP_RETRY)
    try:
        session.commit()
    except IntegrityError:  # the same event, delivered twice at once: the other request stored it
        session.rollback()
        return event["id"], False
    return event["id"], stored is None


def process_event(event_id: str) -> str | None:
    """Apply a stored event once. Returns its outcome, or None if it was already processed."""
    session = db.session
    event = session.scalar(select(StripeEvent).where(StripeEvent.id == event_id).with_for_update())
    if event is None or event.processed_at is not None:
        session.rollback()
        return None
    outcome = _apply(event.type, event.payload["data"]["object"], f"Stripe event {event.id} ({event.type})")
    event.outcome = outcome[: StripeEvent.outcome.type.length]
    event.processed_at = utcnow()
    session.commit()
    log.info("stripe event %s: %s", event_id, event.outcome)
    return event.outcome


def _text(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def _apply(event_type: str, obj: dict[str, Any], cause: str) -> str:
    """Apply an event's object; one without the fields its type needs is stored, and ignored."""
    handled = ("payment_intent.succeeded", "payment_intent.payment_failed", "refund.created", "refund.updated",
               "refund.failed")
    if event_type in handled and not _text(obj, "id"):
        return f"ignored: {event_type} without an id"
    if event_type == "payment_intent.succeeded":
        amount = obj.get("amount_received") or obj.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool):
            return f"ignored: {event_type} without an amount"
        return record_payment_succeeded(obj["id"], amount, cause)
    if event_type == "payment_intent.payment_failed":
        return record_payment_failed(obj["id"], _text(obj.get("last_payment_error"), "message") or "payment failed", cause)
    if event_type in ("refund.created", "refund.updated", "refund.failed"):
        return record_refund_update(obj["id"], _text(obj, "status") or "", cause)
    if event_type == "account.updated":
        return record_account_update(obj)
    return f"ignored: {event_type} is not handled"


def apply_stored_events(older_than: timedelta = timedelta(minutes=5)) -> int:
    """Apply the events stored over ``older_than`` ago and still unprocessed: Stripe was answered,
    so it will not send them again, but their job was never queued (Redis was down), failed for
    good, or died with its worker. Returns how many were applied now."""
    stale = db.session.scalars(
        select(StripeEvent.id)
        .where(StripeEvent.processed_at.is_(None), StripeEvent.received_at <= utcnow() - older_than)
        .order_by(StripeEvent.received_at)
    ).all()
    db.session.rollback()
    applied = 0
    for event_id in stale:
        try:
            outcome = process_event(event_id)
        except Exception:  # one event must not hold up the others; it stays for the next sweep
            db.session.rollback()
            log.exception("stripe event %s could not be applied by the sweep", event_id)
            continue
        if outcome is not None:
            log.warning("stripe event %s applied by the sweep: its job never ran to the end", event_id)
            applied += 1
    return applied


def reconcile(older_than: timedelta = timedelta(minutes=10), lookback: timedelta = timedelta(days=7)) -> dict[str, int]:
    """Apply stored events whose job was lost, then ask the provider about orders still waiting
    for a payment (or given up on) whose webhook may never have come, and apply what it says.
    Safe to run at any time."""
    events = apply_stored_events(min(older_than, timedelta(minutes=5)))
    now = utcnow()
    candidates = db.session.scalars(
        select(Order.id).where(
            Order.status.in_(tuple(status for status, targets in TRANSITIONS.items() if OrderStatus.PAID in targets)),
            Order.payment_intent_id.is_not(None),
            Order.created_at <= now - older_than,
            Order.created_at >= now - lookback,
        )
    ).all()
    counts = {"checked": 0, "paid": 0, "unchanged": 0, "errors": 0}
    for order_id in candidates:
        counts["checked"] += 1
        order = db.session.get(Order, order_id)
        try:
            intent = get_gateway().retrieve_payment_intent(order.payment_intent_id)
        except PaymentProviderError:
            log.warning("reconcile: could not read the payment of order %s", order_id, exc_info=True)
            counts["errors"] += 1
            continue
        if intent.status == "succeeded":
            outcome = record_payment_succeeded(intent.id, intent.amount_received, "reconciliation with Stripe")
            db.session.commit()
            log.info("reconcile: %s", outcome)
            counts["paid" if order.status == OrderStatus.PAID else "unchanged"] += 1
        else:
            counts["unchanged"] += 1
    return counts | {"stored events applied": events}
