from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, TimestampMixin, value_enum


class CodeStatus(str, enum.Enum):
    PENDING = "pending"  # proposed by the influencer, waiting for the brand
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class DiscountCode(TimestampMixin, Base):
    """An influencer's code for one brand's products: percent off, once the brand approves it."""

    __tablename__ = "discount_codes"
    __table_args__ = (
        CheckConstraint("percent_off_bps BETWEEN 1 AND 9000", name="percent_off_range"),
        CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name="usage_limit_positive"),
        CheckConstraint("times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)", name="times_used_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # stored upper-case
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"), index=True)
    percent_off_bps: Mapped[int]  # 1 500 = 15 % off; at most 90 %, so an order always costs something
    status: Mapped[CodeStatus] = mapped_column(
        value_enum(CodeStatus, "discount_code_status", length=16), default=CodeStatus.PENDING
    )
    expires_at: Mapped[datetime | None]
    usage_limit: Mapped[int | None]
    # Orders placed with the code and not canceled, expired or failed.
    times_used: Mapped[int] = mapped_column(default=0)
