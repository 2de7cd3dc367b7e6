"""Payouts: Stripe Connect accounts, and transfers of what influencers and brands are owed.

A run pays each payee whose net approved balance in a currency reaches the minimum
(``PAYOUT_MINIMUM``, in major units: 10 means 10.00) and whose account is ready, one
Stripe Transfer per payee and currency. Exactly once, in three steps:

1. **Claim** (one transaction, under the payee's account row lock): create the payout
   as ``processing`` and point the covered lines at it. A unique index allows one
   processing payout per payee and currency, so two runs at once cannot both claim.
2. **Transfer**, with the idempotency key ``payout-<id>-transfer`` and the transfer
   group ``payout-<id>``.
3. **Record** (one transaction): the payout ``paid`` and its commission lines ``paid``;
   or, if Stripe refused, the payout ``failed`` with the reason and its lines back in
   the balance for the next run.

If the outcome is unknown (a crash after step 2, a timeout, a 5xx), the payout stays
``processing``; every run first resumes those: it looks the transfer up by its group and
otherwise repeats the call with the same key. Nothing is ever sent twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.brands.services import require_owner
from marketplace.commissions.models import CommissionLine, CommissionState
from marketplace.commissions.services import balance
from marketplace.db import db, utcnow
from marketplace.errors import DomainError, NotFound
from marketplace.influencers.services import require_profile
from marketplace.money import from_major
from marketplace.orders.models import OrderLine
from marketplace.payments.gateway import PaymentProviderError, Transfer, connected_account, get_gateway
from marketplace.payouts import settlement
from marketplace.payouts.models import Payout, PayoutAccount, PayoutStatus, SettlementLine
from marketplace.urls import public_base_url

log = logging.getLogger(__name__)


class ProviderUnavailable(DomainError):
    status_code = 502
    reason = "payment_provider_unavailable"


# ---------------------------------------------------------------- Connect accounts


def connect_influencer(user: User) -> tuple[PayoutAccount, str]:
    """The influencer's Express account (created once) and a fresh onboarding link."""
    profile = require_profile(user)
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.influencer_id == profile.id))
    return _connect(account, PayoutAccount(influencer_id=profile.id), user.email, f"influencer-{profile.id}")


def connect_brand(user: User, brand_id: int) -> tuple[PayoutAccount, str]:
    require_owner(user, brand_id)
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.brand_id == brand_id))
    return _connect(account, PayoutAccount(brand_id=brand_id), user.email, f"brand-{brand_id}")


def _connect(account: PayoutAccount | None, new: PayoutAccount, email: str, payee: str) -> tuple[PayoutAccount, str]:
    gateway = get_gateway()
    try:
        if account is None:
            # The key makes a retried request (or two at once) create one Stripe account.
            created = gateway.create_connected_account(
                email=email, idempotency_key=f"payout-account-{payee}", metadata={"payee": payee}
            )
            account = new
            account.stripe_account_id = created.id
            _apply_readiness(account, created)
            db.session.add(account)
            try:
                db.session.commit()
            except IntegrityError:  # the same request twice at once: the other stored it
                db.session.rollback()
                account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.stripe_account_id == created.id))
        base = public_base_url()
        url = gateway.create_account_link(
            account.stripe_account_id, refresh_url=f"{base}/dashboard/payouts?refresh=1", return_url=f"{base}/dashboard/payouts"
        )
    except PaymentProviderError as exc:
        log.warning("connect account for %s failed: %s", payee, exc)
        raise ProviderUnavailable("the payment provider could not set up the payout account; try again") from None
    return account, url


def _apply_readiness(account: PayoutAccount, state) -> None:
    account.details_submitted = state.details_submitted
    account.payouts_enabled = state.payouts_enabled
    account.transfers_active = state.transfers_active


def my_account(user: User) -> PayoutAccount:
    profile = require_profile(user)
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.influencer_id == profile.id))
    if account is None:
        raise NotFound("no payout account yet: POST /api/v1/me/payout-account")
    return account


def record_account_update(obj: dict[str, Any]) -> str:
    """Apply an ``account.updated`` event: the account's readiness as Stripe now sees it."""
    state = connected_account(obj)
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.stripe_account_id == state.id))
    if account is None:
        return f"ignored: no payout account {state.id}"
    _apply_readiness(account, state)
    return f"payout account {state.id} {'ready' if account.ready else 'not ready'}"


# ---------------------------------------------------------------- the run


# The daily run (workers/cron.py schedules it at this UTC time).
RUN_AT = time(6, 30)


def next_run(now: datetime | None = None) -> datetime:
    now = (now or utcnow()).astimezone(timezone.utc)
    today = datetime.combine(now.date(), RUN_AT, tzinfo=timezone.utc)
    return today if now < today else today + timedelta(days=1)


def next_payout(user: User, now: datetime | None = None) -> dict[str, Any]:
    """What the influencer's next run would send, per currency: the approved balance not yet in a
    payout, if it reaches the minimum and their payout account is ready."""
    profile = require_profile(user)
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.influencer_id == profile.id))
    minimum = current_app.config["PAYOUT_MINIMUM"]
    return {
        "at": next_run(now),
        "account_ready": bool(account and account.ready),
        "currencies": [
            {"currency": row["currency"], "amount": row["payable"], "minimum": from_major(minimum, row["currency"]),
             "sent": bool(account and account.ready) and row["payable"] >= from_major(minimum, row["currency"])}
            for row in balance(profile.id) if row["payable"] > 0
        ],
    }


def run_payouts(now: datetime | None = None) -> dict[str, int]:
    """Pay influencers' commissions and brands' settlements. Safe to run at any time, twice, or at once."""
    now = now or utcnow()
    counts = {"paid": 0, "failed": 0, "unknown": 0, "no_ready_account": 0, "below_minimum": 0}
    for payout_id in db.session.scalars(select(Payout.id).where(Payout.status == PayoutStatus.PROCESSING).order_by(Payout.id)).all():
        counts[_transfer(payout_id, look_up_first=True)] += 1  # resumed: found by group, or same key
    db.session.rollback()

    accounts = {
        (a.influencer_id, a.brand_id): a
        for a in db.session.scalars(select(PayoutAccount))
    }
    balances = db.session.execute(
        select(CommissionLine.influencer_id, CommissionLine.currency, func.sum(CommissionLine.amount))
        .where(CommissionLine.state == CommissionState.APPROVED, CommissionLine.payout_id.is_(None))
        .group_by(CommissionLine.influencer_id, CommissionLine.currency)
        .order_by(CommissionLine.influencer_id, CommissionLine.currency)
    ).all()
    for influencer_id, currency, amount in balances:
        account = accounts.get((influencer_id, None))
        outcome = _pay(account, currency, int(amount), _claim_commissions)
        counts[outcome] += 1

    for brand_id, currency in _brand_currencies():
        due = settlement.outstanding_for(brand_id, currency, now)
        if due:
            outcome = _pay(accounts.get((None, brand_id)), currency, sum(a for _, a in due),
                           lambda payout: _claim_settlements(payout, now))
            counts[outcome] += 1
    db.session.rollback()
    log.info("payout run: %s", counts, extra={"job": "run_payouts", **counts})
    return counts


def _brand_currencies() -> list[tuple[int, str]]:
    return db.session.execute(select(OrderLine.brand_id, OrderLine.currency).distinct().order_by(OrderLine.brand_id, OrderLine.currency)).all()


def _pay(account: PayoutAccount | None, currency: str, amount: int, claim) -> str:
    if account is None or not account.ready:
        return "no_ready_account"
    if amount < from_major(current_app.config["PAYOUT_MINIMUM"], currency):
        return "below_minimum"
    payout_id = _claim(account, currency, claim)
    if payout_id is None:
        return "below_minimum"
    return _transfer(payout_id)


def _claim(account: PayoutAccount, currency: str, claim) -> int | None:
    """Step 1. Returns the new payout's id, or None if there is nothing (left) to pay."""
    session = db.session
    session.rollback()
    session.scalar(select(PayoutAccount).where(PayoutAccount.id == account.id).with_for_update())  # one claimer per payee
    payout = Payout(  # the amount is known once the lines are claimed, which needs the id
        influencer_id=account.influencer_id, brand_id=account.brand_id, currency=currency, amount=1,
        status=PayoutStatus.PROCESSING, destination=account.stripe_account_id,
    )
    session.add(payout)
    try:
        session.flush()  # the unique index refuses a second processing payout for this payee
        payout.amount = claim(payout)
        if payout.amount < from_major(current_app.config["PAYOUT_MINIMUM"], currency):
            session.rollback()
            return None
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return payout.id


def _claim_commissions(payout: Payout) -> int:
    lines = db.session.scalars(
        select(CommissionLine)
        .where(
            CommissionLine.influencer_id == payout.influencer_id,
            CommissionLine.currency == payout.currency,
            CommissionLine.state == CommissionState.APPROVED,
            CommissionLine.payout_id.is_(None),
        )
        .with_for_update()
    ).all()
    for line in lines:
        line.payout_id = payout.id
    return sum(line.amount for line in lines)


def _claim_settlements(payout: Payout, now: datetime) -> int:
    due = settlement.outstanding_for(payout.brand_id, payout.currency, now)  # recomputed under the lock
    db.session.add_all(
        SettlementLine(brand_id=payout.brand_id, order_id=order_id, currency=payout.currency, amount=amount,
                       payout_id=payout.id, created_at=utcnow())
        for order_id, amount in due
    )
    return sum(amount for _, amount in due)


def _transfer(payout_id: int, look_up_first: bool = False) -> str:
    """Steps 2 and 3; returns "paid", "failed" or "unknown"."""
    payout = db.session.get(Payout, payout_id)
    gateway = get_gateway()
    try:
        found = gateway.find_transfer(payout.transfer_group) if look_up_first else None
    except PaymentProviderError as exc:
        log.warning("payout %s: could not look its transfer up, resumed next run: %s", payout.id, exc)
        db.session.rollback()
        return "unknown"
    try:
        transfer = found or gateway.create_transfer(
            amount=payout.amount,
            currency=payout.currency,
            destination=payout.destination,
            transfer_group=payout.transfer_group,
            idempotency_key=payout.idempotency_key,
            metadata=_metadata(payout),
        )
    except PaymentProviderError as exc:
        if not exc.definitive:
            log.warning("payout %s: outcome unknown, resumed next run: %s", payout.id, exc)
            db.session.rollback()
            return "unknown"
        _record_failure(payout.id, str(exc))
        return "failed"
    _record_success(payout.id, transfer)
    return "paid"


def _metadata(payout: Payout) -> dict[str, str]:
    """The payee and the orders the transfer pays for (Stripe keeps 500 characters a value)."""
    if payout.influencer_id:
        payee = {"influencer_id": str(payout.influencer_id)}
        orders = select(CommissionLine.order_id).where(CommissionLine.payout_id == payout.id)
    else:
        payee = {"brand_id": str(payout.brand_id)}
        orders = select(SettlementLine.order_id).where(SettlementLine.payout_id == payout.id)
    order_ids = ",".join(str(i) for i in db.session.scalars(orders.distinct().order_by(orders.selected_columns[0])))
    if len(order_ids) > 500:
        order_ids = order_ids[:order_ids.rfind(",", 0, 497)] + ",…"
    return {"payout_id": str(payout.id), **payee, "order_ids": order_ids}


def _locked(payout_id: int) -> Payout | None:
    payout = db.session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update())
    return payout if payout is not None and payout.status == PayoutStatus.PROCESSING else None


def _record_success(payout_id: int, transfer: Transfer) -> None:
    session = db.session
    session.rollback()
    payout = _locked(payout_id)
    if payout is None:  # another run recorded it
        session.rollback()
        return
    payout.status, payout.transfer_id, payout.paid_at = PayoutStatus.PAID, transfer.id, utcnow()
    session.execute(
        update(CommissionLine)
        .where(CommissionLine.payout_id == payout.id)
        .values(state=CommissionState.PAID, updated_at=payout.paid_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.info("payout %s paid: %s %s by transfer %s", payout.id, payout.amount, payout.currency, transfer.id)


def _record_failure(payout_id: int, reason: str) -> None:
    session = db.session
    session.rollback()
    payout = _locked(payout_id)
    if payout is None:
        session.rollback()
        return
    payout.status, payout.failure_reason = PayoutStatus.FAILED, reason[:500]
    session.execute(
        update(CommissionLine)
        .where(CommissionLine.payout_id == payout.id)
        .values(payout_id=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.warning("payout %s failed: %s", payout.id, reason)


# ---------------------------------------------------------------- reading


def payouts_of(user: User) -> Select:
    profile = require_profile(user)
    return select(Payout).where(Payout.influencer_id == profile.id).order_by(Payout.id.desc())


def all_payouts(args: dict[str, Any]) -> Select:
    query = select(Payout)
    if args.get("status"):
        query = query.where(Payout.status == args["status"])
    if args.get("influencer_id"):
        query = query.where(Payout.influencer_id == args["influencer_id"])
    if args.get("brand_id"):
        query = query.where(Payout.brand_id == args["brand_id"])
    return query.order_by(Payout.id.desc())


def with_lines(payouts: list[Payout]) -> list[dict[str, Any]]:
    """Each payout with the commission or settlement lines it covered."""
    ids = [p.id for p in payouts]
    commission_lines = db.session.scalars(select(CommissionLine).where(CommissionLine.payout_id.in_(ids)).order_by(CommissionLine.id)).all()
    settlement_lines = db.session.scalars(select(SettlementLine).where(SettlementLine.payout_id.in_(ids)).order_by(SettlementLine.id)).all()
    return [
        {
            "payout": payout,
            "commission_lines": [line for line in commission_lines if line.payout_id == payout.id],
            "settlement_lines": [line for line in settlement_lines if line.payout_id == payout.id],
        }
        for payout in payouts
    ]
