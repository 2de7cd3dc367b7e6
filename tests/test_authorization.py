"""Who may call each write route: an authorization matrix, and how bad tokens are refused.

Every test builds the same small world: brand A (an owner, a second member, a
member to remove, an active, a spare and a deactivated product), brand B of
another brand account, and two influencers with storefronts (the first with a
published storefront and a draft, each holding a collection and an item).
Each route is then called as each kind of actor: refusals must carry the
stable ``reason`` and leave every table exactly as it was; the rightful
callers get the 2xx and the change is read back through the API.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from marketplace.accounts.models import AuthSession
from marketplace.accounts.services import TOKEN_SALT, issue_token
from marketplace.db import Base, db, utcnow
from tests.conftest import PASSWORD, Actor

API = "/api/v1"


# -------------------------------------------------------------------- world


@dataclass
class World:
    actors: dict[str, Actor]
    brand: dict[str, Any]  # brand A
    other_brand: dict[str, Any]  # brand B, owned by actors["brand_stranger"]
    removable: Actor  # a member of brand A, the target of DELETE member
    invitee: Actor  # a brand account in no brand, the body of POST member
    product: dict[str, Any]  # active, curated in both storefronts of the shop owner
    spare: dict[str, Any]  # active, curated nowhere
    inactive: dict[str, Any]  # deactivated
    shop: dict[str, Any]  # published
    draft: dict[str, Any]
    other_shop: dict[str, Any]  # published, owned by actors["shop_stranger"]
    collection: dict[str, Any]  # in shop
    item: dict[str, Any]  # in shop
    draft_collection: dict[str, Any]
    draft_item: dict[str, Any]
    order: dict[str, Any]  # unpaid, anonymous, for the product from shop
    code: dict[str, Any]  # a discount code the shop owner proposed for brand A, pending
    shop_influencer_id: int  # the shop owner's influencer profile


def _created(response) -> dict[str, Any]:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def world(make, client) -> World:
    owner = make.actor("brand")
    brand = make.brand(owner)
    members_url = f"{API}/brands/{brand['id']}/members"
    member, removable = make.actor("brand"), make.actor("brand")
    for actor in (member, removable):
        _created(client.post(members_url, json={"email": actor.email}, headers=owner.headers))
    stranger = make.actor("brand")
    other_brand = make.brand(stranger)

    product, spare, inactive = make.product(brand), make.product(brand), make.product(brand)
    response = client.delete(f"{API}/products/{inactive['id']}", headers=owner.headers)
    assert response.status_code == 204

    shop_owner = make.influencer()
    shop = make.storefront(shop_owner)
    draft = make.storefront(shop_owner, published=False)
    shop_stranger = make.influencer()
    other_shop = make.storefront(shop_stranger)
    item = make.item(shop, product)
    order = _created(
        client.post(
            f"{API}/orders",
            json={"storefront": shop["slug"], "items": [{"product_id": product["id"], "quantity": 1}], "email": "a@example.com"},
        )
    )

    code = _created(
        client.post(
            f"{API}/me/discount-codes",
            json={"code": "SHOPOWNER10", "brand_id": brand["id"], "percent_off_bps": 1000},
            headers=shop_owner.headers,
        )
    )
    return World(
        actors={
            "shopper": make.actor("shopper"),
            "influencer": make.influencer(),  # has a profile, owns no storefront
            "new_influencer": make.actor("influencer"),  # no profile yet
            "brand": make.actor("brand"),  # a brand account in no brand
            "brand_member": member,
            "brand_owner": owner,
            "brand_stranger": stranger,
            "shop_owner": shop_owner,
            "shop_stranger": shop_stranger,
            "admin": make.actor("admin"),
        },
        brand=brand,
        other_brand=other_brand,
        removable=removable,
        invitee=make.actor("brand"),
        product=product,
        spare=spare,
        inactive=inactive,
        shop=shop,
        draft=draft,
        other_shop=other_shop,
        collection=make.collection(shop),
        item=item,
        draft_collection=make.collection(draft),
        draft_item=make.item(draft, product),
        order=order,
        code=code,
        shop_influencer_id=client.get(f"{API}/me/influencer", headers=shop_owner.headers).get_json()["id"],
    )


def headers_of(world: World, actor: str) -> dict[str, str]:
    return {} if actor == "anon" else world.actors[actor].headers


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with app.app_context():
        return {
            table.name: [
                tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


# ------------------------------------------------------- reading state back


def get_json(client, url, headers=None, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.get_json())
    return response.get_json()


def storefront_view(client, world, storefront):
    """The storefront as its owner sees it (drafts included)."""
    return get_json(client, f"{API}/storefronts/{storefront['slug']}", world.actors["shop_owner"].headers)


def brand_products(client, world):
    url = f"{API}/brands/{world.brand['id']}/products?include_inactive=true&page_size=100"
    return {p["id"]: p for p in get_json(client, url, world.actors["brand_owner"].headers)["items"]}


def member_emails(client, world):
    url = f"{API}/brands/{world.brand['id']}/members"
    return {m["email"] for m in get_json(client, url, world.actors["brand_owner"].headers)}


def product_as_owner(client, world, product):
    return get_json(client, f"{API}/products/{product['id']}", world.actors["brand_owner"].headers)


# ------------------------------------------------- what each success changes
# Each check gets (client, world, actor, response) after a 2xx and reads the change back.


def check_post_brand(client, world, actor, response):
    body = response.get_json()
    assert body["name"] == "Fresh Brand"
    assert get_json(client, f"{API}/brands/{body['id']}")["default_commission_bps"] == 700
    assert body["id"] in get_json(client, f"{API}/me", world.actors[actor].headers)["brand_ids"]


def check_patch_brand(client, world, actor, response):
    assert response.get_json()["name"] == "Renamed Brand"
    assert get_json(client, f"{API}/brands/{world.brand['id']}")["name"] == "Renamed Brand"


def check_get_members(client, world, actor, response):
    roles = {m["email"]: m["role"] for m in response.get_json()}
    assert roles == {
        world.actors["brand_owner"].email: "owner",
        world.actors["brand_member"].email: "member",
        world.removable.email: "member",
    }


def check_post_member(client, world, actor, response):
    assert response.get_json()["email"] == world.invitee.email
    assert world.invitee.email in member_emails(client, world)
    assert world.brand["id"] in get_json(client, f"{API}/me", world.invitee.headers)["brand_ids"]


def check_delete_member(client, world, actor, response):
    assert response.data == b""
    assert world.removable.email not in member_emails(client, world)
    assert get_json(client, f"{API}/me", world.removable.headers)["brand_ids"] == []


def check_post_product(client, world, actor, response):
    body = response.get_json()
    assert (body["title"], body["brand_id"]) == ("Fresh product", world.brand["id"])
    assert get_json(client, f"{API}/products/{body['id']}")["sku"] == "FRESH-1"


def check_patch_product(client, world, actor, response):
    assert response.get_json()["title"] == "Renamed product"
    assert get_json(client, f"{API}/products/{world.product['id']}")["title"] == "Renamed product"


def check_patch_inactive_product(client, world, actor, response):
    assert response.get_json()["title"] == "Renamed product"
    stored = product_as_owner(client, world, world.inactive)
    assert (stored["title"], stored["active"]) == ("Renamed product", False)


def check_delete_product(client, world, actor, response):
    assert response.data == b""
    assert product_as_owner(client, world, world.product)["active"] is False
    assert client.get(f"{API}/products/{world.product['id']}").status_code == 404


def check_delete_inactive_product(client, world, actor, response):
    assert response.data == b""
    assert product_as_owner(client, world, world.inactive)["active"] is False


def check_put_influencer(client, world, actor, response):
    assert response.get_json()["handle"] == "fresh_handle"
    assert get_json(client, f"{API}/me/influencer", world.actors[actor].headers)["display_name"] == "Fresh Face"
    assert get_json(client, f"{API}/influencers/fresh_handle")["handle"] == "fresh_handle"


def check_post_storefront(client, world, actor, response):
    assert response.get_json()["slug"] == "fresh-shop"
    assert get_json(client, f"{API}/storefronts/fresh-shop")["title"] == "Fresh shop"


def _check_patch_storefront(storefront_attr):
    def check(client, world, actor, response):
        assert response.get_json()["title"] == "Renamed shop"
        assert storefront_view(client, world, getattr(world, storefront_attr))["title"] == "Renamed shop"

    return check


def _check_post_collection(storefront_attr):
    def check(client, world, actor, response):
        assert response.get_json()["name"] == "Fresh collection"
        view = storefront_view(client, world, getattr(world, storefront_attr))
        assert "Fresh collection" in [c["name"] for c in view["collections"]]

    return check


def _check_patch_collection(storefront_attr, collection_attr):
    def check(client, world, actor, response):
        assert response.get_json()["name"] == "Renamed collection"
        view = storefront_view(client, world, getattr(world, storefront_attr))
        collection_id = getattr(world, collection_attr)["id"]
        assert [c["name"] for c in view["collections"] if c["id"] == collection_id] == ["Renamed collection"]

    return check


def _check_delete_collection(storefront_attr, collection_attr):
    def check(client, world, actor, response):
        assert response.data == b""
        view = storefront_view(client, world, getattr(world, storefront_attr))
        assert getattr(world, collection_attr)["id"] not in [c["id"] for c in view["collections"]]

    return check


def _check_post_item(storefront_attr):
    def check(client, world, actor, response):
        body = response.get_json()
        assert (body["product"]["id"], body["note"]) == (world.spare["id"], "Love it")
        view = storefront_view(client, world, getattr(world, storefront_attr))
        assert body["id"] in [i["id"] for i in view["items"]]

    return check


def _check_patch_item(storefront_attr, item_attr):
    def check(client, world, actor, response):
        assert response.get_json()["note"] == "Edited note"
        view = storefront_view(client, world, getattr(world, storefront_attr))
        item_id = getattr(world, item_attr)["id"]
        assert [i["note"] for i in view["items"] if i["id"] == item_id] == ["Edited note"]

    return check


def _check_delete_item(storefront_attr, item_attr):
    def check(client, world, actor, response):
        assert response.data == b""
        view = storefront_view(client, world, getattr(world, storefront_attr))
        assert getattr(world, item_attr)["id"] not in [i["id"] for i in view["items"]]

    return check


def check_logout(client, world, actor, response):
    assert response.data == b""
    again = client.get(f"{API}/me", headers=world.actors[actor].headers)
    assert again.status_code == 401
    assert again.get_json()["reason"] == "token_revoked"


NEW_PASSWORD = "another long secret"


def check_create_link(client, world, actor, response):
    owner = world.actors["shop_owner"]
    codes = [link["code"] for link in get_json(client, f"{API}/links", owner.headers)["items"]]
    assert response.get_json()["code"] in codes


def check_propose_code(client, world, actor, response):
    codes = get_json(client, f"{API}/me/discount-codes", world.actors[actor].headers)["items"]
    assert [c["code"] for c in codes if c["status"] == "pending"][0] == "NEWCODE15"


def check_decide_code(client, world, actor, response):
    url = f"{API}/brands/{world.brand['id']}/discount-codes"
    codes = get_json(client, url, world.actors["brand_owner"].headers)["items"]
    assert [(c["id"], c["status"]) for c in codes] == [(world.code["id"], "approved")]


def check_delete_account(client, world, actor, response):
    assert client.get(f"{API}/me", headers=world.actors[actor].headers).status_code == 401


def check_update_me(client, world, actor, response):
    assert get_json(client, f"{API}/me", world.actors[actor].headers)["share_with_influencers"] is True


def check_change_password(client, world, actor, response):
    assert response.data == b""
    me = client.get(f"{API}/me", headers=world.actors[actor].headers)
    assert me.status_code == 200  # the token used stays valid
    login = client.post(f"{API}/auth/token", json={"email": me.get_json()["email"], "password": NEW_PASSWORD})
    assert login.status_code == 200


def check_put_terms(client, world, actor, response):
    assert response.get_json()["commission_bps"] == 2000
    url = f"{API}/brands/{world.brand['id']}/influencers/{world.shop_influencer_id}/terms"
    assert get_json(client, url, world.actors["brand_owner"].headers)["commission_bps"] == 2000


def check_start_run(client, world, actor, response):
    assert response.get_json() == {"status": "queued"}
    assert get_json(client, f"{API}/payouts", world.actors["admin"].headers)["meta"]["total"] == 0  # nothing owed yet


# ------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    method: str
    url: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] | None = None
    check: Callable | None = None  # None: no actor is expected to succeed


def sf(slug_of: Callable[[World], dict[str, Any]], *parts: Callable[[World], Any] | str):
    """A URL builder for ``/storefronts/{slug}/...``; callable parts are evaluated on the world."""

    def build(w: World) -> str:
        tail = [str(p(w)) if callable(p) else p for p in parts]
        return "/".join([f"{API}/storefronts/{slug_of(w)['slug']}", *tail])

    return build


def _shop(w):
    return w.shop


def _draft(w):
    return w.draft


def _other_shop(w):
    return w.other_shop


ROUTES: dict[str, Route] = {
    # brands
    "post_brand": Route(
        "POST",
        lambda w: f"{API}/brands",
        lambda w: {"name": "Fresh Brand", "default_commission_bps": 700},
        check_post_brand,
    ),
    "patch_brand": Route(
        "PATCH", lambda w: f"{API}/brands/{w.brand['id']}", lambda w: {"name": "Renamed Brand"}, check_patch_brand
    ),
    "get_members": Route("GET", lambda w: f"{API}/brands/{w.brand['id']}/members", None, check_get_members),
    "post_member": Route(
        "POST",
        lambda w: f"{API}/brands/{w.brand['id']}/members",
        lambda w: {"email": w.invitee.email},
        check_post_member,
    ),
    "delete_member": Route(
        "DELETE", lambda w: f"{API}/brands/{w.brand['id']}/members/{w.removable.id}", None, check_delete_member
    ),
    # brand A's member, addressed through brand B's URL
    "delete_member_via_other_brand": Route(
        "DELETE", lambda w: f"{API}/brands/{w.other_brand['id']}/members/{w.removable.id}"
    ),
    # catalog
    "post_product": Route(
        "POST",
        lambda w: f"{API}/brands/{w.brand['id']}/products",
        lambda w: {"title": "Fresh product", "price": 1999, "currency": "USD", "sku": "FRESH-1", "stock": 3},
        check_post_product,
    ),
    "patch_product": Route(
        "PATCH",
        lambda w: f"{API}/products/{w.product['id']}",
        lambda w: {"title": "Renamed product"},
        check_patch_product,
    ),
    "patch_inactive_product": Route(
        "PATCH",
        lambda w: f"{API}/products/{w.inactive['id']}",
        lambda w: {"title": "Renamed product"},
        check_patch_inactive_product,
    ),
    "delete_product": Route("DELETE", lambda w: f"{API}/products/{w.product['id']}", None, check_delete_product),
    "delete_inactive_product": Route(
        "DELETE", lambda w: f"{API}/products/{w.inactive['id']}", None, check_delete_inactive_product
    ),
    # influencer profile
    "put_influencer": Route(
        "PUT",
        lambda w: f"{API}/me/influencer",
        lambda w: {"handle": "fresh_handle", "display_name": "Fresh Face"},
        check_put_influencer,
    ),
    # storefronts
    "post_storefront": Route(
        "POST",
        lambda w: f"{API}/storefronts",
        lambda w: {"slug": "fresh-shop", "title": "Fresh shop"},
        check_post_storefront,
    ),
    "patch_storefront": Route("PATCH", sf(_shop), lambda w: {"title": "Renamed shop"}, _check_patch_storefront("shop")),
    "patch_draft_storefront": Route(
        "PATCH", sf(_draft), lambda w: {"title": "Renamed shop"}, _check_patch_storefront("draft")
    ),
    # collections
    "post_collection": Route(
        "POST", sf(_shop, "collections"), lambda w: {"name": "Fresh collection"}, _check_post_collection("shop")
    ),
    "post_draft_collection": Route(
        "POST", sf(_draft, "collections"), lambda w: {"name": "Fresh collection"}, _check_post_collection("draft")
    ),
    "patch_collection": Route(
        "PATCH",
        sf(_shop, "collections", lambda w: w.collection["id"]),
        lambda w: {"name": "Renamed collection"},
        _check_patch_collection("shop", "collection"),
    ),
    "patch_draft_collection": Route(
        "PATCH",
        sf(_draft, "collections", lambda w: w.draft_collection["id"]),
        lambda w: {"name": "Renamed collection"},
        _check_patch_collection("draft", "draft_collection"),
    ),
    # the shop's collection, addressed through the stranger's own storefront
    "patch_collection_via_other_storefront": Route(
        "PATCH", sf(_other_shop, "collections", lambda w: w.collection["id"]), lambda w: {"name": "Renamed collection"}
    ),
    "delete_collection": Route(
        "DELETE",
        sf(_shop, "collections", lambda w: w.collection["id"]),
        None,
        _check_delete_collection("shop", "collection"),
    ),
    "delete_draft_collection": Route(
        "DELETE",
        sf(_draft, "collections", lambda w: w.draft_collection["id"]),
        None,
        _check_delete_collection("draft", "draft_collection"),
    ),
    "delete_collection_via_other_storefront": Route(
        "DELETE", sf(_other_shop, "collections", lambda w: w.collection["id"])
    ),
    # items
    "post_item": Route(
        "POST", sf(_shop, "items"), lambda w: {"product_id": w.spare["id"], "note": "Love it"}, _check_post_item("shop")
    ),
    "post_draft_item": Route(
        "POST",
        sf(_draft, "items"),
        lambda w: {"product_id": w.spare["id"], "note": "Love it"},
        _check_post_item("draft"),
    ),
    # an item in the stranger's own storefront, filed under the shop's collection
    "post_item_into_other_storefronts_collection": Route(
        "POST", sf(_other_shop, "items"), lambda w: {"product_id": w.spare["id"], "collection": w.collection["id"]}
    ),
    "patch_item": Route(
        "PATCH",
        sf(_shop, "items", lambda w: w.item["id"]),
        lambda w: {"note": "Edited note"},
        _check_patch_item("shop", "item"),
    ),
    "patch_draft_item": Route(
        "PATCH",
        sf(_draft, "items", lambda w: w.draft_item["id"]),
        lambda w: {"note": "Edited note"},
        _check_patch_item("draft", "draft_item"),
    ),
    "patch_item_via_other_storefront": Route(
        "PATCH", sf(_other_shop, "items", lambda w: w.item["id"]), lambda w: {"note": "Edited note"}
    ),
    "delete_item": Route(
        "DELETE", sf(_shop, "items", lambda w: w.item["id"]), None, _check_delete_item("shop", "item")
    ),
    "delete_draft_item": Route(
        "DELETE", sf(_draft, "items", lambda w: w.draft_item["id"]), None, _check_delete_item("draft", "draft_item")
    ),
    "delete_item_via_other_storefront": Route("DELETE", sf(_other_shop, "items", lambda w: w.item["id"])),
    # accounts
    "logout": Route("POST", lambda w: f"{API}/auth/logout", None, check_logout),
    # share links: only to your own storefront
    "create_link": Route(
        "POST",
        lambda w: f"{API}/links",
        lambda w: {"storefront": w.shop["slug"], "channel": "blog"},
        check_create_link,
    ),
    "create_draft_link": Route("POST", lambda w: f"{API}/links", lambda w: {"storefront": w.draft["slug"], "channel": "blog"}),
    # discount codes: influencers propose, the brand decides
    "propose_code": Route(
        "POST",
        lambda w: f"{API}/me/discount-codes",
        lambda w: {"code": "newcode15", "brand_id": w.brand["id"], "percent_off_bps": 1500},
        check_propose_code,
    ),
    "decide_code": Route(
        "PATCH",
        lambda w: f"{API}/brands/{w.brand['id']}/discount-codes/{w.code['id']}",
        lambda w: {"status": "approved"},
        check_decide_code,
    ),
    "decide_code_via_other_brand": Route(
        "PATCH", lambda w: f"{API}/brands/{w.other_brand['id']}/discount-codes/{w.code['id']}", lambda w: {"status": "approved"}
    ),
    # orders: only brands with lines in the order (and admins) refund; an unpaid order is not refundable
    "create_refund": Route(
        "POST",
        lambda w: f"{API}/orders/{w.order['id']}/refunds",
        lambda w: {"lines": [{"line_id": w.order["lines"][0]["id"], "quantity": 1}], "reason": "test"},
    ),
    # commissions: brands set rates for influencers and review held lines
    "put_terms": Route(
        "PUT",
        lambda w: f"{API}/brands/{w.brand['id']}/influencers/{w.shop_influencer_id}/terms",
        lambda w: {"commission_bps": 2000},
        check_put_terms,
    ),
    "review_unknown_line": Route(
        "POST", lambda w: f"{API}/commissions/999999/review", lambda w: {"action": "release", "reason": "checked"}
    ),
    # payouts: an influencer connects their own account, a brand owner the brand's; admins run payouts
    "connect_payout_account": Route("POST", lambda w: f"{API}/me/payout-account"),
    "connect_brand_payout_account": Route("POST", lambda w: f"{API}/brands/{w.brand['id']}/payout-account"),
    "start_payout_run": Route("POST", lambda w: f"{API}/payouts/runs", None, check_start_run),
    "change_password": Route(
        "POST",
        lambda w: f"{API}/me/password",
        lambda w: {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        check_change_password,
    ),
    "delete_account": Route("DELETE", lambda w: f"{API}/me", None, check_delete_account),
    "update_me": Route("PATCH", lambda w: f"{API}/me", lambda w: {"share_with_influencers": True}, check_update_me),
}

# Routes that are public by design: they are how a caller gets a token in the first place,
# how anyone buys (an order's own token then guards it: tests/test_orders.py), and how
# Stripe reaches us (its signature guards it: tests/test_webhooks.py).
PUBLIC_WRITE_ENDPOINTS = {
    "accounts.signup",
    "accounts.issue_token",
    "orders.place_order",
    "orders.cancel_order",
    "webhooks.stripe_webhook",
    "redirects.reshare",  # anyone who holds a share link may pass it on (tests/test_links.py)
}


# ------------------------------------------------------------------- matrix
# A cell is either the success status, or the (status, reason) of a refusal.

UNAUTHENTICATED = (401, "authentication_required")
WRONG_ROLE = (403, "wrong_role")
NOT_MEMBER = (403, "not_brand_member")  # brands and active products are public
NOT_BRAND_OWNER = (403, "not_brand_owner")  # members manage the catalog, owners the membership
NOT_OWNER = (403, "not_owner")  # a published storefront is public
HIDDEN = (404, "not_found")  # someone else's draft, deactivated product, or object under another parent
NO_PROFILE = (404, "no_profile")
INVALID = (422, "invalid")
NOT_REFUNDABLE = (409, "not_refundable")
NOT_SHOPPER = (409, "not_a_shopper_account")


def members_only(ok: int) -> dict[str, Any]:
    return {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "influencer": WRONG_ROLE,
        "brand": NOT_MEMBER,
        "brand_stranger": NOT_MEMBER,
        "brand_member": ok,
        "brand_owner": ok,
        "admin": ok,
    }


def members_only_hidden(ok: int) -> dict[str, Any]:
    """A deactivated product: strangers with the right role are told it does not exist."""
    return members_only(ok) | {"brand": HIDDEN, "brand_stranger": HIDDEN}


def owner_only(ok: int) -> dict[str, Any]:
    return {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "brand": WRONG_ROLE,
        "brand_owner": WRONG_ROLE,
        "influencer": NOT_OWNER,
        "shop_stranger": NOT_OWNER,
        "shop_owner": ok,
        "admin": ok,
    }


def owner_only_hidden(ok: int) -> dict[str, Any]:
    """A draft storefront: other influencers are told it does not exist."""
    return owner_only(ok) | {"influencer": HIDDEN, "shop_stranger": HIDDEN}


EXPECTED: dict[str, dict[str, Any]] = {
    "post_brand": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "influencer": WRONG_ROLE,
        "admin": WRONG_ROLE,
        "brand": 201,
        "brand_owner": 201,  # may start another brand
    },
    "patch_brand": members_only(200),
    "get_members": members_only(200),
    "post_member": members_only(201) | {"brand_member": NOT_BRAND_OWNER},
    "delete_member": members_only(204) | {"brand_member": NOT_BRAND_OWNER},
    "delete_member_via_other_brand": {"brand_stranger": HIDDEN},
    "post_product": members_only(201),
    "patch_product": members_only(200),
    "patch_inactive_product": members_only_hidden(200),
    "delete_product": members_only(204),
    "delete_inactive_product": members_only_hidden(204),
    "put_influencer": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "brand": WRONG_ROLE,
        "admin": WRONG_ROLE,
        "new_influencer": 201,  # creates the profile
        "influencer": 200,  # replaces their own profile
    },
    "post_storefront": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "brand": WRONG_ROLE,
        "admin": WRONG_ROLE,
        "new_influencer": NO_PROFILE,
        "influencer": 201,
        "shop_owner": 201,
    },
    "patch_storefront": owner_only(200),
    "patch_draft_storefront": owner_only_hidden(200),
    "post_collection": owner_only(201),
    "post_draft_collection": owner_only_hidden(201),
    "patch_collection": owner_only(200),
    "patch_draft_collection": owner_only_hidden(200),
    "patch_collection_via_other_storefront": {"shop_stranger": HIDDEN},
    "delete_collection": owner_only(204),
    "delete_draft_collection": owner_only_hidden(204),
    "delete_collection_via_other_storefront": {"shop_stranger": HIDDEN},
    "post_item": owner_only(201),
    "post_draft_item": owner_only_hidden(201),
    "post_item_into_other_storefronts_collection": {"shop_stranger": INVALID},
    "patch_item": owner_only(200),
    "patch_draft_item": owner_only_hidden(200),
    "patch_item_via_other_storefront": {"shop_stranger": HIDDEN},
    "delete_item": owner_only(204),
    "delete_draft_item": owner_only_hidden(204),
    "delete_item_via_other_storefront": {"shop_stranger": HIDDEN},
    "logout": {
        "anon": UNAUTHENTICATED,
        "shopper": 204,
        "influencer": 204,
        "brand": 204,
        "brand_owner": 204,
        "shop_owner": 204,
        "admin": 204,
    },
    "create_link": owner_only(201),
    "create_draft_link": {"influencer": HIDDEN, "shop_stranger": HIDDEN},
    "propose_code": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "brand": WRONG_ROLE,
        "brand_owner": WRONG_ROLE,
        "admin": WRONG_ROLE,
        "new_influencer": NO_PROFILE,
        "influencer": 201,
        "shop_owner": 201,
    },
    "decide_code": members_only(200),
    "decide_code_via_other_brand": {"brand_stranger": HIDDEN},
    "create_refund": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "influencer": WRONG_ROLE,
        "shop_owner": WRONG_ROLE,
        "brand": HIDDEN,
        "brand_stranger": HIDDEN,
        "brand_member": NOT_REFUNDABLE,
        "brand_owner": NOT_REFUNDABLE,
        "admin": NOT_REFUNDABLE,
    },
    "put_terms": members_only(200),
    "review_unknown_line": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "influencer": WRONG_ROLE,
        "brand": HIDDEN,
        "brand_owner": HIDDEN,
        "admin": HIDDEN,
    },
    # The successful calls need Stripe Connect, which localstripe lacks: tests/test_payouts.py.
    "connect_payout_account": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "brand": WRONG_ROLE,
        "admin": WRONG_ROLE,
        "new_influencer": NO_PROFILE,
    },
    "connect_brand_payout_account": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "influencer": WRONG_ROLE,
        "brand": NOT_MEMBER,
        "brand_stranger": NOT_MEMBER,
        "brand_member": NOT_BRAND_OWNER,
    },
    "start_payout_run": {
        "anon": UNAUTHENTICATED,
        "shopper": WRONG_ROLE,
        "influencer": WRONG_ROLE,
        "brand_owner": WRONG_ROLE,
        "admin": 202,
    },
    "change_password": {
        "anon": UNAUTHENTICATED,
        "shopper": 204,
        "influencer": 204,
        "brand": 204,
        "brand_owner": 204,
        "shop_owner": 204,
        "admin": 204,
    },
    "update_me": {  # each signed-in user changes their own settings, and only theirs
        "anon": UNAUTHENTICATED,
        "shopper": 200,
        "influencer": 200,
        "brand_owner": 200,
        "admin": 200,
    },
    # Only shoppers delete their own account; the others have books to keep (tests/test_privacy.py).
    "delete_account": {
        "anon": UNAUTHENTICATED,
        "shopper": 204,
        "influencer": NOT_SHOPPER,
        "brand_owner": NOT_SHOPPER,
        "shop_owner": NOT_SHOPPER,
        "admin": NOT_SHOPPER,
    },
}

REFUSALS = [
    pytest.param(route, actor, cell, id=f"{route}-as-{actor}")
    for route, row in EXPECTED.items()
    for actor, cell in row.items()
    if isinstance(cell, tuple)
]
SUCCESSES = [
    pytest.param(route, actor, cell, id=f"{route}-as-{actor}")
    for route, row in EXPECTED.items()
    for actor, cell in row.items()
    if isinstance(cell, int)
]


def call(client, world: World, route_name: str, headers: dict[str, str]):
    route = ROUTES[route_name]
    body = route.body(world) if route.body else None
    return client.open(route.url(world), method=route.method, json=body, headers=headers)


# -------------------------------------------------------------------- tests


def test_write_routes_are_all_in_the_matrix_and_refuse_anonymous_callers(client, app, world):
    """Each write route of the app (and the members list) appears in the matrix, with an anonymous call."""
    adapter = app.url_map.bind("localhost")
    covered = {}
    for name, route in ROUTES.items():
        endpoint, _ = adapter.match(route.url(world), method=route.method)
        covered.setdefault((endpoint, route.method), []).append(name)
        response = call(client, world, name, {})
        assert (response.status_code, response.get_json()["code"]) == (401, 401), name
    writes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        # The shopper's pages take no bearer token: their forms are checked in tests/test_web_pages.py.
        if rule.endpoint not in PUBLIC_WRITE_ENDPOINTS and not rule.endpoint.startswith("web.")
    }

    assert writes - covered.keys() == set()
    assert ("brands.list_members", "GET") in covered
    assert set(EXPECTED) == set(ROUTES)
    for names in covered.values():
        assert any(EXPECTED[name].get("anon") == UNAUTHENTICATED for name in names), names
    succeeding = {name for name, row in EXPECTED.items() if any(isinstance(cell, int) for cell in row.values())}
    assert all(ROUTES[name].check for name in succeeding)


@pytest.mark.parametrize(("route", "actor", "expected"), REFUSALS)
def test_write_by_unentitled_actor_is_refused_and_changes_nothing(client, app, world, route, actor, expected):
    status, reason = expected
    before = snapshot(app)

    response = call(client, world, route, headers_of(world, actor))

    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert (body["code"], body["reason"]) == (status, reason)
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert snapshot(app) == before


@pytest.mark.parametrize(("route", "actor", "expected"), SUCCESSES)
def test_write_by_entitled_actor_succeeds(client, world, route, actor, expected):
    response = call(client, world, route, headers_of(world, actor))

    assert response.status_code == expected, response.get_json()
    ROUTES[route].check(client, world, actor, response)


def test_put_influencer_cannot_take_another_influencers_handle(client, app, world):
    owner_handle = get_json(client, f"{API}/me/influencer", world.actors["shop_owner"].headers)["handle"]
    before = snapshot(app)

    response = client.put(
        f"{API}/me/influencer",
        json={"handle": owner_handle.upper(), "display_name": "Impostor"},
        headers=world.actors["shop_stranger"].headers,
    )

    assert response.status_code == 409
    assert response.get_json()["reason"] == "handle_taken"
    assert snapshot(app) == before
    assert get_json(client, f"{API}/influencers/{owner_handle}")["display_name"] == "A Creator"


def test_patch_with_invalid_body_anonymous_is_401_before_validation(client, app, world):
    before = snapshot(app)

    response = client.patch(f"{API}/brands/{world.brand['id']}", json={"no_such_field": 1})

    assert response.status_code == 401
    assert response.get_json()["reason"] == "authentication_required"
    assert snapshot(app) == before


# ---------------------------------------------------------- broken tokens


def patch_brand(client, world, headers):
    return client.patch(f"{API}/brands/{world.brand['id']}", json={"name": "Hijacked"}, headers=headers)


def assert_brand_unchanged(client, world):
    assert get_json(client, f"{API}/brands/{world.brand['id']}")["name"] == world.brand["name"]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Token {token}", id="token-scheme-with-valid-token"),
        pytest.param("Token abc", id="token-scheme"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer    ", id="bearer-with-blanks"),
        pytest.param("{token}", id="token-without-scheme"),
    ],
)
def test_patch_with_malformed_authorization_header_is_401(client, world, header):
    token = world.actors["brand_owner"].token

    response = patch_brand(client, world, {"Authorization": header.format(token=token)})

    assert response.status_code == 401
    body = response.get_json()
    assert (body["code"], body["reason"]) == (401, "invalid_token")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_brand_unchanged(client, world)


def test_patch_with_lowercase_bearer_scheme_is_accepted(client, world):
    response = patch_brand(client, world, {"Authorization": f"bearer {world.actors['brand_owner'].token}"})

    assert response.status_code == 200
    assert get_json(client, f"{API}/brands/{world.brand['id']}")["name"] == "Hijacked"


def _forged_tokens(app, world) -> dict[str, str]:
    real = world.actors["brand_owner"].token
    other = world.actors["brand_member"].token
    with app.app_context():
        sid = db.session.scalar(
            select(AuthSession.id).where(AuthSession.user_id == world.actors["brand_owner"].id)
        )
    payload, timestamp, _ = real.split(".")
    return {
        "garbage": "not-a-token",
        "three-garbage-parts": "abc.def.ghi",
        "truncated": real[:-3],
        "other-tokens-signature": f"{payload}.{timestamp}.{other.split('.')[2]}",
        "another-secret": URLSafeTimedSerializer("x" * 40, salt=TOKEN_SALT).dumps({"sid": sid}),
        "another-salt": URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other-salt").dumps({"sid": sid}),
        "unsigned-payload": payload,
    }


@pytest.mark.parametrize(
    "kind",
    [
        "garbage",
        "three-garbage-parts",
        "truncated",
        "other-tokens-signature",
        "another-secret",
        "another-salt",
        "unsigned-payload",
    ],
)
def test_patch_with_forged_token_is_401_invalid_token(client, app, world, kind):
    token = _forged_tokens(app, world)[kind]

    response = patch_brand(client, world, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    body = response.get_json()
    assert (body["code"], body["reason"]) == (401, "invalid_token")
    assert_brand_unchanged(client, world)


def test_patch_with_logged_out_token_is_401_token_revoked(client, world):
    owner = world.actors["brand_owner"]
    assert client.post(f"{API}/auth/logout", headers=owner.headers).status_code == 204

    response = patch_brand(client, world, owner.headers)

    assert response.status_code == 401
    body = response.get_json()
    assert (body["code"], body["reason"]) == (401, "token_revoked")
    assert_brand_unchanged(client, world)
    again = client.post(f"{API}/auth/logout", headers=owner.headers)
    assert (again.status_code, again.get_json()["reason"]) == (401, "token_revoked")
    # The member's own token is untouched by the owner's logout.
    member = world.actors["brand_member"]
    assert get_json(client, f"{API}/me", member.headers)["email"] == member.email


def test_patch_with_expired_token_is_401_token_expired(client, app, world, monkeypatch):
    owner = world.actors["brand_owner"]
    long_ago = int(time.time()) - app.config["AUTH_TOKEN_TTL_SECONDS"] - 60
    with app.app_context(), monkeypatch.context() as patched:
        patched.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: long_ago)
        token, _ = issue_token(owner.email, PASSWORD)

    response = patch_brand(client, world, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    body = response.get_json()
    assert (body["code"], body["reason"]) == (401, "token_expired")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_brand_unchanged(client, world)
    # The same account with a fresh token is let in: it is the token's age that was refused.
    assert patch_brand(client, world, owner.headers).status_code == 200


def test_patch_with_token_past_its_session_expiry_is_401_token_expired(client, app, world):
    owner = world.actors["brand_owner"]
    with app.app_context():
        session = db.session.scalar(select(AuthSession).where(AuthSession.user_id == owner.id))
        session.expires_at = utcnow()
        db.session.commit()

    response = patch_brand(client, world, owner.headers)

    assert response.status_code == 401
    assert response.get_json()["reason"] == "token_expired"
    assert_brand_unchanged(client, world)
