from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.brands.models import Brand
from marketplace.db import Base, MinorUnits, TimestampMixin


class Product(TimestampMixin, Base):
    """A brand's product. Never deleted: orders will point at it; deactivating hides it."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("brand_id", "sku"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= stock", name="reserved_within_stock"),
        CheckConstraint("commission_bps BETWEEN 0 AND 10000", name="commission_bps_range"),
        Index("ix_products_active_created_at", "active", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    image_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    price: Mapped[int] = mapped_column(MinorUnits)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    sku: Mapped[str] = mapped_column(String(64))
    stock: Mapped[int] = mapped_column(default=0)  # units on hand
    # Units held by unpaid orders; they leave `stock` when the order is paid.
    reserved: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Overrides the brand's default rate for this product when set.
    commission_bps: Mapped[int | None]

    brand: Mapped[Brand] = relationship(lazy="joined", innerjoin=True)

    @property
    def available(self) -> int:
        return self.stock - self.reserved

    @property
    def in_stock(self) -> bool:
        return self.available > 0

    @property
    def effective_commission_bps(self) -> int:
        return self.commission_bps if self.commission_bps is not None else self.brand.default_commission_bps
