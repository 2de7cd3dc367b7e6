"""Data protection: what the logs never hold, and what influencers never see without consent.

The logs of a whole shopping story (sign-up, sign-in, a click from a known address, an order paid
by card at localstripe, the webhook, pages, refusals and a 500) are captured at DEBUG and
formatted as production formats them (JSON, extras included); the raw address, card data,
passwords, tokens and secrets must appear nowhere. Shopper export and deletion are in
tests/test_privacy.py.
"""

from __future__ import annotations

import logging

import stripe
from pythonjsonlogger.json import JsonFormatter

from tests.conftest import PASSWORD
from tests.stripe_events import deliver, event_body
from tests.test_access import ACCESS, ROLES, _call, _world

API = "/api/v1"
ADDRESS = "203.0.113.77"
CARD = "4242424242424242"


def _formatted(records: list[logging.LogRecord]) -> str:
    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


def test_logs_hold_no_raw_address_card_data_password_token_or_secret(app, client, make, caplog, localstripe_url,
                                                                    monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    brand = make.brand()
    product = make.product(brand, stock=5)
    influencer = make.influencer()
    shop = make.storefront(influencer)
    make.item(shop, product)
    code = client.post(f"{API}/links", json={"storefront": shop["slug"], "channel": "sms"},
                       headers=influencer.headers).get_json()["code"]
    visitor = app.test_client()
    signup = visitor.post(f"{API}/auth/signup", json={"email": "privacy@example.com", "password": PASSWORD,
                                                      "role": "shopper"})
    token = visitor.post(f"{API}/auth/token", json={"email": "privacy@example.com", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": ADDRESS}).get_json()["access_token"]
    visitor.post(f"{API}/auth/token", json={"email": "privacy@example.com", "password": "wrong " + PASSWORD})
    assert visitor.get(f"/r/{code}", environ_base={"REMOTE_ADDR": ADDRESS}, headers={"User-Agent": "Mozilla/5.0"},
                       ).status_code == 302
    order = visitor.post(f"{API}/orders", environ_base={"REMOTE_ADDR": ADDRESS}, headers={"Authorization": f"Bearer {token}"},
                         json={"storefront": shop["slug"], "items": [{"product_id": product["id"], "quantity": 1}],
                               "email": "privacy@example.com"}).get_json()
    with caplog.at_level(logging.CRITICAL):  # the browser's part (Stripe.js): the card goes to Stripe, not to us
        payments = stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], base_addresses={"api": localstripe_url})
        card = payments.v1.payment_methods.create(params={"type": "card", "card": {
            "number": CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        intent = order["payment"]["payment_intent_id"]
        payments.v1.payment_intents.update(intent, params={"payment_method": card.id})
        payments.v1.payment_intents.confirm(intent)
    assert deliver(visitor, app, event_body("payment_intent.succeeded", order)).status_code == 200
    visitor.get(f"{API}/orders/{order['id']}", query_string={"token": order["access_token"]})
    visitor.get(f"/orders/{order['id']}", query_string={"token": order["access_token"]})
    visitor.get(f"{API}/me", headers={"Authorization": f"Bearer {token}x"})  # a forged token
    visitor.post("/webhooks/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=forged"})
    monkeypatch.setattr("marketplace.brands.services.list_brands", lambda *a, **k: 1 / 0)
    assert visitor.get(f"{API}/brands", environ_base={"REMOTE_ADDR": ADDRESS}).status_code == 500

    logged = _formatted(caplog.records)

    assert signup.status_code == 201 and len(caplog.records) > 20
    assert "marketplace.access" in logged and "/api/v1/orders" in logged  # the logs were captured
    for secret in (ADDRESS, CARD, "4242 4242", PASSWORD, token, order["access_token"],
                   order["payment"]["client_secret"], app.config["SECRET_KEY"], app.config["STRIPE_SECRET_KEY"],
                   app.config["STRIPE_WEBHOOK_SECRET"], influencer.token):
        assert secret not in logged, secret


def test_influencers_never_see_the_shopper_without_consent(app, make, client):
    """Every route the influencers may read, as the influencer credited with the shopper's order
    and as another one: the shopper's email appears nowhere until the shopper consents, and
    then only in the relationships report of the influencer who brought them."""
    world = _world(app, make, 1)
    world.ids["paid"]  # the shopper's orders, one credited to the influencer
    email = world.actors["shopper"].email
    readable = [(method, rule) for (method, rule), route in ACCESS.items()
                if method == "GET" and not route.changes_the_world(method)
                and (route.expect["inf"] < 400 or route.expect["other_inf"] < 400)]

    def seen_by(role: str) -> set[str]:
        seen = set()
        for method, rule in readable:
            with _call(world, method, rule, ACCESS[(method, rule)], role) as response:
                if email in response.get_data(as_text=True):
                    seen.add(rule)
        return seen

    assert len(readable) > 15 and "inf" in ROLES
    assert seen_by("inf") == seen_by("other_inf") == set()
    shopper = world.actors["shopper"]
    assert client.patch(f"{API}/me", json={"share_with_influencers": True}, headers=shopper.headers).status_code == 200
    relationships = client.get(f"{API}/me/reports/relationships", headers=world.actors["inf"].headers).get_json()
    assert [b["shared_shoppers"] for b in relationships["brands"]] == [[email]]
    assert seen_by("other_inf") == set()
