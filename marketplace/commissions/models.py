from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, MinorUnits, TimestampMixin, value_enum


class CommissionState(str, enum.Enum):
    PENDING = "pending"  # within the brand's hold period, counted from payment
    APPROVED = "approved"  # hold passed: payable in the next payout run
    HELD = "held"  # flagged for review (self-referral, suspected fraud)
    PAID = "paid"  # covered by a payout that succeeded
    CANCELED = "canceled"  # never to be paid (review, or replaced when attribution was rebuilt)


class CommissionKind(str, enum.Enum):
    SALE = "sale"  # earned on a credited order line
    REFUND = "refund"  # the pro-rata reversal of a sale line when its order line is refunded


class RateSource(str, enum.Enum):
    """Where a line's rate came from, in order of precedence."""

    INFLUENCER_PRODUCT = "influencer_product"  # the brand's rate for this influencer on this product
    INFLUENCER = "influencer"  # the brand's rate for this influencer
    PRODUCT = "product"  # the product's own rate
    BRAND_DEFAULT = "brand_default"


class InfluencerTerms(TimestampMixin, Base):
    """A rate a brand sets for one influencer: on one product, or on all its products (product NULL)."""

    __tablename__ = "influencer_terms"
    __table_args__ = (
        CheckConstraint("commission_bps BETWEEN 0 AND 10000", name="commission_bps_range"),
        Index(
            "uq_influencer_terms_brand_influencer", "brand_id", "influencer_id",
            unique=True, postgresql_where=text("product_id IS NULL"), sqlite_where=text("product_id IS NULL"),
        ),
        Index("uq_influencer_terms_brand_influencer_product", "brand_id", "influencer_id", "product_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    commission_bps: Mapped[int]


class CommissionLine(TimestampMixin, Base):
    """One entry of the append-only commission ledger.

    Amounts never change once written. A sale line is ``line net × fraction × rate``; a
    refund line reverses part of one sale line (negative; positive if a refund failed and
    the reversal is undone). Only the state moves: pending → approved → paid, or held →
    pending/approved/canceled by review.
    """

    __tablename__ = "commission_lines"
    __table_args__ = (
        CheckConstraint("kind <> 'sale' OR amount >= 0", name="sale_not_negative"),
        CheckConstraint("kind <> 'refund' OR reverses_id IS NOT NULL", name="refund_reverses_a_sale"),
        # One live sale line per order line and influencer: a rebuild cancels before it replaces.
        Index(
            "uq_commission_lines_live_sale", "order_line_id", "influencer_id", unique=True,
            postgresql_where=text("kind = 'sale' AND state <> 'canceled'"),
            sqlite_where=text("kind = 'sale' AND state <> 'canceled'"),
        ),
        Index("ix_commission_lines_state_hold_until", "state", "hold_until"),
        Index("ix_commission_lines_influencer_state", "influencer_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CommissionKind] = mapped_column(value_enum(CommissionKind, "commission_kind", length=8))
    state: Mapped[CommissionState] = mapped_column(value_enum(CommissionState, "commission_state", length=10))
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("commission_lines.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(MinorUnits)
    # How the amount was computed: basis (the line's net amount, or the refunded amount)
    # × fraction (ppm of the line credited to the influencer) × rate (bps, with its source).
    basis_amount: Mapped[int] = mapped_column(MinorUnits)
    fraction_ppm: Mapped[int]
    rate_bps: Mapped[int]
    rate_source: Mapped[RateSource] = mapped_column(value_enum(RateSource, "commission_rate_source", length=20))
    hold_until: Mapped[datetime]
    state_reason: Mapped[str | None] = mapped_column(String(500))
    self_referral: Mapped[bool] = mapped_column(default=False)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
