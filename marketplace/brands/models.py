from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, utcnow


class Brand(TimestampMixin, Base):
    __tablename__ = "brands"
    __table_args__ = (
        CheckConstraint("default_commission_bps BETWEEN 0 AND 10000", name="commission_bps_range"),
        CheckConstraint("attribution_window_days BETWEEN 1 AND 365", name="attribution_window_range"),
        CheckConstraint("hold_days BETWEEN 0 AND 365", name="hold_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    website: Mapped[str | None] = mapped_column(String(2048))
    # Commission rates are basis points: 1 500 bps = 15 %.
    default_commission_bps: Mapped[int]
    attribution_window_days: Mapped[int] = mapped_column(default=30)
    # Days a commission stays pending after payment: the brand's return window.
    hold_days: Mapped[int] = mapped_column(default=30)

    members: Mapped[list[BrandMember]] = relationship(cascade="all, delete-orphan")


class BrandMember(Base):
    __tablename__ = "brand_members"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")  # "owner" or "member"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
