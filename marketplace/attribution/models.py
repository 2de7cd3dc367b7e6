from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, utcnow


class AttributionRequest(Base):
    """A paid order waiting for its attribution. Written in the transaction that marks the order
    paid; deleted in the one that stores its credits (or hands it to a single-order job), so a
    rolled back or crashed attribution leaves it here to be claimed again."""

    __tablename__ = "attribution_requests"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderAttribution(Base):
    """That an order was attributed, when, and under which model (one row per order)."""

    __tablename__ = "order_attributions"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(20))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(String(200))


class AttributionCredit(Base):
    """A share of one order line credited to one influencer, with why: the rule that won,
    the model and window, and what it rests on (the discount code, or its touchpoints).
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
    discount_code_id: Mapped[int | None] = mapped_column(ForeignKey("discount_codes.id"))
    # The buyer is the influencer (same account or email): the commission is held for review.
    self_referral: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    touchpoints: Mapped[list[AttributionTouchpoint]] = relationship(
        order_by="AttributionTouchpoint.clicked_at", lazy="selectin", cascade="all, delete-orphan"
    )


class AttributionTouchpoint(Base):
    """A click a credit rests on, and its own share of the line (what its link earned)."""

    __tablename__ = "attribution_touchpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("attribution_credits.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id"), index=True)
    clicked_at: Mapped[datetime]
    weight_ppm: Mapped[int]  # parts per million of the line; 0 for a click the model gave nothing


class AttributionShare(Base):
    """What each of the five models gives one order line, per influencer and link, in parts per
    million (each model's column sums to 1 000 000 over a credited line's rows; an organic line
    has none). Written with the credits, from the same touchpoints, so reports can show any
    period under any model without recomputing it. A discount code's row has no link and the
    whole line under every model (code beats cookie)."""

    __tablename__ = "attribution_shares"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id"))
    last_click_ppm: Mapped[int]
    first_click_ppm: Mapped[int]
    linear_ppm: Mapped[int]
    time_decay_ppm: Mapped[int]
    position_based_ppm: Mapped[int]
