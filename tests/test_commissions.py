"""The commission ledger: amounts, rate precedence, holds, review, and refunds against every state.

Orders are paid through signed webhooks; the payment provider is the recording gateway
(localstripe cannot refund an order these tests never charged). Jobs run inline (no Redis).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from marketplace.attribution.services import attribute_order
from marketplace.commissions.models import CommissionLine
from marketplace.commissions.services import approve_due, refund_reversal, split_line
from marketplace.db import db, utcnow
from tests.fakes import RecordingGateway
from tests.stripe_events import deliver, event_body

API = "/api/v1"
BROWSER = {"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"}


# ------------------------------------------------------------------ arithmetic


def test_split_line_gives_floors_and_hands_remainders_to_the_largest():
    # 1001 × 1/3 × 10 % = 33.3667 each: floors 33, line exact 100.1 -> 100, one unit to the lowest id
    third = 333_334, 333_333, 333_333
    amounts = split_line(1001, {7: (third[0], 1000), 8: (third[1], 1000), 9: (third[2], 1000)})
    assert amounts == {7: 34, 8: 33, 9: 33}
    assert split_line(999, {1: (1_000_000, 1500)}) == {1: 149}  # 149.85 rounds down
    assert split_line(0, {1: (1_000_000, 1500)}) == {1: 0}


@settings(max_examples=300, deadline=None)
@given(
    line_total=st.integers(0, 10**9),
    shares=st.lists(st.tuples(st.integers(1, 1_000_000), st.integers(0, 10_000)), min_size=1, max_size=6),
)
def test_a_lines_commissions_never_exceed_the_exact_amount(line_total, shares):
    ppm_total = sum(ppm for ppm, _ in shares)
    normalized = {i: (ppm * 1_000_000 // ppm_total, bps) for i, (ppm, bps) in enumerate(shares)}
    amounts = split_line(line_total, normalized)
    exact = sum(Fraction(line_total * ppm * bps, 10**10) for ppm, bps in normalized.values())
    assert sum(amounts.values()) <= exact
    assert sum(amounts.values()) > exact - 1  # only the fraction of a unit is lost
    assert all(0 <= amounts[i] <= Fraction(line_total * ppm * bps, 10**10) + 1 for i, (ppm, bps) in normalized.items())
    assert amounts == split_line(line_total, dict(reversed(list(normalized.items()))))  # order-independent


@settings(max_examples=300, deadline=None)
@given(sale=st.integers(0, 10**7), line_total=st.integers(1, 10**8), refunds=st.lists(st.integers(1, 10**8), max_size=6))
def test_refunds_reverse_pro_rata_and_a_full_refund_brings_the_net_to_zero(sale, line_total, refunds):
    refunded, reversed_so_far = 0, 0
    for amount in refunds:
        refunded = min(line_total, refunded + amount)
        target = refund_reversal(sale, refunded, line_total)
        assert target >= reversed_so_far  # more refunded never gives back
        reversed_so_far = target
        kept = sale - target
        assert kept <= Fraction(sale * (line_total - refunded), line_total)  # never more than the kept share
        assert kept > Fraction(sale * (line_total - refunded), line_total) - 1
    assert refund_reversal(sale, line_total, line_total) == sale


# ------------------------------------------------------------------ the flow


@pytest.fixture
def gateway(app, monkeypatch):
    """The recording gateway in place of localstripe (see the module docstring)."""
    recording = RecordingGateway(app.config["STRIPE_WEBHOOK_SECRET"])
    monkeypatch.setitem(app.extensions, "payment_gateway", recording)
    return recording


@pytest.fixture
def world(make, client, gateway):
    brand = make.brand(default_commission_bps=1000, hold_days=30)
    product = make.product(brand, price=3000, stock=100)
    shops = []
    for _ in range(2):
        storefront = make.storefront()
        make.item(storefront, product)
        link = client.post(f"{API}/links", json={"storefront": storefront["slug"], "channel": "blog"},
                           headers=storefront["owner"].headers).get_json()
        influencer_id = client.get(f"{API}/me/influencer", headers=storefront["owner"].headers).get_json()["id"]
        shops.append({"storefront": storefront, "link": link, "owner": storefront["owner"], "influencer_id": influencer_id})
    return {"brand": brand, "product": product, "a": shops[0], "b": shops[1], "admin": make.actor("admin")}


_addresses = itertools.count(1)


def buy(app, shop, product, quantity=2, email="shopper@example.com", clicks=None):
    """A new shopper (own cookie jar, own address) clicks the links (default: the shop's),
    orders from the shop, and pays."""
    shopper = app.test_client()
    n = next(_addresses)
    shopper.environ_base["REMOTE_ADDR"] = f"10.0.{n // 250}.{n % 250 + 1}"
    for link in clicks if clicks is not None else [shop["link"]]:
        shopper.get(f"/r/{link['code']}", headers=BROWSER)
    order = shopper.post(f"{API}/orders", json={
        "storefront": shop["storefront"]["slug"], "items": [{"product_id": product["id"], "quantity": quantity}], "email": email,
    }).get_json()
    assert deliver(shopper, app, event_body("payment_intent.succeeded", order)).status_code == 200
    return order


def lines(app, **where):
    with app.app_context():
        query = select(CommissionLine).order_by(CommissionLine.id)
        for name, value in where.items():
            query = query.where(getattr(CommissionLine, name) == value)
        return db.session.scalars(query).all()


def refund(client, order, brand, quantity=None, amount=None):
    entry = {"line_id": order["lines"][0]["id"], **({"quantity": quantity} if quantity else {"amount": amount})}
    response = client.post(f"{API}/orders/{order['id']}/refunds", json={"lines": [entry], "reason": "returned"},
                           headers=brand["owner"].headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def age(app, days):
    """Move every hold into the past, as if ``days`` had gone by."""
    with app.app_context():
        for line in db.session.scalars(select(CommissionLine)):
            line.hold_until -= timedelta(days=days)
        db.session.commit()
        return approve_due()


def test_a_credited_sale_earns_a_pending_commission_shown_to_the_influencer(app, client, world):
    order = buy(app, world["a"], world["product"])  # 2 × 30.00

    [sale] = lines(app)
    assert (sale.kind.value, sale.state.value, sale.amount, sale.currency) == ("sale", "pending", 600, "USD")
    assert (sale.basis_amount, sale.fraction_ppm, sale.rate_bps, sale.rate_source.value) == (6000, 1_000_000, 1000, "brand_default")
    with app.app_context():
        from marketplace.orders.models import Order
        paid_at = db.session.get(Order, order["id"]).paid_at
    assert sale.hold_until == paid_at + timedelta(days=30)

    owner = world["a"]["owner"]
    body = client.get(f"{API}/me/commissions", headers=owner.headers).get_json()
    assert [(i["order_id"], i["amount"], i["state"]) for i in body["items"]] == [(order["id"], 600, "pending")]
    assert body["totals"] == [{"currency": "USD", "state": "pending", "amount": 600, "lines": 1}]
    [balance] = client.get(f"{API}/me/balance", headers=owner.headers).get_json()
    assert balance == {"currency": "USD", "pending": 600, "approved": 0, "held": 0, "paid": 0, "in_payout": 0,
                       "payable": 0, "owed": 600}
    assert client.get(f"{API}/me/commissions", headers=world["b"]["owner"].headers).get_json()["items"] == []
    owed = client.get(f"{API}/brands/{world['brand']['id']}/commissions", headers=world["brand"]["owner"].headers).get_json()
    assert [(o["influencer_id"], o["pending"], o["owed"]) for o in owed] == [(world["a"]["influencer_id"], 600, 600)]


def test_filters_of_my_commissions(app, client, world, make):
    buy(app, world["a"], world["product"])
    other_brand = make.brand()
    other_product = make.product(other_brand, price=1000)
    make.item(world["a"]["storefront"], other_product)
    buy(app, world["a"], other_product, quantity=1)
    owner = world["a"]["owner"]

    only_other = client.get(f"{API}/me/commissions", query_string={"brand_id": other_brand["id"]}, headers=owner.headers).get_json()
    assert [i["amount"] for i in only_other["items"]] == [100]
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert client.get(f"{API}/me/commissions", query_string={"from": future}, headers=owner.headers).get_json()["items"] == []
    assert client.get(f"{API}/me/commissions", query_string={"state": "paid"}, headers=owner.headers).get_json()["items"] == []
    bad = client.get(f"{API}/me/commissions", query_string={"state": "bogus"}, headers=owner.headers)
    assert bad.status_code == 422 and "state" in bad.get_json()["errors"]["query"]


def test_rate_precedence_influencer_product_then_influencer_then_product_then_brand(app, client, world, make):
    brand, owner = world["brand"], world["brand"]["owner"]
    shop = world["a"]
    priced = make.product(brand, price=1000, stock=10, commission_bps=1500)
    make.item(shop["storefront"], priced)
    terms_url = f"{API}/brands/{brand['id']}/influencers/{shop['influencer_id']}/terms"

    def rate_of_next_sale(product):
        order = buy(app, shop, product, quantity=1)
        [sale] = lines(app, order_id=order["id"])
        return sale.rate_bps, sale.rate_source.value

    assert rate_of_next_sale(world["product"]) == (1000, "brand_default")
    assert rate_of_next_sale(priced) == (1500, "product")
    response = client.put(terms_url, json={"commission_bps": 2000, "product_rates": [{"product_id": priced["id"], "commission_bps": 2500}]},
                          headers=owner.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["brand_default_bps"] == 1000
    assert rate_of_next_sale(world["product"]) == (2000, "influencer")
    assert rate_of_next_sale(priced) == (2500, "influencer_product")
    # Replacing the terms removes what the new body does not name.
    client.put(terms_url, json={"commission_bps": None}, headers=owner.headers)
    assert client.get(terms_url, headers=owner.headers).get_json()["product_rates"] == []
    assert rate_of_next_sale(priced) == (1500, "product")


def test_terms_refuse_another_brands_product_and_duplicates(client, world, make):
    brand, owner = world["brand"], world["brand"]["owner"]
    url = f"{API}/brands/{brand['id']}/influencers/{world['a']['influencer_id']}/terms"
    foreign = make.product(make.brand())
    response = client.put(url, json={"product_rates": [{"product_id": foreign["id"], "commission_bps": 100}]}, headers=owner.headers)
    assert response.status_code == 422 and "product_rates.0.product_id" in response.get_json()["errors"]
    twice = [{"product_id": world["product"]["id"], "commission_bps": 100}] * 2
    assert client.put(url, json={"product_rates": twice}, headers=owner.headers).status_code == 422
    assert client.put(url, json={"commission_bps": 10001}, headers=owner.headers).status_code == 422
    assert client.put(f"{API}/brands/{brand['id']}/influencers/999999/terms", json={}, headers=owner.headers).status_code == 404


def test_split_credit_commissions_follow_each_influencers_fraction(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "ATTRIBUTION_MODEL", "linear")
    order = buy(app, world["a"], world["product"], quantity=1, clicks=[world["a"]["link"], world["b"]["link"], world["a"]["link"]])

    sales = {s.influencer_id: s for s in lines(app, order_id=order["id"])}
    # One shopper, three clicks: a's repeat within the hour counts once, so a and b get half each.
    assert {who: (s.fraction_ppm, s.amount) for who, s in sales.items()} == {
        world["a"]["influencer_id"]: (500_000, 150), world["b"]["influencer_id"]: (500_000, 150)}


def test_hold_passes_then_approve_due_approves(app, client, world, runner):
    buy(app, world["a"], world["product"])
    assert age(app, 29) == 0  # a day left
    assert [s.state.value for s in lines(app)] == ["pending"]
    assert age(app, 2) == 1
    assert [s.state.value for s in lines(app)] == ["approved"]
    assert "0 commission lines approved" in runner.invoke(args=["commissions", "approve-due"]).output  # idempotent


def test_attribution_job_twice_keeps_one_sale_line(app, world):
    order = buy(app, world["a"], world["product"])
    with app.app_context():
        attribute_order(order["id"])
        attribute_order(order["id"])
    assert [(s.kind.value, s.state.value) for s in lines(app)] == [("sale", "pending")]


# ------------------------------------------------------------------ self-referral and review


def test_self_referral_is_held_and_the_brand_releases_or_cancels_it(app, client, world):
    influencer = world["a"]["owner"]
    own = buy(app, world["a"], world["product"], email=influencer.email)
    other = buy(app, world["a"], world["product"], email=influencer.email)
    assert [(s.state.value, s.self_referral, s.state_reason) for s in lines(app)] == [
        ("held", True, "self-referral: the buyer is the influencer")] * 2
    balance = client.get(f"{API}/me/balance", headers=influencer.headers).get_json()[0]
    assert (balance["held"], balance["owed"]) == (1200, 0)

    review_url = lambda s: f"{API}/commissions/{s.id}/review"  # noqa: E731
    first, second = (lines(app, order_id=o["id"])[0] for o in (own, other))
    stranger = client.post(review_url(first), json={"action": "release", "reason": "looks fine"}, headers=world["b"]["owner"].headers)
    assert stranger.status_code == 403  # an influencer may not review
    brand_owner = world["brand"]["owner"]
    released = client.post(review_url(first), json={"action": "release", "reason": "gift for a friend"}, headers=brand_owner.headers)
    assert released.status_code == 200, released.get_json()
    assert released.get_json()["state"] == "pending"  # its hold has not passed
    assert "gift for a friend" in released.get_json()["state_reason"]
    canceled = client.post(review_url(second), json={"action": "cancel", "reason": "own purchase"}, headers=world["admin"].headers)
    assert canceled.get_json()["state"] == "canceled"
    again = client.post(review_url(second), json={"action": "release", "reason": "changed mind"}, headers=brand_owner.headers)
    assert (again.status_code, again.get_json()["reason"]) == (409, "invalid_state")
    missing_reason = client.post(review_url(first), json={"action": "hold"}, headers=brand_owner.headers)
    assert missing_reason.status_code == 422 and "reason" in missing_reason.get_json()["errors"]["json"]
    held_again = client.post(review_url(first), json={"action": "hold", "reason": "suspected fraud"}, headers=brand_owner.headers)
    assert held_again.get_json()["state"] == "held"
    listed = client.get(f"{API}/brands/{world['brand']['id']}/commission-lines", query_string={"state": "held"},
                        headers=brand_owner.headers).get_json()
    assert [i["id"] for i in listed["items"]] == [first.id]


# ------------------------------------------------------------------ refunds against every state


def net_of(app, order):
    return sum(s.amount for s in lines(app, order_id=order["id"]) if s.state.value != "canceled")


def test_partial_refund_before_approval_adds_a_pending_negative_line(app, client, world):
    order = buy(app, world["a"], world["product"], quantity=3)  # 9000 -> 900
    refund(client, order, world["brand"], quantity=1)  # a third back

    sale, reversal = lines(app)
    assert (reversal.kind.value, reversal.state.value, reversal.amount, reversal.reverses_id) == ("refund", "pending", -300, sale.id)
    assert (reversal.hold_until, reversal.basis_amount) == (sale.hold_until, 3000)
    assert sale.amount == 900  # never edited
    refund(client, order, world["brand"], amount=6000)  # the rest: net exactly zero
    assert net_of(app, order) == 0


def test_refund_after_approval_is_approved_at_once(app, client, world):
    order = buy(app, world["a"], world["product"], quantity=3)
    age(app, 31)
    refund(client, order, world["brand"], amount=1001)  # 1001 of 9000: reverse ceil(900 × 1001 / 9000) = 101

    assert [(s.state.value, s.amount) for s in lines(app)] == [("approved", 900), ("approved", -101)]
    assert net_of(app, order) == 799


def test_refund_of_a_held_line_is_held_and_follows_its_review(app, client, world):
    owner = world["a"]["owner"]
    order = buy(app, world["a"], world["product"], email=owner.email)
    refund(client, order, world["brand"], quantity=1)
    sale, reversal = lines(app)
    assert (sale.state.value, reversal.state.value, reversal.amount) == ("held", "held", -300)
    client.post(f"{API}/commissions/{sale.id}/review", json={"action": "cancel", "reason": "own order"}, headers=world["admin"].headers)
    assert [s.state.value for s in lines(app)] == ["canceled", "canceled"]
    assert client.post(f"{API}/commissions/{reversal.id}/review", json={"action": "release", "reason": "x-y-z"},
                       headers=world["admin"].headers).get_json()["reason"] == "not_a_sale_line"


def test_a_refund_the_provider_refuses_undoes_its_reversal(app, client, world, gateway):
    order = buy(app, world["a"], world["product"], quantity=2)
    gateway.fail_next = "refund"
    response = client.post(f"{API}/orders/{order['id']}/refunds", headers=world["brand"]["owner"].headers,
                           json={"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "returned"})
    assert response.status_code == 502
    assert [s.amount for s in lines(app)] == [600, -300, 300]  # appended, never edited
    assert net_of(app, order) == 600


def test_refund_larger_than_what_remains_is_refused_and_adds_nothing(app, client, world):
    order = buy(app, world["a"], world["product"], quantity=2)
    refund(client, order, world["brand"], quantity=1)
    response = client.post(f"{API}/orders/{order['id']}/refunds", headers=world["brand"]["owner"].headers,
                           json={"lines": [{"line_id": order["lines"][0]["id"], "amount": 3001}], "reason": "too much"})
    assert (response.status_code, response.get_json()["reason"]) == (422, "refund_exceeds_paid")
    assert [s.amount for s in lines(app)] == [600, -300]


def test_refund_before_attribution_is_reversed_when_the_commission_appears(app, client, world):
    order = buy(app, world["a"], world["product"], quantity=2)
    with app.app_context():
        db.session.execute(CommissionLine.__table__.delete())
        db.session.commit()
    refund(client, order, world["brand"], quantity=2)  # the whole line, before any commission exists
    with app.app_context():
        attribute_order(order["id"])
    assert [s.amount for s in lines(app)] == [600, -600]


# ------------------------------------------------------------------ rebuilds


def test_rebuild_replaces_unpaid_commissions_and_never_touches_paid_ones(app, client, world):
    two_clicks = [world["a"]["link"], world["b"]["link"]]
    unpaid = buy(app, world["a"], world["product"], quantity=1, clicks=two_clicks)
    paid = buy(app, world["a"], world["product"], quantity=1, clicks=two_clicks)
    [paid_sale] = lines(app, order_id=paid["id"])
    with app.app_context():  # as a payout would have left it
        db.session.execute(update(CommissionLine).where(CommissionLine.id == paid_sale.id).values(state="paid"))
        db.session.commit()
        for order in (unpaid, paid):
            attribute_order(order["id"], "first_click")  # a model change: a's click was first

    b, a = world["b"]["influencer_id"], world["a"]["influencer_id"]
    assert [(s.influencer_id, s.state.value, s.amount) for s in lines(app, order_id=unpaid["id"])] == [
        (b, "canceled", 300), (a, "pending", 300)]
    assert [(s.influencer_id, s.state.value) for s in lines(app, order_id=paid["id"])] == [(b, "paid")]
