from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin

SOCIAL_CHANNELS = ("instagram", "tiktok", "youtube", "twitter", "facebook", "pinterest", "blog", "newsletter", "other")


class InfluencerProfile(TimestampMixin, Base):
    __tablename__ = "influencer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    handle: Mapped[str] = mapped_column(String(40), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(120))
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_url: Mapped[str | None] = mapped_column(String(2048))

    socials: Mapped[list[SocialProfile]] = relationship(
        cascade="all, delete-orphan", order_by="SocialProfile.position", lazy="selectin"
    )


class SocialProfile(Base):
    """An influencer's account elsewhere; the follower count is as the influencer states it."""

    __tablename__ = "social_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(2048))
    followers: Mapped[int | None]
