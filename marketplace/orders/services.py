"""Orders: placing them from a storefront, reserving stock, and moving them through
their states as payments succeed, fail or never arrive.

Every status change is a conditional UPDATE (``WHERE status = <the status we saw>``)
plus an appended ``OrderEvent``, in the caller's transaction: when two workers race
on the same order, exactly one wins and the other changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, String, cast, literal, or_, select, update

from marketplace.accounts.models import User
from marketplace.attribution.services import request_attribution
from marketplace.brands.services import is_member, require_member
from marketplace.catalog.services import release_stock, reserve_stock, take_reserved_stock, take_stock
from marketplace.db import db, utcnow
from marketplace.discounts import services as discounts
from marketplace.errors import Conflict, DomainError, Invalid, NotFound
from marketplace.orders.models import HOLDS_RESERVATION, TRANSITIONS, Order, OrderEvent, OrderLine, OrderStatus
from marketplace.payments.gateway import PaymentProviderError, get_gateway
from marketplace.queueing import enqueue_after_commit
from marketplace.storefronts.models import Storefront, StorefrontItem
from marketplace.reports.stale import mark_stale as mark_reports_stale

log = logging.getLogger(__name__)

S = OrderStatus


class PaymentUnavailable(DomainError):
    status_code = 502
    reason = "payment_provider_unavailable"


class IllegalTransition(Conflict):
    reason = "illegal_transition"


ORDER_TOKEN_PREFIX = "ord_"  # tells an order's access token from an account's bearer token


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ------------------------------------------------------------------ placing


def _storefront_for_order(slug: str) -> Storefront:
    storefront = db.session.scalar(select(Storefront).where(Storefront.slug == slug))
    if storefront is None or not storefront.published:
        raise Invalid("no published storefront with this slug", errors={"storefront": ["no such storefront"]})
    return storefront


def _curated_items(storefront_id: int, product_ids: list[int]) -> dict[int, StorefrontItem]:
    """The storefront's item for each product (its first, if curated in several lists)."""
    items = db.session.scalars(
        select(StorefrontItem)
        .where(
            StorefrontItem.storefront_id == storefront_id,
            StorefrontItem.product_id.in_(product_ids),
            StorefrontItem.removed_at.is_(None),
        )
        .order_by(StorefrontItem.id)
    ).all()
    by_product: dict[int, StorefrontItem] = {}
    for item in items:
        by_product.setdefault(item.product_id, item)
    return by_product


def _check_lines(storefront: Storefront, requested: list[dict[str, Any]]) -> list[tuple[StorefrontItem, dict]]:
    """Match each requested line to an active product curated in the storefront, or say why not."""
    product_ids = [line["product_id"] for line in requested]
    if len(set(product_ids)) != len(product_ids):
        raise Invalid("each product may appear once", errors={"items": ["a product appears twice"]})
    curated = _curated_items(storefront.id, product_ids)
    errors: dict[str, list[str]] = {}
    matched = []
    for index, line in enumerate(requested):
        item = curated.get(line["product_id"])
        if item is None or not item.product.active:
            errors[f"items.{index}.product_id"] = ["not an active product of this storefront"]
        else:
            matched.append((item, line))
    if errors:
        raise Invalid("some items cannot be ordered from this storefront", errors=errors)
    currencies = {item.product.currency for item, _ in matched}
    if len(currencies) > 1:
        raise Invalid(
            "an order is paid in one currency",
            reason="mixed_currencies",
            errors={"items": [f"products are priced in {', '.join(sorted(currencies))}"]},
        )
    stale = {
        f"items.{index}.unit_price": [f"the price is now {item.product.price}"]
        for index, (item, line) in enumerate(matched)
        if line.get("unit_price") is not None and line["unit_price"] != item.product.price
    }
    if stale:
        raise Conflict("prices changed since the page was loaded", reason="price_changed", errors=stale)
    return matched


def place_order(buyer: User | None, data: dict[str, Any], visitor_id: str | None) -> tuple[Order, str, str]:
    """Create the order, reserve its stock, and open its PaymentIntent.

    Returns ``(order, access_token, client_secret)``: both secrets are handed to the
    shopper once; the token is stored only as a hash, the client secret not at all.
    """
    storefront = _storefront_for_order(data["storefront"])
    matched = _check_lines(storefront, data["items"])
    code = discounts.usable_code(data["discount_code"]) if data.get("discount_code") else None
    if code is not None and not any(item.product.brand_id == code.brand_id for item, _ in matched):
        raise Invalid(
            "this code is for another brand's products",
            reason="invalid_discount_code",
            errors={"discount_code": ["no item in the order is from the code's brand"]},
        )
    session = db.session

    # Reserve in product-id order, so two orders for the same products cannot deadlock.
    for item, line in sorted(matched, key=lambda pair: pair[0].product_id):
        if not reserve_stock(item.product_id, line["quantity"]):
            session.rollback()
            raise Conflict(
                f"not enough stock of {item.product.title!r}",
                reason="insufficient_stock",
                errors={"items": [f"product {item.product_id}: only {item.product.available} available"]},
            )
    if code is not None and not discounts.use(code.id):
        session.rollback()
        raise Conflict("this code was used up meanwhile", reason="invalid_discount_code", errors={"discount_code": ["used up"]})

    items = [(item, line["quantity"]) for item, line in matched]
    order, token = new_order(storefront, items, code, buyer, data["email"], visitor_id, utcnow())
    session.add(order)
    session.flush()
    log_event(order, None, S.PENDING_PAYMENT, "order placed", {"reserved_until": order.reserved_until.isoformat()})
    session.commit()

    return order, token, _open_payment(order)


def new_order(
    storefront: Storefront,
    items: list[tuple[StorefrontItem, int]],
    code,
    buyer: User | None,
    email: str,
    visitor_id: str | None,
    placed_at: datetime,
) -> tuple[Order, str]:
    """The unsaved pending order of ``(item, quantity)`` pairs, placed at ``placed_at``, and its
    access token. Checks and stock are the caller's (``place_order``)."""
    token = ORDER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    minutes = current_app.config["ORDER_RESERVATION_MINUTES"]
    lines = [_line(storefront, item, quantity, code) for item, quantity in items]
    order = Order(
        storefront_id=storefront.id,
        influencer_id=storefront.influencer_id,
        shopper_user_id=buyer.id if buyer else None,
        email=email.strip().lower(),
        visitor_id=visitor_id,
        access_token_hash=_hash_token(token),
        status=S.PENDING_PAYMENT,
        currency=items[0][0].product.currency,
        total=sum(line.line_total for line in lines),
        discount_code_id=code.id if code else None,
        discount_total=sum(line.discount_amount for line in lines),
        reserved_until=placed_at + timedelta(minutes=minutes),
        created_at=placed_at,
        updated_at=placed_at,
        lines=lines,
    )
    return order, token


def _line(storefront: Storefront, item: StorefrontItem, quantity: int, code) -> OrderLine:
    product = item.product
    subtotal = product.price * quantity
    discount = discounts.discount_for(subtotal, code) if code and code.brand_id == product.brand_id else 0
    return OrderLine(
        product_id=product.id,
        brand_id=product.brand_id,
        storefront_item_id=item.id,
        storefront_id=storefront.id,
        influencer_id=storefront.influencer_id,
        title=product.title,
        sku=product.sku,
        unit_price=product.price,
        currency=product.currency,
        quantity=quantity,
        discount_amount=discount,
        line_total=subtotal - discount,
        commission_bps=product.effective_commission_bps,
        commission_source="product" if product.commission_bps is not None else "brand_default",
    )


def _open_payment(order: Order) -> str:
    """Create the order's PaymentIntent (outside any transaction: it is a network call);
    returns its client secret."""
    try:
        intent = get_gateway().create_payment_intent(
            amount=order.total,
            currency=order.currency,
            idempotency_key=f"order-{order.id}-payment",
            metadata={"order_id": str(order.id)},
        )
    except PaymentProviderError as exc:
        log.warning("payment intent for order %s failed: %s", order.id, exc)
        transition(order, S.CANCELED, "the payment provider could not open a payment", {"error": str(exc)})
        db.session.commit()
        raise PaymentUnavailable("the payment provider is unavailable; nothing was charged, try again") from None
    order.payment_intent_id = intent.id
    db.session.commit()
    return intent.client_secret


# -------------------------------------------------------------- transitions


def log_event(
    order: Order, from_status: OrderStatus | None, to_status: OrderStatus, cause: str, data=None, at: datetime | None = None
) -> None:
    """Append the order's event (at ``at``, or now)."""
    db.session.add(
        OrderEvent(
            order_id=order.id, from_status=from_status, to_status=to_status, cause=cause, data=data or {},
            created_at=at or utcnow(),
        )
    )
    db.session.expire(order, ["events"])  # the next read of order.events includes this one


def transition(order: Order, to_status: OrderStatus, cause: str, data: dict | None = None) -> bool:
    """Move ``order`` to ``to_status`` if nobody moved it first; stock follows the move.

    Returns False when another transaction changed the order's status meanwhile.
    """
    from_status = order.status
    if to_status not in TRANSITIONS[from_status]:
        raise IllegalTransition(f"an order that is {from_status.value} cannot become {to_status.value}")
    moved = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == from_status)
        .values(status=to_status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.refresh(order)
        return False
    order.status = to_status
    if from_status in HOLDS_RESERVATION and to_status != S.PAID:
        for line in order.lines:
            release_stock(line.product_id, line.quantity)
        if order.discount_code_id:
            discounts.give_back(order.discount_code_id)
    if to_status in (S.CANCELED, S.EXPIRED) and order.payment_intent_id:
        # So the shopper can no longer pay it (a payment racing this is still honoured).
        enqueue_after_commit(
            db.session, "workers.jobs.cancel_payment_intent", order.id, job_id=f"order-{order.id}-cancel"
        )
    log_event(order, from_status, to_status, cause, data)
    return True


def record_payment_succeeded(payment_intent_id: str, amount_received: int, cause: str) -> str:
    """Apply a succeeded PaymentIntent to its order, once; returns what happened, for the event log.

    A payment that arrives after the order failed, was canceled or expired is still
    money received: the order becomes paid if its units can be taken again, and is
    otherwise paid and flagged ``needs_refund`` (the units were sold meanwhile).
    """
    order = _order_for_intent(payment_intent_id)
    if order is None:
        return f"ignored: no order has payment intent {payment_intent_id}"
    if S.PAID not in TRANSITIONS[order.status]:
        return f"ignored: order {order.id} is already {order.status.value}"
    if amount_received != order.total:
        log.error("order %s: received %s, expected %s", order.id, amount_received, order.total)
    previous = order.status
    late = previous not in HOLDS_RESERVATION
    if not transition(order, S.PAID, cause if not late else f"{cause}; paid after the order was {previous.value}"):
        return f"ignored: order {order.id} changed meanwhile"
    order.paid_at = utcnow()
    # Follow-ups of a paid order: attribution (then commissions), by a batch job woken after the
    # commit; the reports count the sale at once (organic until its credits are stored).
    request_attribution(order.id)
    mark_reports_stale([order.id])
    if late and order.discount_code_id:
        discounts.use(order.discount_code_id)  # counted again if the limit allows; the money is in
    if not late:
        for line in order.lines:
            take_reserved_stock(line.product_id, line.quantity)
        return f"order {order.id} paid"
    savepoint = db.session.begin_nested()
    if all(take_stock(line.product_id, line.quantity) for line in order.lines):
        savepoint.commit()
        return f"order {order.id} paid after it was {previous.value}; stock taken again"
    savepoint.rollback()
    order.needs_refund = True
    log_event(order, S.PAID, S.PAID, "the units were sold meanwhile: refund required", {"needs_refund": True})
    return f"order {order.id} paid after it was {previous.value} without stock: needs a refund"


def record_payment_failed(payment_intent_id: str, reason: str, cause: str) -> str:
    order = _order_for_intent(payment_intent_id)
    if order is None:
        return f"ignored: no order has payment intent {payment_intent_id}"
    if order.status != S.PENDING_PAYMENT:
        return f"ignored: order {order.id} is already {order.status.value}"
    transition(order, S.PAYMENT_FAILED, cause, {"reason": reason})
    return f"order {order.id} payment failed"


def _order_for_intent(payment_intent_id: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.payment_intent_id == payment_intent_id))


def expire_if_due(order: Order) -> bool:
    """Expire an unpaid order whose reservation has ended, releasing its stock."""
    if order.status in HOLDS_RESERVATION and order.reserved_until <= utcnow():
        return transition(order, S.EXPIRED, "no payment before the reservation ended")
    return False


def expire_due_orders(limit: int = 500) -> int:
    """The periodic sweep: expire every unpaid order past its reservation."""
    due = db.session.scalars(
        select(Order)
        .where(Order.status.in_(HOLDS_RESERVATION), Order.reserved_until <= utcnow())
        .order_by(Order.reserved_until)
        .limit(limit)
    ).all()
    expired = sum(1 for order in due if expire_if_due(order))
    db.session.commit()
    return expired


# -------------------------------------------------------------------- reads


def _visible_to(order: Order, viewer: User | None, token: str | None) -> bool:
    if token and hmac.compare_digest(_hash_token(token), order.access_token_hash):
        return True
    if viewer is None:
        return False
    return viewer.is_admin or order.shopper_user_id == viewer.id


def get_order(order_id: int, viewer: User | None, token: str | None) -> dict[str, Any]:
    """The order as its viewer may see it; brands see only their own lines. Others get a 404."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("order not found")
    if _visible_to(order, viewer, token):
        lines = order.lines
    else:
        lines = [line for line in order.lines if is_member(viewer, line.brand_id)] if viewer else []
        if not lines:
            raise NotFound("order not found")
    if expire_if_due(order):
        db.session.commit()
    return {"order": order, "lines": lines}


def orders_of(user: User) -> Select:
    return select(Order).where(Order.shopper_user_id == user.id).order_by(Order.id.desc())


def orders_of_person(user: User) -> list[Order]:
    """The orders a person placed: signed in as ``user``, or anonymously with the account's email."""
    return list(
        db.session.scalars(
            select(Order)
            .where(or_(Order.shopper_user_id == user.id, Order.email == user.email))
            .order_by(Order.id)
        )
    )


def anonymise_orders_of(user: User, placeholder_domain: str) -> None:
    """Strip a person's data from their orders (the caller commits); lines and amounts stay for the
    books. Each order gets an address of its own (``erased-order-{id}@{placeholder_domain}``), so
    nothing links the orders to each other any more, the reports' shopper keys included."""
    order_ids = db.session.scalars(
        update(Order)
        .where(or_(Order.shopper_user_id == user.id, Order.email == user.email))
        .values(
            email=literal("erased-order-") + cast(Order.id, String) + literal(f"@{placeholder_domain}"),
            shopper_user_id=None, visitor_id=None, updated_at=utcnow(),
        )
        .returning(Order.id)
        .execution_options(synchronize_session=False)
    ).all()
    mark_reports_stale(order_ids)


def brand_orders(user: User, brand_id: int, args: dict[str, Any]) -> Select:
    require_member(user, brand_id)
    query = select(Order).where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.brand_id == brand_id)))
    if status := args.get("status"):
        query = query.where(Order.status == status)
    if since := args.get("from"):
        query = query.where(Order.created_at >= since)
    if until := args.get("to"):
        query = query.where(Order.created_at < until)
    return query.order_by(Order.created_at.desc(), Order.id.desc())



def order_view(order: Order, lines: list[OrderLine]) -> dict[str, Any]:
    """The order for one viewer: a brand sees only its lines, and ``total`` is theirs."""
    whole = len(lines) == len(order.lines)
    view = {column: getattr(order, column) for column in VIEW_FIELDS}
    view.update(lines=lines, events=order.events)
    if not whole:
        view["total"] = sum(line.line_total for line in lines)
        view["discount_total"] = sum(line.discount_amount for line in lines)
        view["refunded_total"] = sum(line.refunded_amount for line in lines)
    return view


VIEW_FIELDS = (
    "id", "status", "storefront_id", "influencer_id", "email", "currency", "total", "discount_code_id",
    "discount_total", "refunded_total",
    "reserved_until", "paid_at", "needs_refund", "payment_intent_id", "created_at",
)


def shoppers_order(order_id: int, viewer: User | None, token: str | None) -> Order:
    """The order, for whoever placed it (its access token or their account); anyone else gets a 404."""
    order = db.session.get(Order, order_id)
    if order is None or not _visible_to(order, viewer, token):
        raise NotFound("order not found")
    return order


def cancel_order(order_id: int, viewer: User | None, token: str | None) -> Order:
    """The shopper gives up an unpaid order: its stock is released and its PaymentIntent canceled."""
    order = shoppers_order(order_id, viewer, token)
    if not transition(order, S.CANCELED, "canceled by the shopper"):
        raise Conflict("the order changed meanwhile; read it again", reason="order_changed")
    db.session.commit()
    return order


def cancel_payment_intent(order_id: int) -> None:
    """Cancel a canceled or expired order's PaymentIntent, so it can no longer be paid."""
    order = db.session.get(Order, order_id)
    if order is None or order.status not in (S.CANCELED, S.EXPIRED) or not order.payment_intent_id:
        return
    intent = get_gateway().retrieve_payment_intent(order.payment_intent_id)
    if intent.status in ("succeeded", "canceled", "processing"):
        return  # a late success is handled by the webhook
    get_gateway().cancel_payment_intent(order.payment_intent_id, idempotency_key=f"order-{order.id}-cancel")
