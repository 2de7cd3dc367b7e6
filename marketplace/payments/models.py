from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, utcnow


class StripeEvent(Base):
    """A verified webhook event, stored once under Stripe's id; processed once by a job."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    # What processing did, for people reading the log ("order 12 paid", "ignored: ...").
    outcome: Mapped[str | None] = mapped_column(String(500))
