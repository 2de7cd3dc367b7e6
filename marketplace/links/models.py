from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, utcnow

CHANNELS = ("twitter", "facebook", "instagram", "tiktok", "youtube", "pinterest", "blog", "email", "sms", "other")


class ShareLink(Base):
    """A tracked short link to a storefront, one of its collections, or one curated item.

    A re-share is a link made by someone who arrived through another link: it points at
    the same target, keeps the originating influencer (who keeps the credit) and records
    its parent, so chains influencer → shopper → friend are known.
    """

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    storefront_id: Mapped[int] = mapped_column(ForeignKey("storefronts.id"), index=True)
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="SET NULL"))
    storefront_item_id: Mapped[int | None] = mapped_column(ForeignKey("storefront_items.id"))
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_visitor: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id"), index=True)
    depth: Mapped[int] = mapped_column(default=0)  # 0: the influencer's own link
    channel: Mapped[str] = mapped_column(String(16))
    campaign: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Click(Base):
    """One visit through a share link. No raw IP address: a salted hash that rotates daily."""

    __tablename__ = "clicks"
    __table_args__ = (
        Index("ix_clicks_visitor_id_occurred_at", "visitor_id", "occurred_at"),
        # The drain's repeat lookup by address (the same address hash and browser on the same
        # link, within the hour); its link_id prefix also serves per-link counts.
        Index("ix_clicks_link_id_ip_hash_browser_occurred_at", "link_id", "ip_hash", "browser", "occurred_at"),
        Index("ix_clicks_occurred_at", "occurred_at"),  # reports: the clicks of a period's partial days
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # drawn on the redirect: a re-stored batch adds nothing
    link_id: Mapped[int] = mapped_column()  # share_links.id; no foreign key (migration 969b71324b9d)
    visitor_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    referrer_host: Mapped[str | None] = mapped_column(String(255))
    device: Mapped[str] = mapped_column(String(16))  # mobile, tablet, desktop, bot
    browser: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(32))
    is_bot: Mapped[bool] = mapped_column(default=False)
    # False for bots and for repeats within the hour: what reports and attribution count.
    counted: Mapped[bool] = mapped_column(default=True)
