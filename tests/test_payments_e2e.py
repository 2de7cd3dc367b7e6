"""End to end against a real localstripe process: order, pay as Stripe.js would, receive
the signed webhook over HTTP, and see the order and the stock change."""

from __future__ import annotations

import time

import pytest
import stripe

API = "/api/v1"


@pytest.fixture
def shop(make):
    brand = make.brand()
    product = make.product(brand, price=4900, stock=5)
    storefront = make.storefront()
    make.item(storefront, product)
    return {"brand": brand, "product": product, "storefront": storefront}


def _order(client, shop, quantity=2):
    response = client.post(
        f"{API}/orders",
        json={
            "storefront": shop["storefront"]["slug"],
            "items": [{"product_id": shop["product"]["id"], "quantity": quantity}],
            "email": "buyer@example.com",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _pay(app, localstripe_url, payment_intent_id, payment_method):
    """What Stripe.js does in the browser with the client secret (here with the secret key:
    localstripe cannot take a payment method on confirm)."""
    stripe_client = stripe.StripeClient(
        app.config["STRIPE_SECRET_KEY"], base_addresses={"api": localstripe_url}
    )
    stripe_client.v1.payment_intents.update(payment_intent_id, params={"payment_method": payment_method})
    try:
        stripe_client.v1.payment_intents.confirm(payment_intent_id)
    except stripe.CardError:
        pass  # a declined card: the webhook tells the app


def _wait_for_status(client, order, wanted, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(f"{API}/orders/{order['id']}", query_string={"token": order["access_token"]}).get_json()
        if body["status"] != "pending_payment":
            assert body["status"] == wanted, body
            return body
        time.sleep(0.1)
    raise AssertionError(f"order {order['id']} still pending after {seconds}s")


def _product(client, shop):
    return client.get(f"{API}/products/{shop['product']['id']}", headers=shop["brand"]["owner"].headers).get_json()


def test_card_payment_marks_order_paid_and_takes_stock(client, app, localstripe_url, live_server, shop):
    order = _order(client, shop, quantity=2)
    assert order["payment"]["client_secret"].startswith(order["payment"]["payment_intent_id"])
    assert _product(client, shop)["reserved"] == 2

    _pay(app, localstripe_url, order["payment"]["payment_intent_id"], "pm_card_visa")

    paid = _wait_for_status(client, order, "paid")
    assert paid["paid_at"] is not None
    assert [e["to_status"] for e in paid["events"]] == ["pending_payment", "paid"]
    assert "payment_intent.succeeded" in paid["events"][-1]["cause"]
    product = _product(client, shop)
    assert (product["stock"], product["reserved"], product["available"]) == (3, 0, 3)


def test_declined_card_fails_order_and_releases_stock(client, app, localstripe_url, live_server, shop):
    order = _order(client, shop, quantity=5)
    assert _product(client, shop)["available"] == 0

    _pay(app, localstripe_url, order["payment"]["payment_intent_id"], "pm_card_chargeCustomerFail")

    failed = _wait_for_status(client, order, "payment_failed")
    assert failed["events"][-1]["to_status"] == "payment_failed"
    product = _product(client, shop)
    assert (product["stock"], product["reserved"]) == (5, 0)

