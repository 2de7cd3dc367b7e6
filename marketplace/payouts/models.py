from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, MinorUnits, TimestampMixin, value_enum

ONE_PAYEE = "(influencer_id IS NULL) <> (brand_id IS NULL)"


class PayoutAccount(TimestampMixin, Base):
    """A payee's Stripe Connect Express account, kept current by ``account.updated`` events."""

    __tablename__ = "payout_accounts"
    __table_args__ = (CheckConstraint(ONE_PAYEE, name="one_payee"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    influencer_id: Mapped[int | None] = mapped_column(ForeignKey("influencer_profiles.id"), unique=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(String(255), unique=True)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    transfers_active: Mapped[bool] = mapped_column(default=False)

    @property
    def ready(self) -> bool:
        """Stripe accepts transfers to it and pays them out."""
        return self.details_submitted and self.payouts_enabled and self.transfers_active


class PayoutStatus(str, enum.Enum):
    PROCESSING = "processing"  # lines claimed; the transfer is being (or may have been) made
    PAID = "paid"
    FAILED = "failed"  # Stripe refused; the lines went back to the balance


class Payout(TimestampMixin, Base):
    """One Stripe Transfer to one payee in one currency, covering ledger lines.

    At most one payout per payee and currency is processing at a time (a unique index),
    and its transfer's idempotency key is derived from its id, so a crash, a retry or two
    runs at once can never transfer the same lines twice.
    """

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint(ONE_PAYEE, name="one_payee"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(
            "uq_payouts_processing_influencer", "influencer_id", "currency", unique=True,
            postgresql_where=text("status = 'processing' AND influencer_id IS NOT NULL"),
            sqlite_where=text("status = 'processing' AND influencer_id IS NOT NULL"),
        ),
        Index(
            "uq_payouts_processing_brand", "brand_id", "currency", unique=True,
            postgresql_where=text("status = 'processing' AND brand_id IS NOT NULL"),
            sqlite_where=text("status = 'processing' AND brand_id IS NOT NULL"),
        ),
        Index("ix_payouts_influencer_id", "influencer_id"),
        Index("ix_payouts_brand_id", "brand_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    influencer_id: Mapped[int | None] = mapped_column(ForeignKey("influencer_profiles.id"))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(MinorUnits)
    status: Mapped[PayoutStatus] = mapped_column(value_enum(PayoutStatus, "payout_status", length=12))
    destination: Mapped[str] = mapped_column(String(255))  # the Stripe account paid
    transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    paid_at: Mapped[datetime | None]

    @property
    def transfer_group(self) -> str:
        return f"payout-{self.id}"

    @property
    def idempotency_key(self) -> str:
        return f"payout-{self.id}-transfer"


class SettlementLine(Base):
    """What a brand was paid for one order: the difference between the order's settlement
    (``settlement.order_settlement``) and what earlier lines already paid, so later refunds
    or commission changes settle as new lines, netted in the next transfer."""

    __tablename__ = "settlement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(MinorUnits)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    created_at: Mapped[datetime]
