from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, MinorUnits, TimestampMixin, utcnow, value_enum


class OrderStatus(str, enum.Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    PAYMENT_FAILED = "payment_failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


S = OrderStatus
# The state machine. A payment that succeeds after the order failed, was canceled or
# expired is real money: the order becomes paid if its stock can be taken again
# (see orders.services.record_payment_succeeded and docs/payments.md).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.PAYMENT_FAILED, S.CANCELED, S.EXPIRED}),
    S.PAYMENT_FAILED: frozenset({S.PAID, S.CANCELED}),
    S.CANCELED: frozenset({S.PAID}),
    S.EXPIRED: frozenset({S.PAID}),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.PAID}),
    S.REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.PAID}),
}
# The moves back (refunded -> partially_refunded -> paid) happen only when the provider
# reports that a refund failed: the status always follows the amount actually refunded.
# Only an order waiting for its payment holds reserved stock.
HOLDS_RESERVATION = frozenset({S.PENDING_PAYMENT})


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("refunded_total >= 0 AND refunded_total <= total", name="refunded_within_total"),
        Index("ix_orders_status_reserved_until", "status", "reserved_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    storefront_id: Mapped[int] = mapped_column(ForeignKey("storefronts.id"), index=True)
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"), index=True)
    shopper_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    # The first-party visitor cookie of share links, so attribution can find the clicks.
    visitor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # SHA-256 of the order's access token (anonymous shoppers read their order with it).
    access_token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[OrderStatus] = mapped_column(value_enum(OrderStatus, "order_status"), default=OrderStatus.PENDING_PAYMENT)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(MinorUnits)  # what the shopper pays: the sum of line totals
    discount_code_id: Mapped[int | None] = mapped_column(ForeignKey("discount_codes.id"), index=True)
    discount_total: Mapped[int] = mapped_column(MinorUnits, default=0)
    refunded_total: Mapped[int] = mapped_column(MinorUnits, default=0)
    # Stock stays reserved until then; afterwards the order expires if still unpaid.
    reserved_until: Mapped[datetime]
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    paid_at: Mapped[datetime | None]
    # Paid after its reservation ended, when the units had sold meanwhile.
    needs_refund: Mapped[bool] = mapped_column(default=False)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", lazy="selectin", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(order_by="OrderEvent.id", lazy="selectin", viewonly=True)


class OrderLine(Base):
    """One product in an order, with everything later reports need copied at purchase time."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refunded_quantity_range"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= line_total", name="refunded_amount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    storefront_item_id: Mapped[int] = mapped_column(ForeignKey("storefront_items.id"))
    storefront_id: Mapped[int] = mapped_column(ForeignKey("storefronts.id"))
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"))
    title: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(64))
    unit_price: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int]
    # The discount code's share of this line, so line_total = unit_price × quantity - discount.
    discount_amount: Mapped[int] = mapped_column(MinorUnits, default=0)
    line_total: Mapped[int] = mapped_column(MinorUnits)
    commission_bps: Mapped[int]  # the product's rate, or the brand's default, when ordered
    commission_source: Mapped[str] = mapped_column(String(16), default="brand_default", server_default="brand_default")  # "product" or "brand_default"
    refunded_quantity: Mapped[int] = mapped_column(default=0)
    refunded_amount: Mapped[int] = mapped_column(MinorUnits, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Base):
    """Append-only log of an order's status changes: when, from what, to what, and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[OrderStatus | None] = mapped_column(value_enum(OrderStatus, "order_event_from_status"))
    to_status: Mapped[OrderStatus] = mapped_column(value_enum(OrderStatus, "order_event_to_status"))
    cause: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefundStatus(str, enum.Enum):
    PENDING = "pending"  # asked of the provider, not confirmed yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(TimestampMixin, Base):
    """Money given back for some lines of a paid order, sent to the provider once."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    amount: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(value_enum(RefundStatus, "refund_status", length=16), default=RefundStatus.PENDING)
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)

    lines: Mapped[list[RefundLine]] = relationship(order_by="RefundLine.id", lazy="selectin", cascade="all, delete-orphan")


class RefundLine(Base):
    """How much of one order line a refund gives back: the basis for reversing commissions pro rata."""

    __tablename__ = "refund_lines"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=0)  # units returned; 0 for an amount-only refund
    amount: Mapped[int] = mapped_column(MinorUnits)
