"""Share links and what the redirect needs of them.

The redirect resolves a code from a per-process cache (no SQL once warm) and hands
the click to ``links.clicks``; everything slow (storing clicks, attribution) happens
in jobs. If recording fails, the shopper is still redirected.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.attribution.models import AttributionCredit, AttributionTouchpoint
from marketplace.attribution.rules import PPM
from marketplace.db import db
from marketplace.errors import Invalid, NotFound
from marketplace.influencers.services import require_profile
from marketplace.links.models import Click, ShareLink
from marketplace.orders.models import OrderLine
from marketplace.storefronts.models import Collection, Storefront, StorefrontItem
from marketplace.storefronts.services import get_storefront, require_owned
from marketplace.urls import public_base_url

log = logging.getLogger(__name__)

VISITOR_COOKIE = "mp_visitor"  # first-party cookie: a random id per browser
LINK_CACHE_SECONDS = 60  # a deactivated link may redirect for up to this long
CODE_BYTES = 6  # 8 URL-safe characters, random: not sequential, not guessable from another


def _new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def _target_checks(storefront: Storefront, data: dict[str, Any]) -> tuple[int | None, int | None]:
    collection_id, item_id = data.get("collection"), data.get("item_id")
    if collection_id is not None:
        collection = db.session.get(Collection, collection_id)
        if collection is None or collection.storefront_id != storefront.id:
            raise Invalid("no such collection in this storefront", errors={"collection": ["no such collection"]})
    if item_id is not None:
        item = db.session.get(StorefrontItem, item_id)
        if item is None or item.storefront_id != storefront.id or item.removed_at is not None:
            raise Invalid("no such item in this storefront", errors={"item_id": ["no such item"]})
    return collection_id, item_id


def _insert_with_fresh_code(link: ShareLink) -> ShareLink:
    """Codes are random; on the rare clash, draw again."""
    for _ in range(5):
        link.code = _new_code()
        db.session.add(link)
        try:
            db.session.commit()
            return link
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not draw a free link code")


def create_link(user: User, data: dict[str, Any]) -> ShareLink:
    storefront = require_owned(user, data["storefront"])
    collection_id, item_id = _target_checks(storefront, data)
    return _insert_with_fresh_code(
        ShareLink(
            storefront_id=storefront.id,
            collection_id=collection_id,
            storefront_item_id=item_id,
            influencer_id=storefront.influencer_id,
            created_by_user_id=user.id,
            channel=data["channel"],
            campaign=data.get("campaign"),
        )
    )


def links_of(user: User) -> Select:
    """The links of the caller's storefronts (re-shares of them included), newest first."""
    profile = require_profile(user)
    return select(ShareLink).where(ShareLink.influencer_id == profile.id).order_by(ShareLink.id.desc())


def link_stats(link_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Counted clicks, attributed orders and attributed revenue (per currency, before refunds)
    of each link: a link earns its clicks' share of each credited line."""
    stats = {link_id: {"clicks": 0, "orders": 0, "revenue": []} for link_id in link_ids}
    if not link_ids:
        return stats
    clicks = select(Click.link_id, func.count()).where(Click.link_id.in_(link_ids), Click.counted.is_(True))
    for link_id, count in db.session.execute(clicks.group_by(Click.link_id)):
        stats[link_id]["clicks"] = count
    earning = (
        select(AttributionTouchpoint.link_id)
        .join(AttributionCredit, AttributionCredit.id == AttributionTouchpoint.credit_id)
        .join(OrderLine, OrderLine.id == AttributionCredit.order_line_id)
        .where(AttributionTouchpoint.link_id.in_(link_ids), AttributionTouchpoint.weight_ppm > 0)
    )
    orders = earning.add_columns(func.count(func.distinct(AttributionCredit.order_id)))
    for link_id, count in db.session.execute(orders.group_by(AttributionTouchpoint.link_id)):
        stats[link_id]["orders"] = count
    revenue = earning.add_columns(
        OrderLine.currency, func.sum(OrderLine.line_total * AttributionTouchpoint.weight_ppm)
    ).group_by(AttributionTouchpoint.link_id, OrderLine.currency).order_by(OrderLine.currency)
    for link_id, currency, micro_amount in db.session.execute(revenue):
        # Shares are parts per million: the amount is rounded down to a whole minor unit.
        stats[link_id]["revenue"].append({"currency": currency, "amount": int(micro_amount) // PPM})
    return stats


def get_own_link(user: User, code: str) -> ShareLink:
    link = db.session.scalar(select(ShareLink).where(ShareLink.code == code))
    if link is None:
        raise NotFound("link not found")
    require_owned(user, db.session.get(Storefront, link.storefront_id).slug)
    return link


def active_link(code: str) -> ShareLink | None:
    link = db.session.scalar(select(ShareLink).where(ShareLink.code == code))
    return link if link is not None and link.active else None


def storefront_link(code: str, storefront_id: int) -> ShareLink | None:
    """The active link ``code`` if it leads to that storefront (what a page offers to re-share)."""
    link = active_link(code)
    return link if link is not None and link.storefront_id == storefront_id else None


def target_url(link: ShareLink) -> str:
    """The storefront page a link opens: on this app (a relative address) unless STOREFRONT_BASE_URL says."""
    storefront = db.session.get(Storefront, link.storefront_id)
    base = current_app.config["STOREFRONT_BASE_URL"].rstrip("/")
    via = f"?via={link.code}"  # the page offers the visitor a re-share of this link
    if link.storefront_item_id is not None:
        return f"{base}/s/{storefront.slug}/p/{link.storefront_item_id}{via}"
    if link.collection_id is not None:
        return f"{base}/s/{storefront.slug}{via}#collection-{link.collection_id}"
    return f"{base}/s/{storefront.slug}{via}"


@dataclass(frozen=True)
class ResolvedLink:
    id: int
    target_url: str


_cache_lock = threading.Lock()


def _link_cache() -> TTLCache:
    extensions = current_app.extensions
    cache = extensions.get("link_cache")  # (not a bare setdefault: that would build a cache per call)
    return cache if cache is not None else extensions.setdefault("link_cache", TTLCache(50_000, LINK_CACHE_SECONDS))


def resolve(code: str) -> ResolvedLink | None:
    """The active link behind ``code`` and where it goes, cached per process for a minute."""
    cache = _link_cache()
    with _cache_lock:
        if code in cache:
            return cache[code]
    link = active_link(code)
    resolved = ResolvedLink(link.id, target_url(link)) if link is not None else None
    with _cache_lock:
        cache[code] = resolved
    return resolved


def cached_link(code: str) -> ResolvedLink | None:
    """The active link behind ``code`` if ``resolve`` has it cached (None if unknown, inactive or not cached)."""
    with _cache_lock:
        return _link_cache().get(code)


def new_visitor_id() -> str:
    return secrets.token_hex(16)  # 128 random bits, 32 hex characters


def valid_visitor_id(value: str | None) -> str | None:
    """The cookie's value if it is one we could have set, else None."""
    value = value or ""
    return value if 16 <= len(value) <= 64 and value.isascii() and value.isalnum() else None


def reshare(code: str, visitor_id: str | None, user: User | None, data: dict[str, Any]) -> ShareLink:
    """A link of one's own to what ``code`` points at; the originating influencer keeps the credit."""
    parent = active_link(code)
    if parent is None:
        raise NotFound("link not found")
    get_storefront(db.session.get(Storefront, parent.storefront_id).slug)  # still published
    return _insert_with_fresh_code(
        ShareLink(
            storefront_id=parent.storefront_id,
            collection_id=parent.collection_id,
            storefront_item_id=parent.storefront_item_id,
            influencer_id=parent.influencer_id,
            created_by_user_id=user.id if user else None,
            created_by_visitor=visitor_id,
            parent_id=parent.id,
            depth=parent.depth + 1,
            channel=data.get("channel", "other"),
            campaign=parent.campaign,
        )
    )


def link_view(link: ShareLink, stats: dict[str, Any] | None = None) -> dict[str, Any]:
    base = public_base_url()
    stats = stats or link_stats([link.id])[link.id]
    parent = db.session.get(ShareLink, link.parent_id) if link.parent_id else None
    return {
        "code": link.code,
        "url": f"{base}/r/{link.code}",
        "storefront_id": link.storefront_id,
        "collection_id": link.collection_id,
        "storefront_item_id": link.storefront_item_id,
        "channel": link.channel,
        "campaign": link.campaign,
        "parent_code": parent.code if parent else None,
        "depth": link.depth,
        **stats,
        "created_at": link.created_at,
    }
