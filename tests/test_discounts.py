"""Discount codes: proposed by influencers, approved by brands, applied at checkout to the
brand's lines, with exact rounding and usage limits that hold under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from fractions import Fraction

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from marketplace.db import db, utcnow
from marketplace.discounts.models import DiscountCode
from marketplace.discounts.services import discount_for

API = "/api/v1"


@pytest.fixture
def shop(make):
    brand, other = make.brand(), make.brand()
    products = [make.product(brand, price=999, stock=20), make.product(other, price=2000, stock=20)]
    storefront = make.storefront()
    for product in products:
        make.item(storefront, product)
    return {"brand": brand, "other": other, "products": products, "storefront": storefront}


def propose(client, shop, code="MAYA15", bps=1500, brand=None, **fields):
    body = {"code": code, "brand_id": (brand or shop["brand"])["id"], "percent_off_bps": bps, **fields}
    return client.post(f"{API}/me/discount-codes", json=body, headers=shop["storefront"]["owner"].headers)


def decide(client, shop, code, status, brand=None):
    brand = brand or shop["brand"]
    url = f"{API}/brands/{brand['id']}/discount-codes/{code['id']}"
    return client.patch(url, json={"status": status}, headers=brand["owner"].headers)


def approved_code(client, shop, **fields):
    code = propose(client, shop, **fields).get_json()
    assert decide(client, shop, code, "approved").status_code == 200
    return code


def order(client, shop, code=None, quantities=(3, 1), client_=None):
    items = [{"product_id": p["id"], "quantity": q} for p, q in zip(shop["products"], quantities) if q]
    body = {"storefront": shop["storefront"]["slug"], "items": items, "email": "b@example.com"}
    if code:
        body["discount_code"] = code
    return (client_ or client).post(f"{API}/orders", json=body)


def times_used(app, code) -> int:
    with app.app_context():
        return db.session.get(DiscountCode, code["id"]).times_used


def test_approved_code_discounts_only_its_brands_lines(app, client, localstripe_url, shop):
    code = approved_code(client, shop)

    response = order(client, shop, code="maya15")  # codes are case-insensitive

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    ours, theirs = body["lines"]
    # 3 × 999 = 2997; 15 % = 449.55, rounded half up to 450
    assert (ours["discount_amount"], ours["line_total"]) == (450, 2547)
    assert (theirs["discount_amount"], theirs["line_total"]) == (0, 2000)
    assert (body["discount_total"], body["total"], body["discount_code_id"]) == (450, 4547, code["id"])
    intent = stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], base_addresses={"api": localstripe_url})
    assert intent.v1.payment_intents.retrieve(body["payment"]["payment_intent_id"]).amount == 4547
    assert times_used(app, code) == 1


@pytest.mark.parametrize("status", ["pending", "rejected", "revoked"])
def test_code_that_is_not_approved_is_refused(client, shop, status):
    code = propose(client, shop).get_json()
    if status == "rejected":
        decide(client, shop, code, "rejected")
    if status == "revoked":
        decide(client, shop, code, "approved")
        decide(client, shop, code, "revoked")

    response = order(client, shop, code="MAYA15")

    assert response.status_code == 422
    assert response.get_json()["reason"] == "invalid_discount_code"
    assert "discount_code" in response.get_json()["errors"]


def test_expired_code_is_refused(client, shop):
    approved_code(client, shop, expires_at=(utcnow() + timedelta(days=1)).isoformat())
    with_future = order(client, shop, code="MAYA15")
    assert with_future.status_code == 201
    code2 = approved_code(client, shop, code="OLD10", expires_at=(utcnow() - timedelta(days=1)).isoformat())

    response = order(client, shop, code=code2["code"])

    assert response.status_code == 422
    assert response.get_json()["errors"]["discount_code"] == ["this code has expired"]


def test_code_for_another_brand_is_refused(client, make, shop):
    third = make.brand()
    approved = propose(client, shop, code="THIRD5", brand=third).get_json()
    decide(client, shop, approved, "approved", brand=third)

    response = order(client, shop, code="THIRD5")

    assert response.status_code == 422
    assert response.get_json()["reason"] == "invalid_discount_code"


def test_usage_limit_counts_placed_orders_and_gives_back_canceled_ones(app, client, shop):
    code = approved_code(client, shop, usage_limit=1)
    first = order(client, shop, code="MAYA15").get_json()

    second = order(client, shop, code="MAYA15")
    assert second.status_code == 422
    assert second.get_json()["errors"]["discount_code"] == ["this code has been used up"]

    canceled = client.post(f"{API}/orders/{first['id']}/cancel", query_string={"token": first["access_token"]})
    assert canceled.status_code == 200
    assert times_used(app, code) == 0
    assert order(client, shop, code="MAYA15").status_code == 201


def test_usage_limit_holds_under_concurrent_checkouts(app, client, shop):
    code = approved_code(client, shop, usage_limit=2)
    barrier = threading.Barrier(6)
    statuses = []

    def checkout():
        local = app.test_client()
        barrier.wait()
        statuses.append(order(client, shop, code="MAYA15", quantities=(1, 0), client_=local).status_code)

    threads = [threading.Thread(target=checkout) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Losers are told the code is used up: 422 if they read it so, 409 if it ran out under them.
    assert statuses.count(201) == 2
    assert set(statuses) - {201} <= {409, 422}
    assert times_used(app, code) == 2


def test_proposals_are_validated(client, shop):
    assert propose(client, shop).status_code == 201
    taken = propose(client, shop, code="maya15")
    too_generous = propose(client, shop, code="HALF", bps=9500)
    bad_chars = propose(client, shop, code="NO SPACES")

    assert (taken.status_code, taken.get_json()["reason"]) == (409, "code_taken")
    assert too_generous.status_code == 422 and "percent_off_bps" in too_generous.get_json()["errors"]["json"]
    assert bad_chars.status_code == 422 and "code" in bad_chars.get_json()["errors"]["json"]


def test_brand_decisions_follow_the_code_lifecycle(client, shop):
    code = propose(client, shop).get_json()

    revoke_pending = decide(client, shop, code, "revoked")
    approve = decide(client, shop, code, "approved")
    reject_approved = decide(client, shop, code, "rejected")

    assert (revoke_pending.status_code, revoke_pending.get_json()["reason"]) == (409, "illegal_transition")
    assert approve.get_json()["status"] == "approved"
    assert reject_approved.status_code == 409


@given(subtotal=st.integers(0, 10**12), bps=st.integers(1, 9000))
def test_discount_is_the_exact_percentage_rounded_half_up(subtotal, bps):
    code = DiscountCode(percent_off_bps=bps)

    discount = discount_for(subtotal, code)

    exact = Fraction(subtotal * bps, 10_000)
    assert abs(discount - exact) <= Fraction(1, 2)
    assert discount - exact != Fraction(-1, 2)  # halves round up
    # Never more than the subtotal; at most 90 % off, so only a few minor units can round to all of it.
    assert 0 <= discount <= subtotal
    assert discount < subtotal or subtotal <= 5


def test_refunds_of_discounted_units_follow_the_net_price(app, client, shop, monkeypatch):
    """Paid through a signed event with the recording gateway (no card needed for the point)."""
    from tests.fakes import RecordingGateway
    from tests.stripe_events import deliver, event_body

    monkeypatch.setitem(app.extensions, "payment_gateway", RecordingGateway(app.config["STRIPE_WEBHOOK_SECRET"]))
    approved_code(client, shop)
    placed = order(client, shop, code="MAYA15", quantities=(3, 0)).get_json()
    deliver(client, app, event_body("payment_intent.succeeded", placed))
    line = placed["lines"][0]
    url = f"{API}/orders/{placed['id']}/refunds"
    owner = shop["brand"]["owner"]

    one = client.post(url, json={"lines": [{"line_id": line["id"], "quantity": 1}], "reason": "x"}, headers=owner.headers)
    rest = client.post(url, json={"lines": [{"line_id": line["id"], "quantity": 2}], "reason": "x"}, headers=owner.headers)

    # 2547 paid for 3 units: 849 for one, and the last two take exactly what is left
    assert (one.get_json()["amount"], rest.get_json()["amount"]) == (849, 1698)
    body = client.get(f"{API}/orders/{placed['id']}", query_string={"token": placed["access_token"]}).get_json()
    assert (body["status"], body["refunded_total"]) == ("refunded", 2547)
