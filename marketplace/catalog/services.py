"""The brand catalog: products that influencers curate and shoppers buy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select, update

from marketplace.accounts.models import User
from marketplace.brands.services import get_brand, is_member, require_member
from marketplace.catalog.models import Product
from marketplace.db import commit_or_raise, db
from marketplace.errors import Conflict, NotFound

SORTS = {
    "newest": (Product.created_at.desc(), Product.id.desc()),
    "oldest": (Product.created_at.asc(), Product.id.asc()),
    "price": (Product.price.asc(), Product.id.asc()),
    "-price": (Product.price.desc(), Product.id.desc()),
    "title": (Product.title.asc(), Product.id.asc()),
}


def _commit_product() -> None:
    commit_or_raise(
        Conflict("this brand already has a product with this SKU", reason="sku_taken", errors={"sku": ["already used"]})
    )


def create_product(user: User, brand_id: int, data: dict[str, Any]) -> Product:
    require_member(user, brand_id)
    product = Product(brand_id=brand_id, **data)
    db.session.add(product)
    _commit_product()
    return product


def get_product(product_id: int, viewer: User | None = None) -> Product:
    """A product; an inactive one only for its brand's members and admins (else 404)."""
    product = db.session.get(Product, product_id)
    if product is None or (not product.active and not is_member(viewer, product.brand_id)):
        raise NotFound("product not found")
    return product


def _product_for_change(user: User, product_id: int) -> Product:
    product = get_product(product_id, user)
    require_member(user, product.brand_id)
    return product


def update_product(user: User, product_id: int, changes: dict[str, Any]) -> Product:
    product = _product_for_change(user, product_id)
    if changes.get("stock", product.stock) < product.reserved:
        raise Conflict(
            f"{product.reserved} units are reserved by unpaid orders",
            reason="stock_reserved",
            errors={"stock": [f"must be at least {product.reserved} (reserved)"]},
        )
    for key, value in changes.items():
        setattr(product, key, value)
    _commit_product()
    return product


def deactivate_product(user: User, product_id: int) -> None:
    product = _product_for_change(user, product_id)
    product.active = False
    db.session.commit()


def search_products(args: dict[str, Any], viewer: User | None = None) -> Select:
    """The catalog query for ``GET /products`` and ``GET /brands/{id}/products``.

    Inactive products appear only when a brand's member lists that brand's products.
    """
    query = select(Product)
    brand_id = args.get("brand")
    if brand_id is not None:
        query = query.where(Product.brand_id == brand_id)
    show_inactive = brand_id is not None and args.get("include_inactive") and is_member(viewer, brand_id)
    if not show_inactive:
        query = query.where(Product.active.is_(True))
    if text := args.get("q"):
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Product.title.ilike(pattern, escape="\\"),
                Product.description.ilike(pattern, escape="\\"),
                Product.sku.ilike(pattern, escape="\\"),
            )
        )
    if currency := args.get("currency"):
        query = query.where(Product.currency == currency)
    if (min_price := args.get("min_price")) is not None:
        query = query.where(Product.price >= min_price)
    if (max_price := args.get("max_price")) is not None:
        query = query.where(Product.price <= max_price)
    if args.get("in_stock") is True:
        query = query.where(Product.stock > Product.reserved)
    elif args.get("in_stock") is False:
        query = query.where(Product.stock <= Product.reserved)
    return query.order_by(*SORTS[args.get("sort", "newest")])


def list_brand_products(brand_id: int, args: dict[str, Any], viewer: User | None) -> Select:
    get_brand(brand_id)
    return search_products({**args, "brand": brand_id}, viewer)


# -------------------------------------------------------------------- stock
# Each change is one conditional UPDATE, so concurrent orders can never take more
# than is there: the database row lock decides who gets the last unit.


def reserve_stock(product_id: int, quantity: int) -> bool:
    """Hold ``quantity`` units for an unpaid order; False if not that many are available."""
    result = db.session.execute(
        update(Product)
        .where(Product.id == product_id, Product.active.is_(True), Product.stock - Product.reserved >= quantity)
        .values(reserved=Product.reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_stock(product_id: int, quantity: int) -> None:
    """Give back units held by an order that will not be paid."""
    db.session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(reserved=Product.reserved - quantity)
        .execution_options(synchronize_session=False)
    )


def take_reserved_stock(product_id: int, quantity: int) -> None:
    """A paid order's held units leave the shelf."""
    db.session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(stock=Product.stock - quantity, reserved=Product.reserved - quantity)
        .execution_options(synchronize_session=False)
    )


def take_stock(product_id: int, quantity: int) -> bool:
    """Units for a payment that arrived after its reservation ended; False if they are gone."""
    result = db.session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock - Product.reserved >= quantity)
        .values(stock=Product.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
