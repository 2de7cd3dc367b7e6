from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, TimestampMixin, utcnow, value_enum


class Role(str, enum.Enum):
    SHOPPER = "shopper"
    INFLUENCER = "influencer"
    BRAND = "brand"
    ADMIN = "admin"  # created only by `flask create-admin`


SIGNUP_ROLES = (Role.SHOPPER.value, Role.INFLUENCER.value, Role.BRAND.value)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index makes emails unique case-insensitively.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role, "user_role", length=16))
    is_active: Mapped[bool] = mapped_column(default=True)
    # A shopper's consent to be named (by email) to the influencers who brought them; off by default.
    share_with_influencers: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AuthSession(Base):
    """One issued bearer token; revoking it (logout) ends the token before it expires."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
