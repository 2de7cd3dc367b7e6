"""Storefronts: an influencer's curated shop of products, in collections, with notes.

Items and collections are kept in order by ``position`` (0, 1, 2, ... within
their list); inserting or moving one renumbers its list so positions stay
contiguous.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import contains_eager

from marketplace.accounts.models import User
from marketplace.catalog.models import Product
from marketplace.db import commit_or_raise, db, utcnow
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.influencers.models import InfluencerProfile
from marketplace.influencers.services import profile_of, require_profile
from marketplace.storefronts.models import Collection, Storefront, StorefrontItem

MAX_ITEMS_PER_STOREFRONT = 1000
MAX_COLLECTIONS_PER_STOREFRONT = 100


def _slug_conflict() -> Conflict:
    return Conflict("this storefront slug is taken", reason="slug_taken", errors={"slug": ["already taken"]})


def is_owner(user: User | None, storefront: Storefront) -> bool:
    if user is None:
        return False
    if user.is_admin:
        return True
    return storefront.influencer.user_id == user.id


def get_storefront(slug: str, viewer: User | None = None) -> Storefront:
    """A storefront; a draft only for its owner and admins (else 404)."""
    storefront = db.session.scalar(select(Storefront).where(Storefront.slug == slug))
    if storefront is None or (not storefront.published and not is_owner(viewer, storefront)):
        raise NotFound("storefront not found")
    return storefront


def require_owned(user: User, slug: str) -> Storefront:
    """The storefront, if ``user`` owns it. Someone else's draft is a 404, a published one a 403."""
    storefront = get_storefront(slug, user)
    if not is_owner(user, storefront):
        raise Forbidden("this storefront is not yours", reason="not_owner")
    return storefront


def create_storefront(user: User, data: dict[str, Any]) -> Storefront:
    storefront = Storefront(influencer_id=require_profile(user).id, **data)
    db.session.add(storefront)
    commit_or_raise(_slug_conflict())
    return storefront


def update_storefront(user: User, slug: str, changes: dict[str, Any]) -> Storefront:
    storefront = require_owned(user, slug)
    for key, value in changes.items():
        setattr(storefront, key, value)
    commit_or_raise(_slug_conflict())
    return storefront


def list_public_storefronts(influencer_handle: str | None = None) -> Select:
    query = select(Storefront).where(Storefront.published.is_(True))
    if influencer_handle:
        query = query.join(Storefront.influencer).where(InfluencerProfile.handle == influencer_handle.lower())
    return query.order_by(Storefront.created_at.desc(), Storefront.id.desc())


def list_own_storefronts(user: User) -> Sequence[Storefront]:
    profile = profile_of(user)
    if profile is None:
        return []
    return db.session.scalars(
        select(Storefront).where(Storefront.influencer_id == profile.id).order_by(Storefront.id)
    ).all()


# ------------------------------------------------------------------ ordering


def _renumber(entries) -> None:
    for number, entry in enumerate(entries):
        entry.position = number


def _place(ordered: list, moving, position: int | None) -> None:
    """Put ``moving`` at ``position`` (end when None or past the end) and renumber 0..n-1."""
    rest = [entry for entry in ordered if entry is not moving]
    index = len(rest) if position is None else max(0, min(position, len(rest)))
    rest.insert(index, moving)
    _renumber(rest)


def _list_items(storefront_id: int, collection_id: int | None) -> list[StorefrontItem]:
    query = select(StorefrontItem).where(
        StorefrontItem.storefront_id == storefront_id,
        StorefrontItem.removed_at.is_(None),
        StorefrontItem.collection_id.is_(None)
        if collection_id is None
        else StorefrontItem.collection_id == collection_id,
    )
    return list(db.session.scalars(query.order_by(StorefrontItem.position, StorefrontItem.id)))


def _list_collections(storefront_id: int) -> list[Collection]:
    query = select(Collection).where(Collection.storefront_id == storefront_id)
    return list(db.session.scalars(query.order_by(Collection.position, Collection.id)))


# --------------------------------------------------------------- collections


def _collection_conflict() -> Conflict:
    return Conflict(
        "this storefront already has a collection with this name",
        reason="collection_name_taken",
        errors={"name": ["already used in this storefront"]},
    )


def get_collection(storefront: Storefront, collection_id: int, field: str | None = None) -> Collection:
    collection = db.session.get(Collection, collection_id)
    if collection is None or collection.storefront_id != storefront.id:
        if field:  # a reference inside a request body
            raise Invalid("no such collection in this storefront", errors={field: ["no such collection"]})
        raise NotFound("collection not found")
    return collection


def create_collection(user: User, slug: str, data: dict[str, Any]) -> Collection:
    storefront = require_owned(user, slug)
    collections = _list_collections(storefront.id)
    if len(collections) >= MAX_COLLECTIONS_PER_STOREFRONT:
        raise Conflict("this storefront has the most collections allowed", reason="too_many_collections")
    position = data.pop("position", None)
    collection = Collection(storefront_id=storefront.id, **data)
    db.session.add(collection)
    _place(collections, collection, position)
    commit_or_raise(_collection_conflict())
    return collection


def update_collection(user: User, slug: str, collection_id: int, changes: dict[str, Any]) -> Collection:
    storefront = require_owned(user, slug)
    collection = get_collection(storefront, collection_id)
    if "position" in changes:
        _place(_list_collections(storefront.id), collection, changes.pop("position"))
    for key, value in changes.items():
        setattr(collection, key, value)
    commit_or_raise(_collection_conflict())
    return collection


def delete_collection(user: User, slug: str, collection_id: int) -> None:
    """Delete a collection; its items stay in the storefront, after the uncollected ones."""
    storefront = require_owned(user, slug)
    collection = get_collection(storefront, collection_id)
    loose = _list_items(storefront.id, None)
    moved = _list_items(storefront.id, collection.id)
    _renumber(c for c in _list_collections(storefront.id) if c is not collection)
    # Removed items keep their rows; they leave the collection too.
    db.session.execute(
        update(StorefrontItem).where(StorefrontItem.collection_id == collection.id).values(collection_id=None)
    )
    _renumber(loose + moved)
    db.session.delete(collection)
    db.session.commit()


# --------------------------------------------------------------------- items


def _active_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise Invalid("no active product with this id", errors={"product_id": ["no such active product"]})
    return product


def _ensure_not_curated(storefront_id: int, product_id: int, collection_id: int | None, except_id: int | None = None):
    duplicate = next(
        (i for i in _list_items(storefront_id, collection_id) if i.product_id == product_id and i.id != except_id),
        None,
    )
    if duplicate is not None:
        raise Conflict(
            "this product is already in this list of the storefront",
            reason="already_curated",
            errors={"product_id": [f"already curated as item {duplicate.id}"]},
        )


def get_item(storefront: Storefront, item_id: int) -> StorefrontItem:
    item = db.session.get(StorefrontItem, item_id)
    if item is None or item.storefront_id != storefront.id or item.removed_at is not None:
        raise NotFound("item not found")
    return item


def public_item(storefront: Storefront, item_id: int) -> StorefrontItem:
    """A curated item as shoppers see it: not removed, and its product still on sale (else 404)."""
    item = get_item(storefront, item_id)
    if not item.product.active:
        raise NotFound("item not found")
    return item


def add_item(user: User, slug: str, data: dict[str, Any]) -> StorefrontItem:
    storefront = require_owned(user, slug)
    count = db.session.scalar(
        select(func.count())
        .select_from(StorefrontItem)
        .where(StorefrontItem.storefront_id == storefront.id, StorefrontItem.removed_at.is_(None))
    )
    if count >= MAX_ITEMS_PER_STOREFRONT:
        raise Conflict("this storefront has the most items allowed", reason="too_many_items")
    product = _active_product(data["product_id"])
    collection_id = data.get("collection")
    if collection_id is not None:
        get_collection(storefront, collection_id, field="collection")
    _ensure_not_curated(storefront.id, product.id, collection_id)
    item = StorefrontItem(
        storefront_id=storefront.id, product=product, collection_id=collection_id, note=data.get("note", "")
    )
    db.session.add(item)
    _place(_list_items(storefront.id, collection_id), item, data.get("position"))
    db.session.commit()
    return item


def update_item(user: User, slug: str, item_id: int, changes: dict[str, Any]) -> StorefrontItem:
    """Edit the note, reorder, or move the item to another collection (``collection: null`` for none)."""
    storefront = require_owned(user, slug)
    item = get_item(storefront, item_id)
    if "note" in changes:
        item.note = changes["note"]
    target = changes.get("collection", item.collection_id)
    if target != item.collection_id:
        if target is not None:
            get_collection(storefront, target, field="collection")
        _ensure_not_curated(storefront.id, item.product_id, target, except_id=item.id)
        _renumber(i for i in _list_items(storefront.id, item.collection_id) if i is not item)
        item.collection_id = target
        _place(_list_items(storefront.id, target), item, changes.get("position"))
    elif "position" in changes:
        _place(_list_items(storefront.id, item.collection_id), item, changes["position"])
    db.session.commit()
    return item


def remove_item(user: User, slug: str, item_id: int) -> None:
    storefront = require_owned(user, slug)
    item = get_item(storefront, item_id)
    item.removed_at = utcnow()
    _renumber(i for i in _list_items(storefront.id, item.collection_id) if i is not item)
    db.session.commit()


# -------------------------------------------------------------- public view


def storefront_view(storefront: Storefront) -> dict[str, Any]:
    """The storefront as shoppers see it: collections in order, active products only."""
    items = db.session.scalars(
        select(StorefrontItem)
        .join(StorefrontItem.product)
        .options(contains_eager(StorefrontItem.product))  # one join serves the filter and the load
        .where(
            StorefrontItem.storefront_id == storefront.id,
            StorefrontItem.removed_at.is_(None),
            Product.active.is_(True),
        )
        .order_by(StorefrontItem.position, StorefrontItem.id)
    ).all()
    by_collection: dict[int | None, list[StorefrontItem]] = {}
    for item in items:
        by_collection.setdefault(item.collection_id, []).append(item)
    collections = [
        {
            "id": c.id,
            "name": c.name,
            "description": c.description,
            "position": c.position,
            "items": by_collection.get(c.id, []),
        }
        for c in _list_collections(storefront.id)
    ]
    influencer = storefront.influencer
    return {
        "id": storefront.id,
        "slug": storefront.slug,
        "title": storefront.title,
        "description": storefront.description,
        "published": storefront.published,
        "influencer": influencer,
        "disclosure": f"{influencer.display_name} may earn a commission on purchases made through this storefront.",
        "collections": collections,
        "items": by_collection.get(None, []),
        "created_at": storefront.created_at,
        "updated_at": storefront.updated_at,
    }
