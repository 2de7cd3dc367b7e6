"""Orders over HTTP: placing them (stock reservation, PaymentIntent at localstripe), who may
read them, brand listings, cancellation (and its queued PaymentIntent cancel), expiry."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest
import stripe
from rq import Queue
from sqlalchemy import func, select

from marketplace.db import db, utcnow
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.gateway import StripeGateway
from workers import AppSimpleWorker

API = "/api/v1"
EMAIL = "buyer@example.com"


# ------------------------------------------------------------------ helpers


@pytest.fixture
def shop(make):
    """One brand (default commission 700) with one product (10 in stock), curated in a storefront."""
    brand = make.brand(default_commission_bps=700)
    product = make.product(brand, price=2500, stock=10)
    storefront = make.storefront()
    item = make.item(storefront, product)
    return {"brand": brand, "product": product, "storefront": storefront, "item": item}


def _post_order(client, storefront, items, email=EMAIL, headers=None):
    slug = storefront if isinstance(storefront, str) else storefront["slug"]
    return client.post(f"{API}/orders", json={"storefront": slug, "items": items, "email": email}, headers=headers)


def _place(client, shop, quantity=2, headers=None, product=None):
    product = product or shop["product"]
    response = _post_order(client, shop["storefront"], [{"product_id": product["id"], "quantity": quantity}], headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _product(client, brand, product_id):
    response = client.get(f"{API}/products/{product_id}", headers=brand["owner"].headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _stock(client, brand, product_id):
    product = _product(client, brand, product_id)
    return product["stock"], product["reserved"], product["available"]


def _order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def _read(client, order, **kwargs):
    return client.get(f"{API}/orders/{order['id']}", query_string={"token": order["access_token"]}, **kwargs)


def _stripe(app, localstripe_url):
    return stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], base_addresses={"api": localstripe_url})


def _age(app, order_id, minutes=1):
    """Move an order's reservation end into the past."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.reserved_until = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def _assert_error(response, code, reason=None):
    assert response.status_code == code, response.get_json()
    body = response.get_json()
    assert body["code"] == code
    assert body["message"]
    if reason is not None:
        assert body["reason"] == reason, body
    return body


def _assert_untouched(client, app, shop, reserved=0):
    """No order row was written and the product's reservation is what it was."""
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, reserved, 10 - reserved)


@pytest.fixture
def two_brands(make):
    """A storefront curating one USD product of each of two brands (and a third, uninvolved brand)."""
    brand_a = make.brand()
    brand_b = make.brand()
    brand_c = make.brand()
    product_a = make.product(brand_a, price=1000, stock=10)
    product_b = make.product(brand_b, price=3000, stock=10)
    make.product(brand_c, price=500, stock=10)
    storefront = make.storefront()
    make.item(storefront, product_a)
    make.item(storefront, product_b)
    return {
        "a": brand_a,
        "b": brand_b,
        "c": brand_c,
        "product_a": product_a,
        "product_b": product_b,
        "storefront": storefront,
    }


def _place_two_brands(client, shop2, qty_a=2, qty_b=1):
    response = _post_order(
        client,
        shop2["storefront"],
        [
            {"product_id": shop2["product_a"]["id"], "quantity": qty_a},
            {"product_id": shop2["product_b"]["id"], "quantity": qty_b},
        ],
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ------------------------------------------------------------------ placing


def test_post_order_anonymous_creates_pending_order_with_snapshot_lines(client, app, make, localstripe_url):
    brand = make.brand(default_commission_bps=700)
    overridden = make.product(brand, price=2500, stock=10, commission_bps=1500)
    default = make.product(brand, price=990, stock=4)
    storefront = make.storefront()
    item_1 = make.item(storefront, overridden)
    item_2 = make.item(storefront, default)

    response = _post_order(
        client,
        storefront,
        [{"product_id": overridden["id"], "quantity": 3}, {"product_id": default["id"], "quantity": 1}],
        email="Buyer@Example.COM",
    )

    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["status"] == "pending_payment"
    assert order["email"] == "buyer@example.com"
    assert order["currency"] == "USD"
    assert order["paid_at"] is None
    assert order["refunded_total"] == 0
    lines = {line["product_id"]: line for line in order["lines"]}
    assert set(lines) == {overridden["id"], default["id"]}
    first, second = lines[overridden["id"]], lines[default["id"]]
    assert {k: first[k] for k in ("brand_id", "storefront_item_id", "title", "sku", "unit_price", "currency",
                                   "quantity", "line_total", "commission_bps")} == {
        "brand_id": brand["id"], "storefront_item_id": item_1["id"], "title": overridden["title"],
        "sku": overridden["sku"], "unit_price": 2500, "currency": "USD", "quantity": 3, "line_total": 7500,
        "commission_bps": 1500,
    }
    assert {k: second[k] for k in ("brand_id", "storefront_item_id", "title", "sku", "unit_price", "currency",
                                    "quantity", "line_total", "commission_bps")} == {
        "brand_id": brand["id"], "storefront_item_id": item_2["id"], "title": default["title"],
        "sku": default["sku"], "unit_price": 990, "currency": "USD", "quantity": 1, "line_total": 990,
        "commission_bps": 700,
    }
    assert order["total"] == 7500 + 990 == sum(line["line_total"] for line in order["lines"])
    assert order["access_token"].startswith("ord_") and len(order["access_token"]) > 20
    payment = order["payment"]
    assert payment["provider"] == "stripe"
    assert payment["payment_intent_id"] == order["payment_intent_id"]
    assert payment["payment_intent_id"].startswith("pi_")
    assert payment["client_secret"].startswith(payment["payment_intent_id"])
    assert payment["publishable_key"] == app.config["STRIPE_PUBLISHABLE_KEY"]
    assert [(e["from_status"], e["to_status"], e["cause"]) for e in order["events"]] == [
        (None, "pending_payment", "order placed")
    ]
    reserved_until = datetime.fromisoformat(order["reserved_until"])
    expected = utcnow() + timedelta(minutes=app.config["ORDER_RESERVATION_MINUTES"])
    assert abs((reserved_until - expected).total_seconds()) < 60

    assert _stock(client, brand, overridden["id"]) == (10, 3, 7)
    assert _stock(client, brand, default["id"]) == (4, 1, 3)
    intent = _stripe(app, localstripe_url).v1.payment_intents.retrieve(payment["payment_intent_id"])
    assert (intent.amount, intent.currency, intent.metadata["order_id"]) == (8490, "usd", str(order["id"]))

    stored = _read(client, order).get_json()
    assert stored["total"] == 8490
    assert stored["lines"] == order["lines"]
    with app.app_context():
        row = db.session.get(Order, order["id"])
        assert row.shopper_user_id is None
        assert row.visitor_id is None
        assert row.access_token_hash != order["access_token"]


def test_post_order_signed_in_lists_it_in_my_orders_only(client, app, make, shop):
    buyer = make.actor("shopper")
    other = make.actor("shopper")
    _place(client, shop, quantity=1)  # an anonymous order with the same email
    order = _place(client, shop, quantity=2, headers=buyer.headers)

    with app.app_context():
        assert db.session.get(Order, order["id"]).shopper_user_id == buyer.id
    mine = client.get(f"{API}/me/orders", headers=buyer.headers)
    assert mine.status_code == 200, mine.get_json()
    body = mine.get_json()
    assert [o["id"] for o in body["items"]] == [order["id"]]
    assert body["items"][0]["total"] == 5000
    assert body["meta"] == {"page": 1, "page_size": 20, "total": 1, "pages": 1}
    assert "access_token" not in body["items"][0]

    theirs = client.get(f"{API}/me/orders", headers=other.headers).get_json()
    assert theirs["items"] == []
    assert theirs["meta"]["total"] == 0


def test_get_my_orders_anonymous_is_401(client):
    _assert_error(client.get(f"{API}/me/orders"), 401)


def test_get_my_orders_paginates_newest_first(client, make, shop):
    buyer = make.actor("shopper")
    ids = [_place(client, shop, quantity=1, headers=buyer.headers)["id"] for _ in range(3)]

    first = client.get(f"{API}/me/orders", query_string={"page_size": 2}, headers=buyer.headers).get_json()
    second = client.get(f"{API}/me/orders", query_string={"page_size": 2, "page": 2}, headers=buyer.headers).get_json()

    assert [o["id"] for o in first["items"]] == [ids[2], ids[1]]
    assert [o["id"] for o in second["items"]] == [ids[0]]
    assert first["meta"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}


@pytest.mark.parametrize("visitor", ["a" * 16, "Ab3" * 21 + "x", "0123456789abcdefABCDEF"])
def test_post_order_stores_visitor_cookie(client, app, shop, visitor):
    client.set_cookie("mp_visitor", visitor)
    order = _place(client, shop, quantity=1)

    with app.app_context():
        assert db.session.get(Order, order["id"]).visitor_id == visitor


@pytest.mark.parametrize(
    "visitor",
    ["a" * 15, "a" * 65, "abcdefgh-ijklmnop", "abcdefgh ijklmnop", "abcdefghijklmnop;x", "", "é" * 16, "１" * 16],
    ids=["too-short", "too-long", "dash", "space", "semicolon", "empty", "non-ascii-letters", "fullwidth-digits"],
)
def test_post_order_ignores_malformed_visitor_cookie(client, app, shop, visitor):
    client.set_cookie("mp_visitor", visitor)
    order = _place(client, shop, quantity=1)

    with app.app_context():
        assert db.session.get(Order, order["id"]).visitor_id is None


def test_post_order_unknown_storefront_is_422(client, app, shop):
    response = _post_order(client, "no-such-shop", [{"product_id": shop["product"]["id"], "quantity": 1}])

    body = _assert_error(response, 422)
    assert "storefront" in body["errors"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_draft_storefront_is_422(client, app, make, shop):
    draft = make.storefront(published=False)
    make.item(draft, shop["product"])

    response = _post_order(client, draft, [{"product_id": shop["product"]["id"], "quantity": 1}])

    body = _assert_error(response, 422)
    assert "storefront" in body["errors"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_product_not_curated_is_422(client, app, make, shop):
    elsewhere = make.product(shop["brand"], price=2500, stock=10)  # active, but not in this storefront

    response = _post_order(
        client,
        shop["storefront"],
        [{"product_id": shop["product"]["id"], "quantity": 1}, {"product_id": elsewhere["id"], "quantity": 1}],
    )

    body = _assert_error(response, 422)
    assert list(body["errors"]) == ["items.1.product_id"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)
    assert _stock(client, shop["brand"], elsewhere["id"]) == (10, 0, 10)


def test_post_order_product_curated_elsewhere_names_items_0(client, app, make, shop):
    other = make.brand()
    foreign = make.product(other, price=2500, stock=10)
    make.item(make.storefront(), foreign)

    response = _post_order(client, shop["storefront"], [{"product_id": foreign["id"], "quantity": 1}])

    body = _assert_error(response, 422)
    assert "items.0.product_id" in body["errors"]
    assert _order_count(app) == 0
    assert _stock(client, other, foreign["id"]) == (10, 0, 10)


def test_post_order_removed_item_is_422(client, app, shop):
    storefront = shop["storefront"]
    removed = client.delete(
        f"{API}/storefronts/{storefront['slug']}/items/{shop['item']['id']}", headers=storefront["owner"].headers
    )
    assert removed.status_code == 204, removed.get_json()

    response = _post_order(client, storefront, [{"product_id": shop["product"]["id"], "quantity": 1}])

    body = _assert_error(response, 422)
    assert "items.0.product_id" in body["errors"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_deactivated_product_is_422(client, app, shop):
    deleted = client.delete(f"{API}/products/{shop['product']['id']}", headers=shop["brand"]["owner"].headers)
    assert deleted.status_code == 204

    response = _post_order(client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 1}])

    body = _assert_error(response, 422)
    assert "items.0.product_id" in body["errors"]
    assert _order_count(app) == 0
    product = _product(client, shop["brand"], shop["product"]["id"])
    assert (product["active"], product["reserved"], product["available"]) == (False, 0, 10)


@pytest.mark.parametrize("quantity", [0, 101, 1.5, -1, "2", None], ids=["0", "101", "1.5", "-1", "str", "null"])
def test_post_order_bad_quantity_is_422(client, app, shop, quantity):
    response = _post_order(client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": quantity}])

    body = _assert_error(response, 422)
    assert "quantity" in body["errors"]["json"]["items"]["0"], body
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_quantity_100_is_accepted(client, make):
    brand = make.brand()
    product = make.product(brand, stock=100)
    storefront = make.storefront()
    make.item(storefront, product)

    response = _post_order(client, storefront, [{"product_id": product["id"], "quantity": 100}])

    assert response.status_code == 201, response.get_json()
    assert _stock(client, brand, product["id"]) == (100, 100, 0)


def test_post_order_empty_items_is_422(client, app, shop):
    response = _post_order(client, shop["storefront"], [])

    body = _assert_error(response, 422)
    assert "items" in body["errors"]["json"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_same_product_twice_is_422(client, app, shop):
    line = {"product_id": shop["product"]["id"], "quantity": 1}

    response = _post_order(client, shop["storefront"], [line, dict(line)])

    body = _assert_error(response, 422)
    assert "items" in body["errors"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_mixed_currencies_is_422(client, app, make, shop):
    euro = make.product(shop["brand"], price=2000, stock=10, currency="EUR")
    make.item(shop["storefront"], euro)

    response = _post_order(
        client,
        shop["storefront"],
        [{"product_id": shop["product"]["id"], "quantity": 1}, {"product_id": euro["id"], "quantity": 1}],
    )

    body = _assert_error(response, 422, reason="mixed_currencies")
    assert "items" in body["errors"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)
    assert _stock(client, shop["brand"], euro["id"]) == (10, 0, 10)


def test_post_order_stale_price_is_409(client, app, shop):
    response = _post_order(
        client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 1, "unit_price": 2400}]
    )

    body = _assert_error(response, 409, reason="price_changed")
    assert list(body["errors"]) == ["items.0.unit_price"]
    assert "2500" in body["errors"]["items.0.unit_price"][0]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_after_price_change_is_409(client, app, shop):
    changed = client.patch(
        f"{API}/products/{shop['product']['id']}", json={"price": 2700}, headers=shop["brand"]["owner"].headers
    )
    assert changed.status_code == 200, changed.get_json()

    response = _post_order(
        client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 1, "unit_price": 2500}]
    )

    _assert_error(response, 409, reason="price_changed")
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_matching_unit_price_is_201(client, shop):
    response = _post_order(
        client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 2, "unit_price": 2500}]
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["total"] == 5000
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 2, 8)


def test_post_order_more_than_stock_is_409(client, app, shop):
    response = _post_order(client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 11}])

    body = _assert_error(response, 409, reason="insufficient_stock")
    assert "items" in body["errors"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_when_pending_orders_hold_the_rest_is_409(client, app, shop):
    _place(client, shop, quantity=8)
    _place(client, shop, quantity=1)

    response = _post_order(client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 2}])

    body = _assert_error(response, 409, reason="insufficient_stock")
    assert "only 1 available" in body["errors"]["items"][0]
    assert _order_count(app) == 2
    _assert_untouched(client, app, shop, reserved=9)
    assert _post_order(client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 1}]).status_code == 201
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 10, 0)


def test_post_order_insufficient_second_line_releases_first_line(client, app, make, shop):
    scarce = make.product(shop["brand"], price=100, stock=1)  # created after, so reserved after
    make.item(shop["storefront"], scarce)

    response = _post_order(
        client,
        shop["storefront"],
        [{"product_id": shop["product"]["id"], "quantity": 3}, {"product_id": scarce["id"], "quantity": 2}],
    )

    _assert_error(response, 409, reason="insufficient_stock")
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)
    assert _stock(client, shop["brand"], scarce["id"]) == (1, 0, 1)


@pytest.mark.parametrize("email", ["not-an-email", "", "a@", "x" * 330 + "@example.com"])
def test_post_order_bad_email_is_422(client, app, shop, email):
    response = _post_order(client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 1}], email=email)

    body = _assert_error(response, 422)
    assert "email" in body["errors"]["json"]
    assert _order_count(app) == 0
    _assert_untouched(client, app, shop)


def test_post_order_unknown_field_is_422(client, app, shop):
    response = client.post(
        f"{API}/orders",
        json={
            "storefront": shop["storefront"]["slug"],
            "items": [{"product_id": shop["product"]["id"], "quantity": 1}],
            "email": EMAIL,
            "total": 1,
        },
    )

    body = _assert_error(response, 422)
    assert "total" in body["errors"]["json"]
    assert _order_count(app) == 0


def test_post_order_with_payment_provider_down_is_502_and_releases_stock(client, app, shop, monkeypatch):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = StripeGateway(app.config["STRIPE_SECRET_KEY"], app.config["STRIPE_WEBHOOK_SECRET"], f"http://127.0.0.1:{port}")
    gateway.client = stripe.StripeClient(  # no retries: fail fast
        app.config["STRIPE_SECRET_KEY"], base_addresses={"api": f"http://127.0.0.1:{port}"}, max_network_retries=0
    )
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)

    response = _post_order(client, shop["storefront"], [{"product_id": shop["product"]["id"], "quantity": 2}])

    _assert_error(response, 502, reason="payment_provider_unavailable")
    _assert_untouched(client, app, shop)
    with app.app_context():
        orders = db.session.scalars(select(Order)).all()
        assert [(o.status, o.payment_intent_id) for o in orders] == [(OrderStatus.CANCELED, None)]


# -------------------------------------------------------------------- reads


def test_get_order_with_token_query_is_200(client, shop):
    order = _place(client, shop)

    response = _read(client, order)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == order["id"]
    assert body["status"] == "pending_payment"
    assert body["total"] == 5000
    assert [line["quantity"] for line in body["lines"]] == [2]
    assert "access_token" not in body and "payment" not in body


def test_get_order_with_order_bearer_is_200(client, shop):
    order = _place(client, shop)

    response = client.get(f"{API}/orders/{order['id']}", headers={"Authorization": f"Bearer {order['access_token']}"})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == order["id"]


def test_get_order_with_wrong_token_is_404(client, shop):
    order = _place(client, shop)
    other = _place(client, shop, quantity=1)

    for token in ("ord_wrong", other["access_token"], order["access_token"] + "x"):
        _assert_error(client.get(f"{API}/orders/{order['id']}", query_string={"token": token}), 404)
    _assert_error(
        client.get(f"{API}/orders/{order['id']}", headers={"Authorization": f"Bearer {other['access_token']}"}), 404
    )


def test_get_order_anonymous_without_token_is_404(client, shop):
    order = _place(client, shop)

    _assert_error(client.get(f"{API}/orders/{order['id']}"), 404)


def test_get_order_another_shopper_is_404(client, make, shop):
    buyer = make.actor("shopper")
    order = _place(client, shop, headers=buyer.headers)

    _assert_error(client.get(f"{API}/orders/{order['id']}", headers=make.actor("shopper").headers), 404)


def test_get_order_signed_in_buyer_without_token_is_200(client, make, shop):
    buyer = make.actor("shopper")
    order = _place(client, shop, headers=buyer.headers)

    response = client.get(f"{API}/orders/{order['id']}", headers=buyer.headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == order["id"]


def test_get_order_admin_is_200(client, make, shop):
    order = _place(client, shop)

    response = client.get(f"{API}/orders/{order['id']}", headers=make.actor("admin").headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] == order["total"]
    assert len(response.get_json()["lines"]) == 1


def test_get_order_brand_member_sees_only_its_lines(client, two_brands):
    order = _place_two_brands(client, two_brands, qty_a=2, qty_b=1)
    assert order["total"] == 2 * 1000 + 3000

    seen_a = client.get(f"{API}/orders/{order['id']}", headers=two_brands["a"]["owner"].headers)
    seen_b = client.get(f"{API}/orders/{order['id']}", headers=two_brands["b"]["owner"].headers)

    assert seen_a.status_code == 200, seen_a.get_json()
    body_a = seen_a.get_json()
    assert [line["brand_id"] for line in body_a["lines"]] == [two_brands["a"]["id"]]
    assert body_a["total"] == 2000
    body_b = seen_b.get_json()
    assert [line["brand_id"] for line in body_b["lines"]] == [two_brands["b"]["id"]]
    assert body_b["total"] == 3000
    whole = _read(client, order).get_json()
    assert len(whole["lines"]) == 2 and whole["total"] == 5000


def test_get_order_brand_member_without_lines_is_404(client, two_brands):
    order = _place_two_brands(client, two_brands)

    _assert_error(client.get(f"{API}/orders/{order['id']}", headers=two_brands["c"]["owner"].headers), 404)


def test_get_order_unknown_id_is_404(client, make):
    _assert_error(client.get(f"{API}/orders/999999", headers=make.actor("admin").headers), 404)


# ------------------------------------------------------------- brand orders


def test_get_brand_orders_lists_orders_with_only_its_lines(client, make, two_brands):
    both = _place_two_brands(client, two_brands, qty_a=2, qty_b=1)
    only_b = _post_order(client, two_brands["storefront"], [{"product_id": two_brands["product_b"]["id"], "quantity": 3}])
    assert only_b.status_code == 201
    only_b = only_b.get_json()

    page_a = client.get(f"{API}/brands/{two_brands['a']['id']}/orders", headers=two_brands["a"]["owner"].headers)
    page_b = client.get(f"{API}/brands/{two_brands['b']['id']}/orders", headers=two_brands["b"]["owner"].headers)
    page_c = client.get(f"{API}/brands/{two_brands['c']['id']}/orders", headers=two_brands["c"]["owner"].headers)

    assert page_a.status_code == 200, page_a.get_json()
    body_a = page_a.get_json()
    assert [o["id"] for o in body_a["items"]] == [both["id"]]
    assert body_a["meta"]["total"] == 1
    assert [line["product_id"] for line in body_a["items"][0]["lines"]] == [two_brands["product_a"]["id"]]
    assert body_a["items"][0]["total"] == 2000
    body_b = page_b.get_json()
    assert [o["id"] for o in body_b["items"]] == [only_b["id"], both["id"]]
    assert [o["total"] for o in body_b["items"]] == [9000, 3000]
    assert all(line["brand_id"] == two_brands["b"]["id"] for o in body_b["items"] for line in o["lines"])
    assert page_c.get_json()["items"] == []

    admin = client.get(f"{API}/brands/{two_brands['a']['id']}/orders", headers=make.actor("admin").headers)
    assert admin.status_code == 200
    assert [o["id"] for o in admin.get_json()["items"]] == [both["id"]]


def test_get_brand_orders_filters_by_status(client, two_brands):
    kept = _place_two_brands(client, two_brands)
    canceled = _place_two_brands(client, two_brands)
    response = client.post(f"{API}/orders/{canceled['id']}/cancel", query_string={"token": canceled["access_token"]})
    assert response.status_code == 200, response.get_json()
    url = f"{API}/brands/{two_brands['a']['id']}/orders"
    headers = two_brands["a"]["owner"].headers

    def ids(status):
        page = client.get(url, query_string={"status": status}, headers=headers)
        assert page.status_code == 200, page.get_json()
        return [o["id"] for o in page.get_json()["items"]]

    assert ids("pending_payment") == [kept["id"]]
    assert ids("canceled") == [canceled["id"]]
    assert ids("paid") == []
    _assert_error(client.get(url, query_string={"status": "shipped"}, headers=headers), 422)


def test_get_brand_orders_filters_by_time_window(client, two_brands):
    order = _place_two_brands(client, two_brands)
    created = datetime.fromisoformat(order["created_at"])
    url = f"{API}/brands/{two_brands['a']['id']}/orders"
    headers = two_brands["a"]["owner"].headers
    plus5 = timezone(timedelta(hours=5))
    minus5 = timezone(timedelta(hours=-5))

    def ids(**window):
        args = {key: value.isoformat() for key, value in window.items()}
        page = client.get(url, query_string=args, headers=headers)
        assert page.status_code == 200, page.get_json()
        return [o["id"] for o in page.get_json()["items"]]

    # Offsets other than UTC must be converted, not compared as wall-clock text.
    assert ids(**{"from": (created - timedelta(minutes=1)).astimezone(plus5)}) == [order["id"]]
    assert ids(to=(created + timedelta(minutes=1)).astimezone(minus5)) == [order["id"]]
    assert ids(**{"from": created - timedelta(minutes=1), "to": created + timedelta(minutes=1)}) == [order["id"]]
    assert ids(**{"from": created}) == [order["id"]]  # inclusive
    assert ids(to=created) == []  # exclusive
    assert ids(to=created - timedelta(hours=1)) == []
    assert ids(**{"from": created + timedelta(minutes=1)}) == []


def test_get_brand_orders_naive_timestamp_is_422(client, two_brands):
    url = f"{API}/brands/{two_brands['a']['id']}/orders"

    response = client.get(url, query_string={"from": "2026-01-01T00:00:00"}, headers=two_brands["a"]["owner"].headers)

    body = _assert_error(response, 422)
    assert "from" in body["errors"]["query"]


def test_get_brand_orders_non_member_is_403(client, two_brands):
    _place_two_brands(client, two_brands)

    response = client.get(f"{API}/brands/{two_brands['a']['id']}/orders", headers=two_brands["c"]["owner"].headers)

    _assert_error(response, 403, reason="not_brand_member")


def test_get_brand_orders_shopper_is_403(client, make, two_brands):
    response = client.get(f"{API}/brands/{two_brands['a']['id']}/orders", headers=make.actor("shopper").headers)

    _assert_error(response, 403, reason="wrong_role")


def test_get_brand_orders_anonymous_is_401(client, two_brands):
    _assert_error(client.get(f"{API}/brands/{two_brands['a']['id']}/orders"), 401)


# ------------------------------------------------------------------ cancel


def test_cancel_order_with_token_releases_stock(client, shop):
    order = _place(client, shop, quantity=3)
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 3, 7)

    response = client.post(f"{API}/orders/{order['id']}/cancel", query_string={"token": order["access_token"]})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "canceled"
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 0, 10)
    stored = _read(client, order).get_json()
    assert stored["status"] == "canceled"
    assert [(e["from_status"], e["to_status"], e["cause"]) for e in stored["events"]] == [
        (None, "pending_payment", "order placed"),
        ("pending_payment", "canceled", "canceled by the shopper"),
    ]


def test_cancel_order_response_includes_the_cancel_event(client, shop):
    order = _place(client, shop)

    body = client.post(f"{API}/orders/{order['id']}/cancel", query_string={"token": order["access_token"]}).get_json()

    assert [(e["to_status"], e["cause"]) for e in body["events"]] == [
        ("pending_payment", "order placed"),
        ("canceled", "canceled by the shopper"),
    ]


def test_cancel_order_with_order_bearer_and_as_signed_in_buyer(client, make, shop):
    buyer = make.actor("shopper")
    mine = _place(client, shop, quantity=1, headers=buyer.headers)
    anonymous = _place(client, shop, quantity=2)

    by_account = client.post(f"{API}/orders/{mine['id']}/cancel", headers=buyer.headers)
    by_bearer = client.post(
        f"{API}/orders/{anonymous['id']}/cancel", headers={"Authorization": f"Bearer {anonymous['access_token']}"}
    )

    assert (by_account.status_code, by_account.get_json()["status"]) == (200, "canceled")
    assert (by_bearer.status_code, by_bearer.get_json()["status"]) == (200, "canceled")
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 0, 10)


def test_cancel_order_twice_is_409(client, shop):
    order = _place(client, shop)
    url = f"{API}/orders/{order['id']}/cancel"
    assert client.post(url, query_string={"token": order["access_token"]}).status_code == 200

    response = client.post(url, query_string={"token": order["access_token"]})

    _assert_error(response, 409, reason="illegal_transition")
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 0, 10)  # not released twice
    assert len(_read(client, order).get_json()["events"]) == 2


def test_cancel_order_without_token_is_404(client, make, shop):
    order = _place(client, shop, quantity=2)
    url = f"{API}/orders/{order['id']}/cancel"

    _assert_error(client.post(url), 404)
    _assert_error(client.post(url, query_string={"token": "ord_nope"}), 404)
    _assert_error(client.post(url, headers=make.actor("shopper").headers), 404)
    _assert_error(client.post(url, headers=shop["brand"]["owner"].headers), 404)

    assert _read(client, order).get_json()["status"] == "pending_payment"
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 2, 8)


def test_cancel_order_unknown_id_is_404(client):
    _assert_error(client.post(f"{API}/orders/999999/cancel", query_string={"token": "ord_x"}), 404)


def test_cancel_order_queues_payment_intent_cancel_for_the_worker(client, app, redis, localstripe_url, shop):
    order = _place(client, shop)
    intent_id = order["payment"]["payment_intent_id"]
    stripe_client = _stripe(app, localstripe_url)
    queue = Queue("default", connection=redis)

    response = client.post(f"{API}/orders/{order['id']}/cancel", query_string={"token": order["access_token"]})

    assert response.status_code == 200, response.get_json()
    assert queue.count == 1
    assert queue.jobs[0].func_name == "workers.jobs.cancel_payment_intent"
    assert queue.jobs[0].args == (order["id"],)
    assert stripe_client.v1.payment_intents.retrieve(intent_id).status != "canceled"

    assert AppSimpleWorker(["default"], connection=redis, app=app).work(burst=True)

    assert queue.count == 0
    assert queue.finished_job_registry.count == 1
    assert stripe_client.v1.payment_intents.retrieve(intent_id).status == "canceled"


def test_cancel_order_without_redis_cancels_payment_intent_inline(client, app, localstripe_url, shop):
    assert app.extensions["redis"] is None
    order = _place(client, shop)

    response = client.post(f"{API}/orders/{order['id']}/cancel", query_string={"token": order["access_token"]})

    assert response.status_code == 200, response.get_json()
    intent = _stripe(app, localstripe_url).v1.payment_intents.retrieve(order["payment"]["payment_intent_id"])
    assert intent.status == "canceled"


# ------------------------------------------------------------------ expiry


def test_get_order_past_reservation_expires_it(client, app, shop):
    order = _place(client, shop, quantity=4)
    _age(app, order["id"])

    response = _read(client, order)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "expired"
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 0, 10)
    stored = _read(client, order).get_json()
    assert stored["status"] == "expired"
    last = stored["events"][-1]
    assert (last["from_status"], last["to_status"]) == ("pending_payment", "expired")
    assert "reservation" in last["cause"]
    assert len(stored["events"]) == 2


def test_get_order_past_reservation_response_includes_the_expiry_event(client, app, shop):
    order = _place(client, shop)
    _age(app, order["id"])

    body = _read(client, order).get_json()

    assert body["status"] == "expired"
    assert [e["to_status"] for e in body["events"]] == ["pending_payment", "expired"]


def test_cancel_order_after_expiry_is_409(client, app, shop):
    order = _place(client, shop, quantity=4)
    _age(app, order["id"])
    assert _read(client, order).get_json()["status"] == "expired"

    response = client.post(f"{API}/orders/{order['id']}/cancel", query_string={"token": order["access_token"]})

    _assert_error(response, 409, reason="illegal_transition")
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 0, 10)


def test_expire_due_orders_expires_only_due_orders(client, app, shop):
    due = _place(client, shop, quantity=3)
    also_due = _place(client, shop, quantity=1)
    fresh = _place(client, shop, quantity=2)
    _age(app, due["id"], minutes=5)
    _age(app, also_due["id"], minutes=1)
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 6, 4)

    from marketplace.orders.services import expire_due_orders

    with app.app_context():
        assert expire_due_orders() == 2
    with app.app_context():
        assert expire_due_orders() == 0

    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 2, 8)
    assert _read(client, due).get_json()["status"] == "expired"
    assert _read(client, also_due).get_json()["status"] == "expired"
    assert _read(client, fresh).get_json()["status"] == "pending_payment"
    with app.app_context():
        events = db.session.get(Order, due["id"]).events
        assert [(e.to_status, "reservation" in e.cause) for e in events] == [
            (OrderStatus.PENDING_PAYMENT, False),
            (OrderStatus.EXPIRED, True),
        ]


def test_expire_due_orders_leaves_canceled_orders_alone(client, app, shop):
    order = _place(client, shop, quantity=3)
    assert client.post(f"{API}/orders/{order['id']}/cancel", query_string={"token": order["access_token"]}).status_code == 200
    _age(app, order["id"])

    from marketplace.orders.services import expire_due_orders

    with app.app_context():
        assert expire_due_orders() == 0

    assert _read(client, order).get_json()["status"] == "canceled"
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 0, 10)  # released once, not twice


# ------------------------------------------------------- stock vs. products


def test_patch_product_stock_below_reserved_is_409(client, shop):
    _place(client, shop, quantity=4)
    url = f"{API}/products/{shop['product']['id']}"
    headers = shop["brand"]["owner"].headers

    response = client.patch(url, json={"stock": 3}, headers=headers)

    body = _assert_error(response, 409, reason="stock_reserved")
    assert "stock" in body["errors"]
    assert _stock(client, shop["brand"], shop["product"]["id"]) == (10, 4, 6)

    at_reserved = client.patch(url, json={"stock": 4}, headers=headers)
    assert at_reserved.status_code == 200, at_reserved.get_json()
    assert (at_reserved.get_json()["stock"], at_reserved.get_json()["available"]) == (4, 0)


def test_patch_product_stock_after_cancel_is_allowed(client, shop):
    order = _place(client, shop, quantity=4)
    client.post(f"{API}/orders/{order['id']}/cancel", query_string={"token": order["access_token"]})

    response = client.patch(
        f"{API}/products/{shop['product']['id']}", json={"stock": 0}, headers=shop["brand"]["owner"].headers
    )

    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["stock"], response.get_json()["reserved"]) == (0, 0)
