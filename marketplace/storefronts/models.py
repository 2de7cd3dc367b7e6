from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalog.models import Product
from marketplace.db import Base, TimestampMixin
from marketplace.influencers.models import InfluencerProfile


class Storefront(TimestampMixin, Base):
    __tablename__ = "storefronts"

    id: Mapped[int] = mapped_column(primary_key=True)
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencer_profiles.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # An unpublished storefront is a draft: only its owner (and admins) can see it.
    published: Mapped[bool] = mapped_column(default=True)

    influencer: Mapped[InfluencerProfile] = relationship(lazy="joined", innerjoin=True)


class Collection(TimestampMixin, Base):
    """A named list inside a storefront, such as "Holiday gift guide"."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("storefront_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storefront_id: Mapped[int] = mapped_column(ForeignKey("storefronts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)


class StorefrontItem(TimestampMixin, Base):
    """A product curated into a storefront with the influencer's note.

    Removing an item stamps ``removed_at`` instead of deleting the row, because
    share links and orders will point at items.
    """

    __tablename__ = "storefront_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    storefront_id: Mapped[int] = mapped_column(ForeignKey("storefronts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    removed_at: Mapped[datetime | None]

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
