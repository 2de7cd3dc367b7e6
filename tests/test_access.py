"""Every route × every role: the expected status, one table entry per route of the URL map.

The table is keyed by the URL map's own ``(method, rule)``, so a new route (API or page) without
an entry fails ``test_every_route_has_an_entry``. Each entry says how to call the route in a
small world and what each of the seven roles gets:

- ``anon``: no token, no session
- ``shopper``: a shopper who placed the world's orders (one paid through the influencer's link)
- ``inf``: the influencer who owns the storefront, the link and the discount code
- ``other_inf``: another influencer with a storefront of their own
- ``member``: a member (not the owner) of the brand whose product is sold
- ``other_member``: the owner of another brand
- ``admin``

API routes get the role's bearer token; pages (``marketplace/web``) get the role's session,
signed in through ``/account/sign-in`` (the anonymous visitor is not signed in), and their forms
carry a valid CSRF token, so what is checked is who may, not whether the form is well made.
Refusals are called first. Routes where one role's success could change another's answer (a
deletion, adding a member) get a fresh world after each success; the others (reads, and writes
that touch only the caller's own things or take unique names) share one world.

Statuses: 401 no token; 403 wrong role, or not the owner of something public; 404 someone else's
private thing (an order, a draft); pages redirect (302) to the sign-in form. Where an entitled
call needs more than access to succeed (a refund needs a payment at Stripe), its body is refused
after the access checks (409/422), which still shows the role got past them.
"""

from __future__ import annotations

import itertools
import pprint
import re
from datetime import date, timedelta
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from marketplace.commissions.models import CommissionLine
from marketplace.db import db
from tests.conftest import PASSWORD, Actor
from tests.stripe_events import deliver, event_body

API = "/api/v1"
S = "<string(maxlength=80):slug>"
ROLES = ("anon", "shopper", "inf", "other_inf", "member", "other_member", "admin")


def E(default: int, **roles: int) -> dict[str, int]:  # noqa: N802 - reads as a table cell
    """The expected status per role: ``default`` unless named."""
    assert set(roles) <= set(ROLES), roles
    return {role: roles.get(role, default) for role in ROLES}


PUBLIC = E(200)
SIGNED_IN = E(200, anon=401)
INFLUENCERS = E(200, anon=401, shopper=403, member=403, other_member=403, admin=403)
MEMBERS = E(403, anon=401, member=200, admin=200)
ADMINS = E(403, anon=401, admin=200)
STOREFRONT_OWNER = E(403, anon=401, inf=200, admin=200)  # someone else's published storefront: 403
PAGE = E(200)
PERIOD = f"from={date.today() - timedelta(days=30)}&to={date.today() + timedelta(days=1)}"
PRIVATE_PAGE = E(200, anon=302)
# Dashboards: the signed-out go to sign in (302); a form answers 302 back to its page when done.
INFLUENCER_PAGE = E(403, anon=302, inf=200, other_inf=200)
INFLUENCER_FORM = E(403, anon=302, inf=302, other_inf=302)
CURATOR_PAGE = E(403, anon=302, inf=200)  # the storefront's owner
CURATOR_FORM = E(403, anon=302, inf=302)
MEMBER_PAGE = E(403, anon=302, member=200, admin=200)
MEMBER_FORM = E(403, anon=302, member=302, admin=302)


_unique = itertools.count(1)  # names that must not clash across calls


@dataclass
class World:
    n: int
    actors: dict[str, Actor | None]
    clients: dict[str, Any]
    ids: dict[str, Any]


@dataclass
class Route:
    url: Callable[[World], str]
    expect: dict[str, int]
    body: Callable[[World], dict[str, Any]] | None = None  # JSON for the API, form fields for pages
    mutates: bool | None = None  # can one role's success change another's answer? (default: not a GET)
    alone: bool = False  # changes the caller's own token or session: not in the world the other routes share

    def changes_the_world(self, method: str) -> bool:
        return self.mutates if self.mutates is not None else method != "GET"


def _world(app, make, n: int) -> World:
    member_owner = make.actor("brand")
    brand = make.brand(member_owner)
    member, removable = make.actor("brand"), make.actor("brand")
    for actor in (member, removable):
        response = make.client.post(f"{API}/brands/{brand['id']}/members", json={"email": actor.email},
                                    headers=member_owner.headers)
        assert response.status_code == 201
    other_member = make.actor("brand")
    other_brand = make.brand(other_member)
    product = make.product(brand, stock=1000)
    inf, other_inf = make.influencer(), make.influencer()
    shop, other_shop = make.storefront(inf), make.storefront(other_inf)
    draft = make.storefront(inf, published=False)
    collection, item = make.collection(shop), make.item(shop, product)
    make.item(other_shop, product)
    actors = {"anon": None, "shopper": make.actor("shopper"), "inf": inf, "other_inf": other_inf,
              "member": member, "other_member": other_member, "admin": make.actor("admin")}
    clients = {role: app.test_client() for role in ROLES}
    post = make.client.post
    link = post(f"{API}/links", json={"storefront": shop["slug"], "channel": "instagram"}, headers=inf.headers).get_json()
    code = post(f"{API}/me/discount-codes", headers=inf.headers,
                json={"code": f"ACCESS{n}", "brand_id": brand["id"], "percent_off_bps": 1000}).get_json()

    def place_orders() -> dict[str, Any]:
        shopper = clients["shopper"]
        assert shopper.get(f"/r/{link['code']}").status_code == 302  # the click that credits the influencer
        order_body = {"storefront": shop["slug"], "items": [{"product_id": product["id"], "quantity": 1}],
                      "email": actors["shopper"].email}
        paid = shopper.post(f"{API}/orders", json=order_body, headers=actors["shopper"].headers).get_json()
        assert deliver(shopper, app, event_body("payment_intent.succeeded", paid)).status_code == 200
        unpaid = shopper.post(f"{API}/orders", json=order_body, headers=actors["shopper"].headers).get_json()
        with app.app_context():
            line_id = db.session.query(CommissionLine.id).filter_by(order_id=paid["id"]).scalar()
        assert line_id is not None, "the paid order was not credited to the influencer"
        return {"paid": paid["id"], "paid_token": paid["access_token"], "paid_line": paid["lines"][0]["id"],
                "unpaid": unpaid["id"], "commission_line": line_id}

    profile = make.client.get(f"{API}/me/influencer", headers=inf.headers).get_json()
    return World(n, actors, clients, Ids({
        "brand": brand["id"], "other_brand": other_brand["id"], "product": product["id"],
        "slug": shop["slug"], "other_slug": other_shop["slug"], "draft": draft["slug"],
        "collection": collection["id"], "item": item["id"], "link": link["code"], "code": code["id"],
        "influencer": profile["id"], "handle": profile["handle"], "removable": removable.id,
    }, place_orders))


class Ids(dict):
    """The world's ids. Its orders (two PaymentIntents at localstripe and a payment's webhook, the
    slowest part of a world) are placed on the first use of one of theirs."""

    def __init__(self, ids: dict[str, Any], place_orders: Callable[[], dict[str, Any]]) -> None:
        super().__init__(ids)
        self._place_orders = place_orders

    def __missing__(self, key: str) -> Any:
        if self._place_orders is None:
            raise KeyError(key)
        place, self._place_orders = self._place_orders, None
        self.update(place())
        return self[key]


def _csrf(client, world: World) -> str:
    page = client.get(f"/s/{world.ids['slug']}").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _sign_in_page_session(world: World, role: str) -> None:
    actor, client = world.actors[role], world.clients[role]
    if actor is None or getattr(client, "signed_in", False):
        return
    response = client.post("/account/sign-in", data={"csrf_token": _csrf(client, world), "email": actor.email,
                                                     "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.signed_in = True


def _call(world: World, method: str, rule: str, route: Route, role: str):
    client, actor = world.clients[role], world.actors[role]
    url = route.url(world)
    body = route.body(world) if route.body else None
    if rule.startswith("/api/") or rule.startswith("/r/") or rule.startswith("/webhooks/") or rule == "/healthz":
        headers = actor.headers if actor else {}
        return client.open(url, method=method, json=body, headers=headers)
    _sign_in_page_session(world, role)
    if method == "GET":
        return client.get(url)
    if url.endswith("/pay/emulator"):  # the page's script posts JSON, with the token in a header
        return client.post(url, json=body, headers={"X-CSRFToken": _csrf(client, world)})
    return client.post(url, data={**(body or {}), "csrf_token": _csrf(client, world)})


def _brand(w): return f"{API}/brands/{w.ids['brand']}"
def _shop(w): return f"{API}/storefronts/{w.ids['slug']}"


ACCESS: dict[tuple[str, str], Route] = {
    # ------------------------------------------------------------- accounts
    ("POST", "/api/v1/auth/signup"): Route(
        lambda w: f"{API}/auth/signup", E(201),
        body=lambda w: {"email": f"new{next(_unique)}@example.com", "password": PASSWORD, "role": "shopper"},
        mutates=False),
    ("POST", "/api/v1/auth/token"): Route(
        lambda w: f"{API}/auth/token", E(200),
        body=lambda w: {"email": w.actors["shopper"].email, "password": PASSWORD}, mutates=False),
    ("POST", "/api/v1/auth/logout"): Route(lambda w: f"{API}/auth/logout", E(204, anon=401), mutates=False, alone=True),
    ("GET", "/api/v1/me"): Route(lambda w: f"{API}/me", SIGNED_IN),
    ("PATCH", "/api/v1/me"): Route(lambda w: f"{API}/me", SIGNED_IN, body=lambda w: {"share_with_influencers": True},
                                   mutates=False),
    ("DELETE", "/api/v1/me"): Route(lambda w: f"{API}/me", E(409, anon=401, shopper=204)),
    ("GET", "/api/v1/me/export"): Route(lambda w: f"{API}/me/export", SIGNED_IN),
    ("POST", "/api/v1/me/password"): Route(
        lambda w: f"{API}/me/password", E(204, anon=401),
        body=lambda w: {"current_password": PASSWORD, "new_password": "another long password"}, mutates=False, alone=True),
    # --------------------------------------------------------------- brands
    ("GET", "/api/v1/brands"): Route(lambda w: f"{API}/brands", PUBLIC),
    ("POST", "/api/v1/brands"): Route(
        lambda w: f"{API}/brands", E(403, anon=401, member=201, other_member=201),
        body=lambda w: {"name": f"New brand {next(_unique)}", "default_commission_bps": 1000}, mutates=False),
    ("GET", "/api/v1/brands/<id:brand_id>"): Route(_brand, PUBLIC),
    ("PATCH", "/api/v1/brands/<id:brand_id>"): Route(_brand, MEMBERS, body=lambda w: {"hold_days": 20}, mutates=False),
    ("GET", "/api/v1/brands/<id:brand_id>/members"): Route(lambda w: f"{_brand(w)}/members", MEMBERS),
    ("POST", "/api/v1/brands/<id:brand_id>/members"): Route(
        lambda w: f"{_brand(w)}/members", E(403, anon=401, admin=201),  # the owner's, not a member's
        body=lambda w: {"email": w.actors["other_member"].email}, mutates=True),
    ("DELETE", "/api/v1/brands/<id:brand_id>/members/<id:user_id>"): Route(
        lambda w: f"{_brand(w)}/members/{w.ids['removable']}", E(403, anon=401, admin=204)),
    ("POST", "/api/v1/brands/<id:brand_id>/payout-account"): Route(
        lambda w: f"{_brand(w)}/payout-account", E(403, anon=401, admin=201)),  # owner or admin
    # -------------------------------------------------------------- catalog
    ("POST", "/api/v1/brands/<id:brand_id>/products"): Route(
        lambda w: f"{_brand(w)}/products", E(403, anon=401, member=201, admin=201),
        body=lambda w: {"title": "Pan", "price": 2500, "currency": "USD", "sku": f"ACC-{next(_unique)}", "stock": 3},
        mutates=False),
    ("GET", "/api/v1/brands/<id:brand_id>/products"): Route(lambda w: f"{_brand(w)}/products", PUBLIC),
    ("GET", "/api/v1/products"): Route(lambda w: f"{API}/products", PUBLIC),
    ("GET", "/api/v1/products/<id:product_id>"): Route(lambda w: f"{API}/products/{w.ids['product']}", PUBLIC),
    ("PATCH", "/api/v1/products/<id:product_id>"): Route(
        lambda w: f"{API}/products/{w.ids['product']}", MEMBERS, body=lambda w: {"stock": 900}, mutates=False),
    ("DELETE", "/api/v1/products/<id:product_id>"): Route(
        lambda w: f"{API}/products/{w.ids['product']}", E(403, anon=401, member=204, admin=204)),
    # ---------------------------------------------------------- influencers
    ("PUT", "/api/v1/me/influencer"): Route(
        lambda w: f"{API}/me/influencer", INFLUENCERS,
        body=lambda w: {"handle": f"fresh{next(_unique)}", "display_name": "Fresh"}, mutates=False, alone=True),
    ("GET", "/api/v1/me/influencer"): Route(lambda w: f"{API}/me/influencer", INFLUENCERS),
    ("GET", "/api/v1/influencers/<string(maxlength=40):handle>"): Route(
        lambda w: f"{API}/influencers/{w.ids['handle']}", PUBLIC),
    # ---------------------------------------------------------- storefronts
    ("POST", "/api/v1/storefronts"): Route(
        lambda w: f"{API}/storefronts", E(201, anon=401, shopper=403, member=403, other_member=403, admin=403),
        body=lambda w: {"slug": f"new-shop-{next(_unique)}", "title": "New"}, mutates=False),
    ("GET", "/api/v1/storefronts"): Route(lambda w: f"{API}/storefronts", PUBLIC),
    ("GET", "/api/v1/me/storefronts"): Route(lambda w: f"{API}/me/storefronts", INFLUENCERS),
    ("GET", f"/api/v1/storefronts/{S}"): Route(  # a draft: its owner (and admins) only
        lambda w: f"{API}/storefronts/{w.ids['draft']}", E(404, inf=200, admin=200)),
    ("PATCH", f"/api/v1/storefronts/{S}"): Route(
        _shop, STOREFRONT_OWNER, body=lambda w: {"title": "Renamed"}, mutates=False),
    ("POST", f"/api/v1/storefronts/{S}/collections"): Route(
        lambda w: f"{_shop(w)}/collections", E(403, anon=401, inf=201, admin=201),
        body=lambda w: {"name": f"More {next(_unique)}"}, mutates=False),
    ("PATCH", f"/api/v1/storefronts/{S}/collections/<id:collection_id>"): Route(
        lambda w: f"{_shop(w)}/collections/{w.ids['collection']}", STOREFRONT_OWNER,
        body=lambda w: {"name": "Renamed"}, mutates=False),
    ("DELETE", f"/api/v1/storefronts/{S}/collections/<id:collection_id>"): Route(
        lambda w: f"{_shop(w)}/collections/{w.ids['collection']}", E(403, anon=401, inf=204, admin=204)),
    ("POST", f"/api/v1/storefronts/{S}/items"): Route(
        lambda w: f"{_shop(w)}/items", E(403, anon=401, inf=201, admin=201),
        body=lambda w: {"product_id": w.ids["product"], "collection": w.ids["collection"]}),
    ("PATCH", f"/api/v1/storefronts/{S}/items/<id:item_id>"): Route(
        lambda w: f"{_shop(w)}/items/{w.ids['item']}", STOREFRONT_OWNER, body=lambda w: {"note": "Still good"},
        mutates=False),
    ("DELETE", f"/api/v1/storefronts/{S}/items/<id:item_id>"): Route(
        lambda w: f"{_shop(w)}/items/{w.ids['item']}", E(403, anon=401, inf=204, admin=204)),
    # ---------------------------------------------------------------- links
    ("POST", "/api/v1/links"): Route(
        lambda w: f"{API}/links", E(403, anon=401, other_inf=403, inf=201, admin=201),
        body=lambda w: {"storefront": w.ids["slug"], "channel": "tiktok"}, mutates=False),
    ("GET", "/api/v1/links"): Route(lambda w: f"{API}/links", E(403, anon=401, inf=200, other_inf=200)),
    ("GET", "/api/v1/links/<string(maxlength=16):code>"): Route(
        lambda w: f"{API}/links/{w.ids['link']}", E(403, anon=401, inf=200, admin=200)),
    ("GET", "/r/<string(maxlength=16):code>"): Route(lambda w: f"/r/{w.ids['link']}", E(302)),
    ("POST", "/r/<string(maxlength=16):code>/reshare"): Route(
        lambda w: f"/r/{w.ids['link']}/reshare", E(201), body=lambda w: {"channel": "email"}, mutates=False),
    # ------------------------------------------------------------ discounts
    ("POST", "/api/v1/me/discount-codes"): Route(
        lambda w: f"{API}/me/discount-codes", INFLUENCERS | {"inf": 201, "other_inf": 201},
        body=lambda w: {"code": f"NEW{next(_unique)}", "brand_id": w.ids["brand"], "percent_off_bps": 500},
        mutates=False),
    ("GET", "/api/v1/me/discount-codes"): Route(lambda w: f"{API}/me/discount-codes", INFLUENCERS),
    ("GET", "/api/v1/brands/<id:brand_id>/discount-codes"): Route(lambda w: f"{_brand(w)}/discount-codes", MEMBERS),
    ("PATCH", "/api/v1/brands/<id:brand_id>/discount-codes/<id:code_id>"): Route(
        lambda w: f"{_brand(w)}/discount-codes/{w.ids['code']}", MEMBERS, body=lambda w: {"status": "approved"}),
    # --------------------------------------------------------------- orders
    ("POST", "/api/v1/orders"): Route(
        lambda w: f"{API}/orders", E(201),
        body=lambda w: {"storefront": w.ids["slug"], "items": [{"product_id": w.ids["product"], "quantity": 1}],
                        "email": "buyer@example.com"}, mutates=False),
    ("GET", "/api/v1/orders/<id:order_id>"): Route(  # its shopper, the brand of its lines, admins
        lambda w: f"{API}/orders/{w.ids['paid']}", E(404, shopper=200, member=200, admin=200)),
    ("POST", "/api/v1/orders/<id:order_id>/cancel"): Route(
        lambda w: f"{API}/orders/{w.ids['unpaid']}/cancel", E(404, shopper=200, admin=200)),
    ("POST", "/api/v1/orders/<id:order_id>/refunds"): Route(  # entitled: past the checks to the amount (over paid)
        lambda w: f"{API}/orders/{w.ids['paid']}/refunds", E(403, anon=401, other_member=404, member=422, admin=422),
        body=lambda w: {"lines": [{"line_id": w.ids["paid_line"], "quantity": 5}], "reason": "damaged"}),
    ("GET", "/api/v1/me/orders"): Route(lambda w: f"{API}/me/orders", SIGNED_IN),
    ("GET", "/api/v1/brands/<id:brand_id>/orders"): Route(lambda w: f"{_brand(w)}/orders", MEMBERS),
    ("GET", "/api/v1/orders/<id:order_id>/attribution"): Route(
        lambda w: f"{API}/orders/{w.ids['paid']}/attribution",
        E(403, anon=401, inf=200, member=200, admin=200, other_inf=404, other_member=404)),
    ("GET", "/api/v1/orders/<id:order_id>/settlement"): Route(
        lambda w: f"{API}/orders/{w.ids['paid']}/settlement", E(403, anon=401, member=200, admin=200, other_member=404)),
    # ---------------------------------------------------------- commissions
    ("GET", "/api/v1/me/commissions"): Route(lambda w: f"{API}/me/commissions", INFLUENCERS),
    ("GET", "/api/v1/me/balance"): Route(lambda w: f"{API}/me/balance", INFLUENCERS),
    ("GET", "/api/v1/brands/<id:brand_id>/commissions"): Route(lambda w: f"{_brand(w)}/commissions", MEMBERS),
    ("GET", "/api/v1/brands/<id:brand_id>/commission-lines"): Route(
        lambda w: f"{_brand(w)}/commission-lines", MEMBERS),
    ("POST", "/api/v1/commissions/<id:line_id>/review"): Route(
        lambda w: f"{API}/commissions/{w.ids['commission_line']}/review", MEMBERS | {"other_member": 404},
        body=lambda w: {"action": "hold", "reason": "checking the order"}),
    ("GET", "/api/v1/brands/<id:brand_id>/influencers/<id:influencer_id>/terms"): Route(
        lambda w: f"{_brand(w)}/influencers/{w.ids['influencer']}/terms", MEMBERS),
    ("PUT", "/api/v1/brands/<id:brand_id>/influencers/<id:influencer_id>/terms"): Route(
        lambda w: f"{_brand(w)}/influencers/{w.ids['influencer']}/terms", MEMBERS,
        body=lambda w: {"commission_bps": 1200, "product_rates": []}, mutates=False),
    # -------------------------------------------------------------- payouts
    ("POST", "/api/v1/me/payout-account"): Route(
        lambda w: f"{API}/me/payout-account", INFLUENCERS | {"inf": 201, "other_inf": 201}, mutates=False, alone=True),
    ("GET", "/api/v1/me/payout-account"): Route(  # none connected yet
        lambda w: f"{API}/me/payout-account", INFLUENCERS | {"inf": 404, "other_inf": 404}),
    ("GET", "/api/v1/me/payouts"): Route(lambda w: f"{API}/me/payouts", INFLUENCERS),
    ("GET", "/api/v1/payouts"): Route(lambda w: f"{API}/payouts", ADMINS),
    ("POST", "/api/v1/payouts/runs"): Route(lambda w: f"{API}/payouts/runs", ADMINS | {"admin": 202}, mutates=False),
    # -------------------------------------------------------------- reports
    ("GET", "/api/v1/brands/<id:brand_id>/reports/attribution"): Route(
        lambda w: f"{_brand(w)}/reports/attribution?{PERIOD}", MEMBERS),
    ("GET", "/api/v1/brands/<id:brand_id>/reports/attribution/models"): Route(
        lambda w: f"{_brand(w)}/reports/attribution/models?{PERIOD}", MEMBERS),
    ("GET", "/api/v1/brands/<id:brand_id>/reports/attribution/chart.svg"): Route(
        lambda w: f"{_brand(w)}/reports/attribution/chart.svg?{PERIOD}", MEMBERS),
    ("GET", "/api/v1/brands/<id:brand_id>/reports/relationships"): Route(
        lambda w: f"{_brand(w)}/reports/relationships?{PERIOD}", MEMBERS),
    ("GET", "/api/v1/brands/<id:brand_id>/reports/relationships/chart.svg"): Route(
        lambda w: f"{_brand(w)}/reports/relationships/chart.svg?{PERIOD}", MEMBERS),
    ("GET", "/api/v1/me/reports/performance"): Route(lambda w: f"{API}/me/reports/performance?{PERIOD}", INFLUENCERS),
    ("GET", "/api/v1/me/reports/relationships"): Route(lambda w: f"{API}/me/reports/relationships", INFLUENCERS),
    # ------------------------------------------------------ platform, docs
    ("GET", "/healthz"): Route(lambda w: "/healthz", PUBLIC),
    ("POST", "/webhooks/stripe"): Route(lambda w: "/webhooks/stripe", E(400), body=lambda w: {}),  # unsigned
    ("GET", "/api/openapi.json"): Route(lambda w: "/api/openapi.json", PUBLIC),
    ("GET", "/api/docs"): Route(lambda w: "/api/docs", PUBLIC),
    ("GET", "/api/docs/assets/<path:filename>"): Route(lambda w: "/api/docs/assets/swagger-ui-bundle.js", PUBLIC),
    # ---------------------------------------------------------------- pages
    ("GET", "/static/web/<path:filename>"): Route(lambda w: "/static/web/site.css", PAGE),
    ("GET", f"/s/{S}"): Route(lambda w: f"/s/{w.ids['slug']}", PAGE),
    ("GET", f"/s/{S}/p/<id:item_id>"): Route(lambda w: f"/s/{w.ids['slug']}/p/{w.ids['item']}", PAGE),
    ("GET", f"/s/{S}/cart"): Route(lambda w: f"/s/{w.ids['slug']}/cart", PAGE),
    ("POST", f"/s/{S}/cart"): Route(
        lambda w: f"/s/{w.ids['slug']}/cart", E(302), body=lambda w: {"product_id": w.ids["product"]}, mutates=False),
    ("POST", f"/s/{S}/cart/update"): Route(
        lambda w: f"/s/{w.ids['slug']}/cart/update", E(302), body=lambda w: {"product_id": w.ids["product"]},
        mutates=False),
    ("POST", f"/s/{S}/checkout"): Route(  # an empty cart: the page says so
        lambda w: f"/s/{w.ids['slug']}/checkout", E(422), body=lambda w: {"email": "a@example.com"}, mutates=False,
        alone=True),
    ("POST", f"/s/{S}/share"): Route(lambda w: f"/s/{w.ids['slug']}/share", E(302), mutates=False),
    ("GET", "/orders"): Route(lambda w: "/orders", PAGE),
    ("GET", "/orders/<id:order_id>"): Route(  # the order's shopper; its brand's members too (their lines)
        lambda w: f"/orders/{w.ids['paid']}", E(404, shopper=200, member=200, admin=200)),
    ("GET", "/orders/<id:order_id>/pay"): Route(
        lambda w: f"/orders/{w.ids['unpaid']}/pay", E(404, shopper=200, admin=200)),
    ("POST", "/orders/<id:order_id>/pay/emulator"): Route(  # a card token localstripe never issued: not paid
        lambda w: f"/orders/{w.ids['unpaid']}/pay/emulator", E(404, shopper=200, admin=200),
        body=lambda w: {"card_token": "tok_unknown"}, mutates=False),
    ("GET", "/account/sign-in"): Route(lambda w: "/account/sign-in", PAGE),
    ("POST", "/account/sign-in"): Route(  # the shopper's credentials, whoever is signed in already
        lambda w: "/account/sign-in", E(302),
        body=lambda w: {"email": w.actors["shopper"].email, "password": PASSWORD}, mutates=False, alone=True),
    ("POST", "/account/sign-out"): Route(lambda w: "/account/sign-out", E(302), mutates=False, alone=True),  # each their own
    ("GET", "/account/privacy"): Route(lambda w: "/account/privacy", PRIVATE_PAGE),
    ("GET", "/account/privacy/export"): Route(lambda w: "/account/privacy/export", PRIVATE_PAGE),
    ("POST", "/account/privacy/delete"): Route(  # shoppers only; the others keep books
        lambda w: "/account/privacy/delete", E(409, anon=302, shopper=302), body=lambda w: {"confirm": "yes"}),
    # ------------------------------------------------------ dashboards (pages)
    ("GET", "/"): Route(lambda w: "/", PAGE),
    ("GET", "/account"): Route(lambda w: "/account", E(302)),  # each role to its first page; anon to sign in
    ("GET", "/dashboard"): Route(lambda w: "/dashboard", INFLUENCER_PAGE),
    ("GET", "/dashboard/performance.svg"): Route(lambda w: f"/dashboard/performance.svg?{PERIOD}", INFLUENCER_PAGE),
    ("POST", "/dashboard/profile"): Route(  # renames the influencer: a fresh world after
        lambda w: "/dashboard/profile", INFLUENCER_FORM,
        body=lambda w: {"handle": f"renamed{next(_unique)}", "display_name": "Renamed"}, mutates=True),
    ("POST", "/dashboard/storefronts"): Route(
        lambda w: "/dashboard/storefronts", INFLUENCER_FORM,
        body=lambda w: {"slug": f"new-shop-{next(_unique)}", "title": "New"}, mutates=False),
    ("GET", f"/dashboard/storefronts/{S}"): Route(lambda w: f"/dashboard/storefronts/{w.ids['slug']}", CURATOR_PAGE),
    ("POST", f"/dashboard/storefronts/{S}/collections"): Route(
        lambda w: f"/dashboard/storefronts/{w.ids['slug']}/collections", CURATOR_FORM,
        body=lambda w: {"name": f"Picks {next(_unique)}"}, mutates=False),
    ("POST", f"/dashboard/storefronts/{S}/collections/<id:collection_id>/move"): Route(
        lambda w: f"/dashboard/storefronts/{w.ids['slug']}/collections/{w.ids['collection']}/move", CURATOR_FORM,
        body=lambda w: {"direction": "down"}, mutates=False),
    ("POST", f"/dashboard/storefronts/{S}/items"): Route(  # already curated: the page says so
        lambda w: f"/dashboard/storefronts/{w.ids['slug']}/items", CURATOR_FORM,
        body=lambda w: {"product_id": w.ids["product"]}, mutates=False),
    ("POST", f"/dashboard/storefronts/{S}/items/<id:item_id>"): Route(
        lambda w: f"/dashboard/storefronts/{w.ids['slug']}/items/{w.ids['item']}", CURATOR_FORM,
        body=lambda w: {"note": "Still my favourite"}, mutates=False),
    ("POST", f"/dashboard/storefronts/{S}/items/<id:item_id>/move"): Route(
        lambda w: f"/dashboard/storefronts/{w.ids['slug']}/items/{w.ids['item']}/move", CURATOR_FORM,
        body=lambda w: {"direction": "down"}, mutates=False),
    ("POST", f"/dashboard/storefronts/{S}/items/<id:item_id>/remove"): Route(
        lambda w: f"/dashboard/storefronts/{w.ids['slug']}/items/{w.ids['item']}/remove", CURATOR_FORM),
    ("GET", "/dashboard/links"): Route(lambda w: "/dashboard/links", INFLUENCER_PAGE),
    ("POST", "/dashboard/links"): Route(  # to the influencer's storefront: another's is a 403
        lambda w: "/dashboard/links", CURATOR_FORM, body=lambda w: {"storefront": w.ids["slug"], "channel": "blog"},
        mutates=False),
    ("GET", "/dashboard/brands"): Route(lambda w: "/dashboard/brands", PRIVATE_PAGE),  # the brands one belongs to
    ("GET", "/dashboard/brands/<id:brand_id>"): Route(lambda w: f"/dashboard/brands/{w.ids['brand']}", MEMBER_PAGE),
    ("POST", "/dashboard/brands/<id:brand_id>/products"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/products", MEMBER_FORM,
        body=lambda w: {"title": "Mug", "sku": f"MUG-{next(_unique)}", "price": "12.50", "currency": "USD", "stock": "3"},
        mutates=False),
    ("POST", "/dashboard/brands/<id:brand_id>/products/<id:product_id>"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/products/{w.ids['product']}", MEMBER_FORM,
        body=lambda w: {"stock": "1000"}, mutates=False),
    ("GET", "/dashboard/brands/<id:brand_id>/influencers"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/influencers", MEMBER_PAGE),
    ("POST", "/dashboard/brands/<id:brand_id>/influencers/<id:influencer_id>/terms"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/influencers/{w.ids['influencer']}/terms", MEMBER_FORM,
        body=lambda w: {"commission": "10"}, mutates=False),
    ("GET", "/dashboard/brands/<id:brand_id>/reports"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/reports?{PERIOD}", MEMBER_PAGE),
    ("GET", "/dashboard/brands/<id:brand_id>/reports/attribution.csv"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/reports/attribution.csv?{PERIOD}", MEMBER_PAGE),
    ("GET", "/dashboard/brands/<id:brand_id>/reports/relationships.csv"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/reports/relationships.csv?{PERIOD}", MEMBER_PAGE),
    ("GET", "/dashboard/brands/<id:brand_id>/reports/revenue.svg"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/reports/revenue.svg?{PERIOD}", MEMBER_PAGE),
    ("GET", "/dashboard/brands/<id:brand_id>/reports/cohorts.svg"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/reports/cohorts.svg?{PERIOD}", MEMBER_PAGE),
    ("GET", "/dashboard/brands/<id:brand_id>/orders"): Route(
        lambda w: f"/dashboard/brands/{w.ids['brand']}/orders", MEMBER_PAGE),
}


def _routes_of(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_an_entry(app):
    routes = _routes_of(app)

    assert routes - ACCESS.keys() == set(), "routes without an entry in ACCESS"
    assert ACCESS.keys() - routes == set(), "entries for routes that no longer exist"


def _order(route: Route) -> list[str]:
    """Refusals first, then the roles that succeed."""
    return sorted(ROLES, key=lambda role: route.expect[role] < 400)


def _check(app, make, method: str, rule: str, world: World) -> dict[str, tuple[int, str]]:
    """Call the route as each role; the roles that did not get their expected status, with the answer."""
    route = ACCESS[(method, rule)]
    wrong, stale = {}, False
    for role in _order(route):
        if stale:
            world, stale = _world(app, make, world.n + 1), False
        with _call(world, method, rule, route, role) as response:
            status, text = response.status_code, response.get_data(as_text=True)[:200]
        if status != route.expect[role]:
            wrong[role] = (status, route.expect[role], text)
        stale = route.changes_the_world(method) and status < 400
    return wrong


READS = [key for key, route in ACCESS.items() if not (route.alone or route.changes_the_world(key[0]))]
WRITES = [key for key in ACCESS if key not in READS]


def test_routes_that_change_nothing_for_others_answer_each_role_as_expected(app, make):
    """One world for all of them: each role's call leaves the others' answers as they were."""
    world = _world(app, make, 1)
    world.ids["paid"]  # with its orders placed: the reads then have something to show
    wrong = {f"{method} {rule}": found for method, rule in READS if (found := _check(app, make, method, rule, world))}

    assert wrong == {}, pprint.pformat(wrong)  # route -> {role: (got, expected, body)}


@pytest.mark.parametrize(("method", "rule"), WRITES, ids=[f"{m} {r}" for m, r in WRITES])
def test_route_that_changes_the_world_answers_each_role_as_expected(app, make, method, rule):
    wrong = _check(app, make, method, rule, _world(app, make, 1))

    assert wrong == {}, pprint.pformat(wrong)  # role -> (got, expected, body)
