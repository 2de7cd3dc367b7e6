"""The influencer's dashboard: earnings and performance with a chart, relationship figures,
curating storefronts (products with notes, order of items and collections), and share links
per channel. Each view calls the same services as the API, with the API's schemas."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.catalog import services as catalog
from marketplace.commissions import services as commissions
from marketplace.errors import Forbidden
from marketplace.influencers import services as influencers
from marketplace.influencers.schemas import InfluencerProfileSchema
from marketplace.links import services as links
from marketplace.links.models import CHANNELS
from marketplace.links.schemas import ShareLinkSchema
from marketplace.payouts import services as payouts
from marketplace.reports import charts
from marketplace.reports import services as reports
from marketplace.reports.schemas import PerformanceArgsSchema
from marketplace.reports.services import INFLUENCER_GROUPS
from marketplace.storefronts import services as storefronts
from marketplace.storefronts.schemas import (
    CollectionSchema,
    StorefrontItemSchema,
    StorefrontItemUpdateSchema,
    StorefrontSchema,
)
from marketplace.web.dashboard import first, form_values, period_of, report_args, submit
from marketplace.web.views import SLUG, blp, require_signed_in

RECENT_LINES = 10
SEARCH_RESULTS = 20


def _influencer():
    """The signed-in influencer (the sign-in page for anyone signed out)."""
    user = require_signed_in()
    if user.role != Role.INFLUENCER:
        raise Forbidden("this dashboard is for influencers", reason="not_influencer")
    return user


def _page(template: str, user, **context):
    """A dashboard page, with the storefronts its navigation links to."""
    return render_template(template, own_storefronts=storefronts.list_own_storefronts(user), **context)


# ---------------------------------------------------------------- overview


@blp.get("/dashboard")
def influencer_dashboard():
    user = _influencer()
    profile = influencers.profile_of(user)
    if profile is None:
        return render_template("web/dashboard/profile.html", profile=None)
    args, errors = report_args(PerformanceArgsSchema())
    period = period_of(args)
    lines, _totals = commissions.my_commissions(user, {})
    year = reports.period(period.until - timedelta(days=365), period.until, args["tz"])
    return _page(
        "web/dashboard/influencer.html", user,
        profile=profile,
        balances=commissions.my_balance(user),
        next_payout=payouts.next_payout(user),
        recent_lines=first(lines, RECENT_LINES),
        args=args, errors=errors, groups=INFLUENCER_GROUPS,
        performance=reports.performance_report(user, period, args["group_by"], args.get("currency")),
        relationships=reports.my_relationships(user, year),
    )


@blp.get("/dashboard/performance.svg")
def performance_chart():
    user = _influencer()
    args, _errors = report_args(PerformanceArgsSchema())
    return charts.svg_response(charts.performance_by_day(
        reports.performance_report(user, period_of(args), "day", args.get("currency"))
    ))


@blp.post("/dashboard/profile")
def save_profile():
    user = _influencer()
    return submit(
        lambda: influencers.put_profile(
            user, InfluencerProfileSchema().load(form_values(("handle", "display_name", "bio", "avatar_url")))
        ),
        back=url_for("web.influencer_dashboard"), done="Your profile is saved.",
    )


@blp.post("/dashboard/storefronts")
def create_storefront():
    user = _influencer()
    return submit(
        lambda: storefronts.create_storefront(user, StorefrontSchema().load(form_values(("slug", "title", "description")))),
        back=url_for("web.influencer_dashboard"),
        done=lambda shop: f"Storefront {shop.title} is open at /s/{shop.slug}.",
    )


# ---------------------------------------------------------------- curating


@blp.get(f"/dashboard/storefronts/{SLUG}")
def curate(slug: str):
    user = _influencer()
    shop = storefronts.require_owned(user, slug)
    query = request.args.get("q", "").strip()[:200]
    found = catalog.search_products({"q": query}, user) if query else None
    return _page(
        "web/dashboard/curate.html", user,
        shop=storefronts.storefront_view(shop),
        query=query,
        results=first(found, SEARCH_RESULTS) if found is not None else None,
    )


def _back_to_curate(slug: str) -> str:
    return url_for("web.curate", slug=slug)


@blp.post(f"/dashboard/storefronts/{SLUG}/collections")
def add_collection(slug: str):
    user = _influencer()
    return submit(
        lambda: storefronts.create_collection(user, slug, CollectionSchema().load(form_values(("name", "description")))),
        back=_back_to_curate(slug), done=lambda collection: f"Collection {collection.name} added.",
    )


@blp.post(f"/dashboard/storefronts/{SLUG}/items")
def add_item(slug: str):
    user = _influencer()
    data = form_values(("product_id", "collection", "note"), numbers=("product_id", "collection"))
    return submit(
        lambda: storefronts.add_item(user, slug, StorefrontItemSchema().load(data)),
        back=_back_to_curate(slug), done=lambda item: f"{item.product.title} added to your storefront.",
    )


@blp.post(f"/dashboard/storefronts/{SLUG}/items/<id:item_id>")
def update_item(slug: str, item_id: int):
    user = _influencer()
    data = form_values(("note", "collection"), numbers=("collection",))
    data.setdefault("note", "")
    data.setdefault("collection", None)  # "no collection" is the blank choice
    return submit(
        lambda: storefronts.update_item(user, slug, item_id, StorefrontItemUpdateSchema().load(data)),
        back=_back_to_curate(slug) + f"#item-{item_id}", done="Saved.",
    )


def _moved(position: int) -> int:
    """One place up or down from ``position``, as the form's ``direction`` asks."""
    return max(0, position + (1 if request.form.get("direction") == "down" else -1))


@blp.post(f"/dashboard/storefronts/{SLUG}/items/<id:item_id>/move")
def move_item(slug: str, item_id: int):
    user = _influencer()
    item = storefronts.get_item(storefronts.require_owned(user, slug), item_id)
    return submit(
        lambda: storefronts.update_item(user, slug, item_id, {"position": _moved(item.position)}),
        back=_back_to_curate(slug) + f"#item-{item_id}", done=f"Moved {item.product.title}.",
    )


@blp.post(f"/dashboard/storefronts/{SLUG}/collections/<id:collection_id>/move")
def move_collection(slug: str, collection_id: int):
    user = _influencer()
    collection = storefronts.get_collection(storefronts.require_owned(user, slug), collection_id)
    return submit(
        lambda: storefronts.update_collection(user, slug, collection_id, {"position": _moved(collection.position)}),
        back=_back_to_curate(slug) + f"#collection-{collection_id}", done="Moved the collection.",
    )


@blp.post(f"/dashboard/storefronts/{SLUG}/items/<id:item_id>/remove")
def remove_item(slug: str, item_id: int):
    user = _influencer()
    return submit(lambda: storefronts.remove_item(user, slug, item_id), back=_back_to_curate(slug),
                  done="Removed from your storefront.")


# ---------------------------------------------------------------- share links


@blp.get("/dashboard/links")
def share_links():
    user = _influencer()
    own = first(links.links_of(user), 100)
    stats = links.link_stats([link.id for link in own])
    shops = [storefronts.storefront_view(shop) for shop in storefronts.list_own_storefronts(user)]
    return _page(
        "web/dashboard/links.html", user,
        links=[links.link_view(link, stats[link.id]) for link in own],
        shops=shops, channels=CHANNELS,
    )


@blp.post("/dashboard/links")
def create_link():
    user = _influencer()
    data = form_values(("storefront", "channel", "campaign", "target"))
    kind, _, target_id = data.pop("target", "").partition(":")
    if kind in ("collection", "item_id") and target_id.isdigit():
        data[kind] = int(target_id)
    return submit(
        lambda: links.create_link(user, ShareLinkSchema().load(data)),
        back=url_for("web.share_links"), done=lambda link: links.link_view(link)["url"], category="new_link",
    )
