"""Refunds: per line, by quantity or amount, never more than was paid; against localstripe
for real refunds, and against a recording gateway for what localstripe cannot do
(idempotency keys, a provider refusing, refund events)."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.fakes import RecordingGateway
from tests.stripe_events import deliver, event_body, event_for

API = "/api/v1"


@pytest.fixture
def shop(make):
    brand = make.brand()
    other_brand = make.brand()
    products = [make.product(brand, price=2000, stock=10), make.product(other_brand, price=500, stock=10)]
    storefront = make.storefront()
    for product in products:
        make.item(storefront, product)
    return {"brand": brand, "other_brand": other_brand, "products": products, "storefront": storefront}


def place(client, shop):
    response = client.post(
        f"{API}/orders",
        json={
            "storefront": shop["storefront"]["slug"],
            "items": [{"product_id": shop["products"][0]["id"], "quantity": 3}, {"product_id": shop["products"][1]["id"], "quantity": 2}],
            "email": "buyer@example.com",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def read(client, order):
    return client.get(f"{API}/orders/{order['id']}", query_string={"token": order["access_token"]}).get_json()


def refund(client, order, actor, lines, reason="damaged in transit"):
    return client.post(f"{API}/orders/{order['id']}/refunds", json={"lines": lines, "reason": reason}, headers=actor.headers)


@pytest.fixture
def paid_order(app, client, localstripe_url, live_server, shop):
    """An order paid for real at localstripe, its webhook received by the app."""
    order = place(client, shop)
    stripe_client = stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], base_addresses={"api": localstripe_url})
    intent_id = order["payment"]["payment_intent_id"]
    stripe_client.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    stripe_client.v1.payment_intents.confirm(intent_id)
    deadline = time.monotonic() + 15
    while read(client, order)["status"] != "paid":
        assert time.monotonic() < deadline, "the payment webhook never arrived"
        time.sleep(0.1)
    return order | {"stripe": stripe_client}


def line_of(order, product):
    return next(line for line in order["lines"] if line["product_id"] == product["id"])


def test_partial_then_full_refund_at_localstripe(client, shop, paid_order):
    owner, other_owner = shop["brand"]["owner"], shop["other_brand"]["owner"]
    first_line = line_of(paid_order, shop["products"][0])
    second_line = line_of(paid_order, shop["products"][1])

    partial = refund(client, paid_order, owner, [{"line_id": first_line["id"], "quantity": 1}])

    assert partial.status_code == 201, partial.get_json()
    assert (partial.get_json()["amount"], partial.get_json()["status"]) == (2000, "succeeded")
    body = read(client, paid_order)
    assert (body["status"], body["refunded_total"]) == ("partially_refunded", 2000)
    assert line_of(body, shop["products"][0])["refunded_quantity"] == 1

    rest = [
        refund(client, paid_order, owner, [{"line_id": first_line["id"], "quantity": 2}]),
        refund(client, paid_order, other_owner, [{"line_id": second_line["id"], "amount": 1000}]),
    ]

    assert [r.status_code for r in rest] == [201, 201]
    body = read(client, paid_order)
    assert (body["status"], body["refunded_total"], body["total"]) == ("refunded", 7000, 7000)
    refunds = paid_order["stripe"].v1.refunds.list(params={"payment_intent": paid_order["payment"]["payment_intent_id"]})
    assert sorted(r.amount for r in refunds.data) == [1000, 2000, 4000]


def test_refund_beyond_what_was_paid_is_refused(client, shop, paid_order):
    owner = shop["brand"]["owner"]
    line = line_of(paid_order, shop["products"][0])
    assert refund(client, paid_order, owner, [{"line_id": line["id"], "amount": 5000}]).status_code == 201

    too_many = refund(client, paid_order, owner, [{"line_id": line["id"], "quantity": 1}])
    too_much = refund(client, paid_order, owner, [{"line_id": line["id"], "amount": 1001}])

    # A quantity refund is capped by what is left of the line's money: 1 unit of 2000 > 1000 left.
    assert too_many.status_code == 201
    assert too_many.get_json()["amount"] == 1000
    assert too_much.status_code == 422
    assert too_much.get_json()["reason"] == "refund_exceeds_paid"
    body = read(client, paid_order)
    assert line_of(body, shop["products"][0])["refunded_amount"] == 6000


def test_brand_refunds_only_its_own_lines(client, make, shop, paid_order):
    other_line = line_of(paid_order, shop["products"][1])

    foreign = refund(client, paid_order, shop["brand"]["owner"], [{"line_id": other_line["id"], "quantity": 1}])
    stranger = refund(client, paid_order, make.actor("brand"), [{"line_id": other_line["id"], "quantity": 1}])
    shopper = refund(client, paid_order, make.actor("shopper"), [{"line_id": other_line["id"], "quantity": 1}])

    assert (foreign.status_code, foreign.get_json()["reason"]) == (403, "not_your_line")
    assert stranger.status_code == 404
    assert shopper.status_code == 403
    assert read(client, paid_order)["refunded_total"] == 0


def test_unpaid_order_cannot_be_refunded(client, shop):
    order = place(client, shop)
    line = line_of(order, shop["products"][0])

    response = refund(client, order, shop["brand"]["owner"], [{"line_id": line["id"], "quantity": 1}])

    assert (response.status_code, response.get_json()["reason"]) == (409, "not_refundable")


@pytest.mark.parametrize(
    "entry, field",
    [({"quantity": 1, "amount": 5}, "quantity"), ({}, "quantity"), ({"quantity": 0}, "quantity"), ({"amount": 2.5}, "amount")],
)
def test_refund_line_needs_quantity_or_amount(client, shop, paid_order, entry, field):
    line = line_of(paid_order, shop["products"][0])

    response = refund(client, paid_order, shop["brand"]["owner"], [{"line_id": line["id"], **entry}])

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]["lines"]["0"]


# ------------------------------------------- recording gateway (not localstripe)


@pytest.fixture
def recording(app, monkeypatch):
    """The recording gateway in place of localstripe: it sees exactly what Stripe would be sent."""
    gateway = RecordingGateway(app.config["STRIPE_WEBHOOK_SECRET"])
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    return gateway


def _paid_with_recording(client, app, shop):
    order = place(client, shop)
    assert deliver(client, app, event_body("payment_intent.succeeded", order)).status_code == 200
    assert read(client, order)["status"] == "paid"
    return order


def test_requests_carry_idempotency_keys_from_our_ids(client, app, shop, recording):
    order = _paid_with_recording(client, app, shop)
    line = line_of(order, shop["products"][0])

    created = refund(client, order, shop["brand"]["owner"], [{"line_id": line["id"], "quantity": 2}]).get_json()

    kinds = [(kind, request["idempotency_key"]) for kind, request in recording.requests]
    assert kinds == [("create_payment_intent", f"order-{order['id']}-payment"), ("refund", f"refund-{created['id']}")]
    assert recording.requests[0][1]["metadata"] == {"order_id": str(order["id"])}
    assert recording.requests[1][1]["amount"] == 4000


def test_provider_refusing_a_refund_gives_the_amount_back(client, app, shop, recording):
    order = _paid_with_recording(client, app, shop)
    line = line_of(order, shop["products"][0])
    recording.fail_next = "refund"

    response = refund(client, order, shop["brand"]["owner"], [{"line_id": line["id"], "quantity": 3}])

    assert (response.status_code, response.get_json()["reason"]) == (502, "payment_provider_unavailable")
    body = read(client, order)
    assert (body["status"], body["refunded_total"]) == ("paid", 0)
    assert line_of(body, shop["products"][0])["refunded_quantity"] == 0
    assert [e["to_status"] for e in body["events"]] == ["pending_payment", "paid", "partially_refunded", "paid"]


def test_refund_events_confirm_or_undo_a_pending_refund(client, app, shop, recording):
    order = _paid_with_recording(client, app, shop)
    lines = [line_of(order, product) for product in shop["products"]]
    first = refund(client, order, shop["brand"]["owner"], [{"line_id": lines[0]["id"], "quantity": 1}]).get_json()
    second = refund(client, order, shop["other_brand"]["owner"], [{"line_id": lines[1]["id"], "quantity": 2}]).get_json()
    assert first["status"] == second["status"] == "pending"  # as Stripe answers for some methods

    deliver(client, app, event_for("refund.updated", {"id": first["provider_refund_id"], "object": "refund", "status": "succeeded"}))
    failed = event_for("refund.failed", {"id": second["provider_refund_id"], "object": "refund", "status": "failed"})
    deliver(client, app, failed)
    deliver(client, app, failed)  # redelivered: nothing more

    body = read(client, order)
    assert (body["status"], body["refunded_total"]) == ("partially_refunded", 2000)
    assert line_of(body, shop["products"][1])["refunded_quantity"] == 0
    assert "failed at the provider" in body["events"][-1]["cause"]
