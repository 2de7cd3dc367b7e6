"""RQ job functions: thin wrappers that call domain services. Pass ids, never ORM objects."""

from __future__ import annotations

import logging

from marketplace.accounts.services import prune_auth_sessions
from marketplace.attribution.services import attribute_order as attribute
from marketplace.attribution.services import attribute_pending
from marketplace.commissions.services import approve_due
from marketplace.links.clicks import drain_clicks as drain
from marketplace.orders.services import cancel_payment_intent as cancel_order_payment
from marketplace.orders.services import expire_due_orders
from marketplace.payments.services import process_event, reconcile
from marketplace.payouts.services import run_payouts as pay
from marketplace.reports.rollups import refresh_stale
from marketplace.reports.rollups import roll_up_clicks as roll_up

log = logging.getLogger(__name__)


def prune_tokens() -> int:
    """Delete bearer tokens that expired or were revoked long ago (idempotent)."""
    count = prune_auth_sessions()
    log.info("pruned %d auth sessions", count, extra={"job": "prune_tokens", "count": count})
    return count


def process_stripe_event(event_id: str) -> str | None:
    """Apply one stored Stripe event to its order (exactly once, however often it runs)."""
    return process_event(event_id)


def expire_orders() -> int:
    """Release the stock of unpaid orders whose reservation has ended."""
    return expire_due_orders()


def cancel_payment_intent(order_id: int) -> None:
    """Cancel the PaymentIntent of a canceled or expired order at the provider."""
    cancel_order_payment(order_id)


def reconcile_payments() -> dict[str, int]:
    """Apply payments whose webhook never arrived."""
    return reconcile()


def attribute_pending_orders() -> str:
    """Credit the paid orders waiting for it, in batches (woken by each payment; coalesced)."""
    return attribute_pending()


def attribute_order(order_id: int) -> str:
    """Credit one paid order's lines (an order whose batch failed, or one queued by hand)."""
    return attribute(order_id)


def drain_clicks() -> int:
    """Move buffered clicks from Redis into the database, in batches."""
    return drain()


def approve_commissions() -> int:
    """Approve the commissions whose hold period has passed."""
    return approve_due()


def run_payouts() -> dict[str, int]:
    """Transfer what influencers and brands are owed (exactly once; resumes unfinished payouts)."""
    return pay()


def refresh_reports() -> int:
    """Rebuild the report rows of the orders that changed (woken by each change; coalesced)."""
    return refresh_stale()


def roll_up_clicks() -> int:
    """Add the newly stored clicks to the hourly click rollup."""
    return roll_up()
