"""The commission ledger: what each credited order line earns its influencers.

Arithmetic (docs/payments.md has a worked example):

- A sale line earns ``line net amount × credit fraction × rate`` exactly, as a fraction.
  Each influencer of an order line gets the floor of their exact amount; the units the
  floors dropped, up to the floor of the line's exact total, go one each to the largest
  dropped remainders (ties to the lower influencer id). So an order line's commissions,
  and hence an order's, never sum to more than the exact amount, and the split is
  deterministic.
- A refund reverses pro rata to the refunded amount (a quantity refund carries its
  amount): after refunds, a sale line of amount A is reversed in total by
  ``ceil(A × refunded / line net)``, so a full refund brings it to exactly zero and the
  influencer never keeps more than their share of what was kept. Each change appends
  the difference as a new line; nothing is edited.
- Rates, first match wins: the brand's rate for this influencer on this product → for
  this influencer → the product's rate → the brand's default (the last two as they were
  when the order was placed). Each line records its rate and where it came from.

Writes happen under the order's row lock (the attribution job and refunds hold it), and
each function derives what should exist from what does, so running one twice adds nothing.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime, timedelta
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, case, func, or_, select, update

from marketplace.accounts.models import User
from marketplace.attribution.models import AttributionCredit
from marketplace.attribution.rules import PPM
from marketplace.brands.models import Brand
from marketplace.brands.services import get_brand, is_member, require_member
from marketplace.catalog.models import Product
from marketplace.commissions.models import (
    CommissionKind,
    CommissionLine,
    CommissionState,
    InfluencerTerms,
    RateSource,
)
from marketplace.db import db, insert_rows_returning_ids, utcnow
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.influencers.models import InfluencerProfile
from marketplace.influencers.services import require_profile
from marketplace.orders.models import Order, OrderLine
from marketplace.reports.stale import mark_stale as mark_reports_stale
from marketplace.storefronts.models import Storefront, StorefrontItem

S = CommissionState
BPS = 10_000
UNPAID = (S.PENDING, S.APPROVED, S.HELD)


# ---------------------------------------------------------------- rates


class Rates:
    """The brands' terms for some influencers, loaded once; ``of`` applies the precedence above."""

    def __init__(self, brand_ids: set[int], influencer_ids: set[int]):
        terms = db.session.execute(
            select(InfluencerTerms.brand_id, InfluencerTerms.influencer_id, InfluencerTerms.product_id, InfluencerTerms.commission_bps)
            .where(InfluencerTerms.brand_id.in_(brand_ids), InfluencerTerms.influencer_id.in_(influencer_ids))
        ).all() if brand_ids and influencer_ids else []
        self.on_product = {(b, i, p): bps for b, i, p, bps in terms if p is not None}
        self.on_all = {(b, i): bps for b, i, p, bps in terms if p is None}

    def of(self, line: OrderLine, influencer_id: int) -> tuple[int, RateSource]:
        if (line.brand_id, influencer_id, line.product_id) in self.on_product:
            return self.on_product[(line.brand_id, influencer_id, line.product_id)], RateSource.INFLUENCER_PRODUCT
        if (line.brand_id, influencer_id) in self.on_all:
            return self.on_all[(line.brand_id, influencer_id)], RateSource.INFLUENCER
        return line.commission_bps, RateSource(line.commission_source)


def split_line(line_total: int, shares: dict[int, tuple[int, int]]) -> dict[int, int]:
    """Amounts per influencer for ``{influencer: (fraction_ppm, rate_bps)}`` of one line."""
    exact = {who: Fraction(line_total * ppm * bps, PPM * BPS) for who, (ppm, bps) in shares.items()}
    amounts = {who: math.floor(value) for who, value in exact.items()}
    left = math.floor(sum(exact.values(), Fraction(0))) - sum(amounts.values())
    for who in sorted(exact, key=lambda w: (-(exact[w] - amounts[w]), w))[:left]:
        amounts[who] += 1
    return amounts


def refund_reversal(sale_amount: int, refunded: int, line_total: int) -> int:
    """How much of a sale line all refunds so far take back (a non-negative amount)."""
    if line_total <= 0 or refunded <= 0:
        return 0
    return -((-sale_amount * refunded) // line_total)  # ceil without floats


# ---------------------------------------------------------------- writing the ledger


def hold_period(brand: Brand) -> timedelta:
    """The brand's hold, in days (minutes in the demo: ``HOLD_PERIOD_UNIT``)."""
    return timedelta(**{current_app.config["HOLD_PERIOD_UNIT"]: brand.hold_days})


def record_for_orders(orders: list[Order], now: datetime | None = None) -> None:
    """Make each order's sale lines match its attribution credits, then its refunds.

    Called in the attribution transaction (one order, or a batch: the reads are one query
    each for all of them). An order line whose commission was already paid, or is in a
    payout, keeps it (a rebuild never touches paid money); otherwise lines that no longer
    match the credits are canceled and replaced.
    """
    if not orders:
        return
    now = now or utcnow()
    session = db.session
    session.flush()
    order_ids = [order.id for order in orders]
    credits: dict[int, list] = {}
    for row in session.execute(
        select(AttributionCredit.order_id, AttributionCredit.order_line_id, AttributionCredit.influencer_id,
               AttributionCredit.fraction_ppm, AttributionCredit.self_referral)
        .where(AttributionCredit.order_id.in_(order_ids))
    ):
        credits.setdefault(row.order_id, []).append(row)
    brand_ids = {line.brand_id for order in orders for line in order.lines}
    rates = Rates(brand_ids, {c.influencer_id for found in credits.values() for c in found})
    holds = {b.id: hold_period(b) for b in session.scalars(select(Brand).where(Brand.id.in_(brand_ids)))}
    ledger = _lines_by_order(order_ids)
    new_sales: list[CommissionLine] = []
    for order in orders:
        new_sales += _record_sales(order, credits.get(order.id, []), rates, holds, ledger.setdefault(order.id, []), now)
    session.flush()  # the cancellations
    _insert_sales(new_sales)
    for order in orders:
        _reverse_refunds(order, ledger[order.id], now)
    session.flush()


def record_for_order(order: Order, now: datetime | None = None) -> None:
    record_for_orders([order], now)


def _record_sales(
    order: Order, credits: list, rates: Rates, holds: dict, existing: list[CommissionLine], now: datetime
) -> list[CommissionLine]:
    """The sale lines the order's credits call for that do not exist yet (not in the session:
    ``_insert_sales`` writes them in one statement); replaced lines are canceled."""
    new = []
    for line in order.lines:
        line_credits = {c.influencer_id: c for c in credits if c.order_line_id == line.id}
        line_rates = {who: rates.of(line, who) for who in line_credits}
        shares = {who: (c.fraction_ppm, line_rates[who][0]) for who, c in line_credits.items()}
        amounts = split_line(line.line_total, shares)
        live = [c for c in existing if c.order_line_id == line.id and c.kind == CommissionKind.SALE and c.state != S.CANCELED]
        if any(_was_paid(sale, existing) for sale in live):
            continue
        wanted = {(who, amounts[who], shares[who][0], shares[who][1]) for who in line_credits}
        if {(s.influencer_id, s.amount, s.fraction_ppm, s.rate_bps) for s in live} == wanted:
            continue
        for sale in live:
            _cancel_with_reversals(sale, existing, "replaced: the order's attribution was recomputed")
        hold_until = (order.paid_at or order.created_at) + holds[line.brand_id]
        for who, credit in sorted(line_credits.items()):
            bps, source = line_rates[who]
            held = credit.self_referral
            sale = SimpleNamespace(  # written by _insert_sales; an ORM instance costs more than the insert
                id=None,
                payout_id=None,
                reverses_id=None,
                kind=CommissionKind.SALE,
                state=S.HELD if held else (S.APPROVED if hold_until <= now else S.PENDING),
                state_reason="self-referral: the buyer is the influencer" if held else None,
                self_referral=held,
                influencer_id=who,
                brand_id=line.brand_id,
                order_id=order.id,
                order_line_id=line.id,
                currency=line.currency,
                amount=amounts[who],
                basis_amount=line.line_total,
                fraction_ppm=credit.fraction_ppm,
                rate_bps=bps,
                rate_source=source,
                hold_until=hold_until,
            )
            new.append(sale)
            existing.append(sale)
    return new


SALE_COLUMNS = (
    "kind", "state", "state_reason", "self_referral", "influencer_id", "brand_id", "order_id", "order_line_id",
    "currency", "amount", "basis_amount", "fraction_ppm", "rate_bps", "rate_source", "hold_until",
)


def _insert_sales(sales: list[CommissionLine]) -> None:
    """Insert new sale lines with one statement (a batch of orders writes hundreds), then give
    the in-memory lines (never added to the session) their ids, for the refund pass."""
    if not sales:
        return
    now = utcnow()
    rows = [
        {**{name: _plain(getattr(sale, name)) for name in SALE_COLUMNS}, "created_at": now, "updated_at": now}
        for sale in sales
    ]
    for sale, line_id in zip(sales, insert_rows_returning_ids(CommissionLine.__table__, rows), strict=True):
        sale.id, sale.created_at, sale.updated_at = line_id, now, now


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def adjust_for_refunds(order: Order, now: datetime | None = None) -> None:
    """Append the refund lines that bring each sale line to its pro-rata share of what
    was kept (a refund that failed appends the positive line that undoes its reversal)."""
    db.session.flush()
    _reverse_refunds(order, _lines_of(order.id), now or utcnow())
    db.session.flush()


def _reverse_refunds(order: Order, existing: list[CommissionLine], now: datetime) -> None:
    lines = {line.id: line for line in order.lines}
    for sale in list(existing):
        if sale.kind != CommissionKind.SALE or sale.state == S.CANCELED:
            continue
        line = lines[sale.order_line_id]
        target = refund_reversal(sale.amount, line.refunded_amount, line.line_total)
        reversed_so_far = -sum(r.amount for r in existing if r.reverses_id == sale.id and r.state != S.CANCELED)
        if target == reversed_so_far:
            continue
        state, hold_until = (S.APPROVED, now) if sale.state == S.PAID else (sale.state, sale.hold_until)
        reversal = CommissionLine(
            kind=CommissionKind.REFUND,
            state=state,
            state_reason="a refund of the order line" if target > reversed_so_far else "a refund failed: reversal undone",
            self_referral=sale.self_referral,
            influencer_id=sale.influencer_id,
            brand_id=sale.brand_id,
            order_id=sale.order_id,
            order_line_id=sale.order_line_id,
            reverses_id=sale.id,
            currency=sale.currency,
            amount=-(target - reversed_so_far),
            basis_amount=line.refunded_amount,
            fraction_ppm=sale.fraction_ppm,
            rate_bps=sale.rate_bps,
            rate_source=sale.rate_source,
            hold_until=hold_until,
        )
        db.session.add(reversal)
        existing.append(reversal)


def _lines_by_order(order_ids: list[int]) -> dict[int, list[CommissionLine]]:
    ledger: dict[int, list[CommissionLine]] = {}
    for line in db.session.scalars(select(CommissionLine).where(CommissionLine.order_id.in_(order_ids)).order_by(CommissionLine.id)):
        ledger.setdefault(line.order_id, []).append(line)
    return ledger


def _lines_of(order_id: int) -> list[CommissionLine]:
    return list(db.session.scalars(select(CommissionLine).where(CommissionLine.order_id == order_id).order_by(CommissionLine.id)))


def _was_paid(sale: CommissionLine, lines: list[CommissionLine]) -> bool:
    """Paid, or claimed by a payout in flight: such a line and its reversals are never replaced."""
    return any(
        entry.state == S.PAID or entry.payout_id is not None
        for entry in [sale, *(r for r in lines if r.reverses_id == sale.id)]
    )


def _cancel_with_reversals(sale: CommissionLine, lines: list[CommissionLine], reason: str) -> None:
    for entry in [sale, *(r for r in lines if r.reverses_id == sale.id)]:
        if entry.state in UNPAID and entry.payout_id is None:
            entry.state, entry.state_reason = S.CANCELED, reason


def approve_due(now: datetime | None = None) -> int:
    """Approve every pending line whose hold has passed; returns how many. Set-based and idempotent."""
    now = now or utcnow()
    result = db.session.execute(
        update(CommissionLine)
        .where(CommissionLine.state == S.PENDING, CommissionLine.hold_until <= now)
        .values(state=S.APPROVED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


# ---------------------------------------------------------------- review

REVIEW_ACTIONS = {"release": {S.HELD}, "cancel": {S.HELD}, "hold": {S.PENDING, S.APPROVED}}


def review(user: User, line_id: int, action: str, reason: str) -> CommissionLine:
    """A brand member or admin releases or cancels a held sale line, or holds an unpaid one."""
    session = db.session
    sale = session.get(CommissionLine, line_id)
    if sale is None or not (user.is_admin or is_member(user, sale.brand_id)):
        raise NotFound("commission not found")
    order = session.scalar(select(Order).where(Order.id == sale.order_id).with_for_update())  # the ledger's lock
    # and the line's own, against a payout run claiming it meanwhile
    sale = session.scalar(select(CommissionLine).where(CommissionLine.id == line_id).with_for_update().execution_options(populate_existing=True))
    if sale.kind != CommissionKind.SALE:
        raise Conflict("refund lines follow the sale line they reverse", reason="not_a_sale_line")
    if sale.state not in REVIEW_ACTIONS[action] or sale.payout_id is not None:
        raise Conflict(f"a {sale.state.value} commission cannot be {action}d here", reason="invalid_state")
    lines = _lines_of(order.id)
    reason = f"{action} by {'admin' if user.is_admin else 'brand'} {user.id}: {reason}"
    if action == "cancel":
        _cancel_with_reversals(sale, lines, reason)
        mark_reports_stale([order.id])
    else:
        if action == "hold":
            new_state = S.HELD
        else:
            new_state = S.APPROVED if sale.hold_until <= utcnow() else S.PENDING
        for entry in [sale, *(r for r in lines if r.reverses_id == sale.id and r.state == sale.state and r.payout_id is None)]:
            entry.state, entry.state_reason = new_state, reason
    session.commit()
    return sale


# ---------------------------------------------------------------- terms


def get_terms(user: User, brand_id: int, influencer_id: int) -> dict[str, Any]:
    require_member(user, brand_id)
    _influencer(influencer_id)
    return _terms_view(brand_id, influencer_id)


def put_terms(user: User, brand_id: int, influencer_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Replace the brand's rates for one influencer (``commission_bps`` null: none on all products)."""
    require_member(user, brand_id)
    _influencer(influencer_id)
    product_rates = data.get("product_rates", [])
    product_ids = [p["product_id"] for p in product_rates]
    if len(set(product_ids)) != len(product_ids):
        raise Invalid("each product may appear once", errors={"product_rates": ["a product appears twice"]})
    owned = set(db.session.scalars(select(Product.id).where(Product.id.in_(product_ids), Product.brand_id == brand_id)))
    errors = {f"product_rates.{i}.product_id": ["not a product of this brand"] for i, pid in enumerate(product_ids) if pid not in owned}
    if errors:
        raise Invalid("unknown products", errors=errors)
    session = db.session
    session.execute(
        InfluencerTerms.__table__.delete().where(
            InfluencerTerms.brand_id == brand_id, InfluencerTerms.influencer_id == influencer_id
        )
    )
    if data.get("commission_bps") is not None:
        session.add(InfluencerTerms(brand_id=brand_id, influencer_id=influencer_id, commission_bps=data["commission_bps"]))
    for entry in product_rates:
        session.add(InfluencerTerms(brand_id=brand_id, influencer_id=influencer_id, product_id=entry["product_id"],
                                    commission_bps=entry["commission_bps"]))
    session.commit()
    return _terms_view(brand_id, influencer_id)


def brand_influencers(user: User, brand_id: int) -> list[dict[str, Any]]:
    """The influencers a brand works with (they curate its products, or have terms with it),
    each with their terms: the list a brand sets rates from."""
    require_member(user, brand_id)
    curating = (
        select(Storefront.influencer_id)
        .join(StorefrontItem, StorefrontItem.storefront_id == Storefront.id)
        .join(Product, Product.id == StorefrontItem.product_id)
        .where(Product.brand_id == brand_id, StorefrontItem.removed_at.is_(None))
    )
    with_terms = select(InfluencerTerms.influencer_id).where(InfluencerTerms.brand_id == brand_id)
    profiles = db.session.scalars(
        select(InfluencerProfile)
        .where(or_(InfluencerProfile.id.in_(curating), InfluencerProfile.id.in_(with_terms)))
        .order_by(InfluencerProfile.handle)
    )
    return [{"influencer": profile, **_terms_view(brand_id, profile.id)} for profile in profiles]


def _influencer(influencer_id: int) -> InfluencerProfile:
    profile = db.session.get(InfluencerProfile, influencer_id)
    if profile is None:
        raise NotFound("influencer not found")
    return profile


def _terms_view(brand_id: int, influencer_id: int) -> dict[str, Any]:
    terms = db.session.scalars(
        select(InfluencerTerms)
        .where(InfluencerTerms.brand_id == brand_id, InfluencerTerms.influencer_id == influencer_id)
        .order_by(InfluencerTerms.product_id)
    ).all()
    return {
        "brand_id": brand_id,
        "influencer_id": influencer_id,
        "commission_bps": next((t.commission_bps for t in terms if t.product_id is None), None),
        "product_rates": [{"product_id": t.product_id, "commission_bps": t.commission_bps} for t in terms if t.product_id],
        "brand_default_bps": get_brand(brand_id).default_commission_bps,
    }


# ---------------------------------------------------------------- reading


def _filtered(influencer_id: int | None, args: dict[str, Any]) -> list:
    conditions = []
    if influencer_id is not None:
        conditions.append(CommissionLine.influencer_id == influencer_id)
    if args.get("brand_id"):
        conditions.append(CommissionLine.brand_id == args["brand_id"])
    if args.get("since"):
        conditions.append(CommissionLine.created_at >= args["since"])
    if args.get("until"):
        conditions.append(CommissionLine.created_at < args["until"])
    return conditions


def totals(conditions: list) -> list[dict[str, Any]]:
    """Sums per currency and state."""
    rows = db.session.execute(
        select(CommissionLine.currency, CommissionLine.state, func.sum(CommissionLine.amount), func.count())
        .where(*conditions)
        .group_by(CommissionLine.currency, CommissionLine.state)
        .order_by(CommissionLine.currency, CommissionLine.state)
    )
    return [{"currency": c, "state": s, "amount": int(a), "lines": n} for c, s, a, n in rows]


def my_commissions(user: User, args: dict[str, Any]) -> tuple[Select, list[dict[str, Any]]]:
    """The influencer's lines, newest first, and the totals per state of the same filter (all states)."""
    profile = require_profile(user)
    conditions = _filtered(profile.id, args)
    query = select(CommissionLine).where(*conditions)
    if args.get("state"):
        query = query.where(CommissionLine.state == args["state"])
    return query.order_by(CommissionLine.id.desc()), totals(conditions)


def _state_sums() -> list:
    """Columns summing the amounts of the pending, approved, held and paid lines."""
    return [
        func.coalesce(func.sum(case((CommissionLine.state == state, CommissionLine.amount), else_=0)), 0)
        for state in (S.PENDING, S.APPROVED, S.HELD, S.PAID)
    ]


def balance(influencer_id: int) -> list[dict[str, Any]]:
    """Per currency: the sums per state; ``payable`` is the approved net not yet in a
    payout, ``owed`` all that is not paid yet and not held (pending + approved)."""
    in_payout = and_(CommissionLine.state == S.APPROVED, CommissionLine.payout_id.is_not(None))
    rows = db.session.execute(
        select(
            CommissionLine.currency,
            *_state_sums(),
            func.coalesce(func.sum(case((in_payout, CommissionLine.amount), else_=0)), 0),
        )
        .where(CommissionLine.influencer_id == influencer_id, CommissionLine.state != S.CANCELED)
        .group_by(CommissionLine.currency)
        .order_by(CommissionLine.currency)
    )
    return [
        {"currency": currency, "pending": int(pending), "approved": int(approved), "held": int(held), "paid": int(paid),
         "in_payout": int(claimed), "payable": int(approved - claimed), "owed": int(pending + approved)}
        for currency, pending, approved, held, paid, claimed in rows
    ]


def my_balance(user: User) -> list[dict[str, Any]]:
    return balance(require_profile(user).id)


def brand_commissions(user: User, brand_id: int, args: dict[str, Any]) -> list[dict[str, Any]]:
    """What the brand owes each influencer, per currency and state."""
    require_member(user, brand_id)
    conditions = [CommissionLine.brand_id == brand_id, *_filtered(args.get("influencer_id"), args)]
    rows = db.session.execute(
        select(CommissionLine.influencer_id, InfluencerProfile.handle, CommissionLine.currency,
               *_state_sums())
        .join(InfluencerProfile, InfluencerProfile.id == CommissionLine.influencer_id)
        .where(*conditions, CommissionLine.state != S.CANCELED)
        .group_by(CommissionLine.influencer_id, InfluencerProfile.handle, CommissionLine.currency)
        .order_by(CommissionLine.influencer_id, CommissionLine.currency)
    )
    return [
        {"influencer_id": who, "handle": handle, "currency": currency, "pending": int(p), "approved": int(a),
         "held": int(h), "paid": int(paid), "owed": int(p + a + h)}
        for who, handle, currency, p, a, h, paid in rows
    ]


def brand_lines(user: User, brand_id: int, args: dict[str, Any]) -> Select:
    require_member(user, brand_id)
    query = select(CommissionLine).where(CommissionLine.brand_id == brand_id, *_filtered(args.get("influencer_id"), args))
    if args.get("state"):
        query = query.where(CommissionLine.state == args["state"])
    return query.order_by(CommissionLine.id.desc())
