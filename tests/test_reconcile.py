"""`flask payments reconcile`: orders whose payment webhook never arrived. Uses the recording
gateway, since localstripe delivers every webhook once registered and cannot lose one."""

from datetime import timedelta

import pytest

from marketplace.db import db, utcnow
from marketplace.orders.models import Order
from tests.fakes import RecordingGateway

API = "/api/v1"


@pytest.fixture
def recording(app, monkeypatch):
    gateway = RecordingGateway(app.config["STRIPE_WEBHOOK_SECRET"])
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    return gateway


@pytest.fixture
def orders(client, make, recording):
    brand = make.brand()
    product = make.product(brand, stock=10)
    storefront = make.storefront()
    make.item(storefront, product)
    placed = []
    for _ in range(3):
        response = client.post(
            f"{API}/orders",
            json={"storefront": storefront["slug"], "items": [{"product_id": product["id"], "quantity": 1}], "email": "b@example.com"},
        )
        placed.append(response.get_json())
    return placed


def _age(app, order, minutes):
    with app.app_context():
        db.session.get(Order, order["id"]).created_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def _status(client, order):
    return client.get(f"{API}/orders/{order['id']}", query_string={"token": order["access_token"]}).get_json()["status"]


def test_reconcile_pays_orders_whose_payment_succeeded(app, client, runner, recording, orders):
    paid_silently, still_open, too_recent = orders
    for order in orders:
        recording.intent_status[order["payment"]["payment_intent_id"]] = "succeeded"
    recording.intent_status[still_open["payment"]["payment_intent_id"]] = "requires_payment_method"
    _age(app, paid_silently, 30)
    _age(app, still_open, 30)

    result = runner.invoke(args=["payments", "reconcile"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 checked, 1 paid, 1 unchanged, 0 errors, 0 stored events applied"
    assert [_status(client, o) for o in orders] == ["paid", "pending_payment", "pending_payment"]


def test_reconcile_twice_changes_nothing_more(app, client, runner, recording, orders):
    order = orders[0]
    recording.intent_status[order["payment"]["payment_intent_id"]] = "succeeded"
    _age(app, order, 30)

    runner.invoke(args=["payments", "reconcile"])
    again = runner.invoke(args=["payments", "reconcile"])

    assert again.output.strip() == "0 checked, 0 paid, 0 unchanged, 0 errors, 0 stored events applied"
    events = client.get(f"{API}/orders/{order['id']}", query_string={"token": order["access_token"]}).get_json()["events"]
    assert [e["to_status"] for e in events] == ["pending_payment", "paid"]
    assert events[-1]["cause"] == "reconciliation with Stripe"
