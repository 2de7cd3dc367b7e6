from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, utcnow


class OrderAttribution(Base):
    """That an order was attributed, when, and under which model (one row per order)."""

    __tablename__ = "order_attributions"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(20))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(String(200))


class AttributionCredit(Base):
    """A share of one order line credited to one influencer, with why: the rule that won,
    the model and window, and the touchpoints (clicks or discount code) it rests on.
    A line with no credits is organic."""

    __tablename__ = "attribution_credits"
    __table_args__ = (
        UniqueConstraint("order_line_id", "influencer_id"),
        CheckConstraint("fraction_ppm > 0 AND fraction_ppm <= 1000000", name="fraction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"), index=True)
    fraction_ppm: Mapped[int]  # parts per million of the line; a line's credits sum to 1 000 000
    rule: Mapped[str] = mapped_column(String(20))  # "discount_code" or the model's name
    model: Mapped[str] = mapped_column(String(20))
    window_days: Mapped[int]
    touchpoints: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The buyer is the influencer (same account or email): the commission is held for review.
    self_referral: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
