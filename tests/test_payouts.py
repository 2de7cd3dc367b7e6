"""Payouts and brand settlements: Connect accounts, exactly-once transfers, netting, failures.

localstripe has no Stripe Connect (accounts, account links, transfers), so these tests put
the recording gateway at the boundary: it asserts the exact parameters and idempotency
keys the SDK would be given, and answers as Stripe does (one result per idempotency key).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import stripe
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import db, utcnow
from marketplace.payouts import services as payouts
from marketplace.payouts.models import Payout
from tests.stripe_events import deliver, event_for
from tests.test_commissions import API, age, buy, gateway, lines, refund, world  # noqa: F401 - fixtures


def ready_event(account_id: str, ready: bool = True) -> str:
    return event_for("account.updated", {
        "id": account_id, "object": "account", "details_submitted": ready, "payouts_enabled": ready,
        "capabilities": {"transfers": "active" if ready else "inactive"},
    })


def connect(client, app, actor, url=f"{API}/me/payout-account"):
    response = client.post(url, headers=actor.headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert deliver(client, app, ready_event(body["stripe_account_id"])).status_code == 200
    return body


def run(app):
    with app.app_context():
        return payouts.run_payouts()


def payout_rows(app):
    with app.app_context():
        return db.session.scalars(select(Payout).order_by(Payout.id)).all()


def test_connecting_creates_one_express_account_and_follows_account_updated(app, client, world, gateway):
    owner = world["a"]["owner"]
    first = client.post(f"{API}/me/payout-account", headers=owner.headers).get_json()
    again = client.post(f"{API}/me/payout-account", headers=owner.headers).get_json()

    assert first["stripe_account_id"] == again["stripe_account_id"]
    assert first["onboarding_url"].startswith("https://connect.stripe.test/setup/")
    creates = [r for kind, r in gateway.requests if kind == "create_connected_account"]
    influencer_id = world["a"]["influencer_id"]
    assert creates == [{"email": owner.email, "idempotency_key": f"payout-account-influencer-{influencer_id}",
                        "metadata": {"payee": f"influencer-{influencer_id}"}}]
    links = [r for kind, r in gateway.requests if kind == "create_account_link"]
    assert links[0]["account_id"] == first["stripe_account_id"] and links[0]["return_url"].endswith("/dashboard/payouts")
    assert first["ready"] is False

    deliver(client, app, ready_event(first["stripe_account_id"]))
    assert client.get(f"{API}/me/payout-account", headers=owner.headers).get_json()["ready"] is True
    deliver(client, app, ready_event(first["stripe_account_id"], ready=False))  # Stripe needs more documents
    assert client.get(f"{API}/me/payout-account", headers=owner.headers).get_json()["ready"] is False


def test_a_provider_failure_while_connecting_is_a_502_with_nothing_stored(app, client, world, gateway):
    gateway.fail_next = "create_connected_account"
    response = client.post(f"{API}/me/payout-account", headers=world["a"]["owner"].headers)
    assert (response.status_code, response.get_json()["reason"]) == (502, "payment_provider_unavailable")
    assert client.get(f"{API}/me/payout-account", headers=world["a"]["owner"].headers).status_code == 404


def test_approved_commissions_are_paid_once_with_exact_transfer_parameters(app, client, world, gateway):
    account = connect(client, app, world["a"]["owner"])
    orders = [buy(app, world["a"], world["product"], quantity=q) for q in (2, 3)]  # 600 + 900
    age(app, 31)

    counts = run(app)

    [payout] = payout_rows(app)
    assert counts["paid"] == 1
    [transfer_call] = [r for kind, r in gateway.requests if kind == "create_transfer"]
    assert transfer_call == {
        "amount": 1500, "currency": "USD", "destination": account["stripe_account_id"],
        "transfer_group": f"payout-{payout.id}", "idempotency_key": f"payout-{payout.id}-transfer",
        "metadata": {"payout_id": str(payout.id), "influencer_id": str(world["a"]["influencer_id"]),
                     "order_ids": ",".join(str(o["id"]) for o in orders)},
    }
    assert (payout.status.value, payout.amount, payout.transfer_id) == ("paid", 1500, gateway.transfers[0].id)
    assert {(s.state.value, s.payout_id) for s in lines(app)} == {("paid", payout.id)}

    assert run(app)["paid"] == 0  # a second run finds nothing owed
    assert len(gateway.transfers) == 1
    owner = world["a"]["owner"]
    mine = client.get(f"{API}/me/payouts", headers=owner.headers).get_json()
    assert [(p["payout"]["amount"], len(p["commission_lines"])) for p in mine["items"]] == [(1500, 2)]
    balance = client.get(f"{API}/me/balance", headers=owner.headers).get_json()[0]
    assert (balance["paid"], balance["approved"], balance["owed"]) == (1500, 0, 0)
    assert client.get(f"{API}/me/payouts", headers=world["b"]["owner"].headers).get_json()["items"] == []
    admin_view = client.get(f"{API}/payouts", query_string={"status": "paid"}, headers=world["admin"].headers).get_json()
    assert admin_view["meta"]["total"] == 1


def test_below_the_minimum_or_without_a_ready_account_the_balance_accumulates(app, client, world, gateway):
    buy(app, world["a"], world["product"], quantity=1)  # 300 < 10.00
    age(app, 31)
    assert run(app)["no_ready_account"] == 1
    connect(client, app, world["a"]["owner"])
    assert run(app)["below_minimum"] == 1
    for _ in range(3):
        buy(app, world["a"], world["product"], quantity=1)
    age(app, 31)
    assert run(app)["paid"] == 1
    assert [t.amount for t in gateway.transfers] == [1200]


def test_a_refused_transfer_fails_the_payout_and_the_next_run_pays(app, client, world, gateway):
    connect(client, app, world["a"]["owner"])
    buy(app, world["a"], world["product"], quantity=4)
    age(app, 31)
    gateway.fail_next = "create_transfer"

    assert run(app)["failed"] == 1
    [failed] = payout_rows(app)
    assert (failed.status.value, "refused" in failed.failure_reason) == ("failed", True)
    assert {(s.state.value, s.payout_id) for s in lines(app)} == {("approved", None)}

    assert run(app)["paid"] == 1
    failed, paid = payout_rows(app)
    assert paid.status.value == "paid" and paid.idempotency_key != failed.idempotency_key
    assert [t.amount for t in gateway.transfers] == [1200]


def test_a_crash_after_the_transfer_never_pays_twice(app, client, world, gateway, monkeypatch):
    connect(client, app, world["a"]["owner"])
    buy(app, world["a"], world["product"], quantity=4)
    age(app, 31)

    def crash(*args, **kwargs):
        raise SystemExit("killed between Stripe's answer and the commit")

    with monkeypatch.context() as patched:
        patched.setattr(payouts, "_record_success", crash)
        with pytest.raises(SystemExit):
            run(app)
    [payout] = payout_rows(app)
    assert payout.status.value == "processing" and len(gateway.transfers) == 1

    assert run(app)["paid"] == 1  # resumed: found by its transfer group, not sent again
    [payout] = payout_rows(app)
    assert (payout.status.value, payout.transfer_id) == ("paid", gateway.transfers[0].id)
    assert len(gateway.transfers) == 1
    assert [kind for kind, _ in gateway.requests if kind in ("create_transfer", "find_transfer")] == ["create_transfer", "find_transfer"]


def test_an_unknown_outcome_is_retried_with_the_same_key(app, client, world, gateway):
    connect(client, app, world["a"]["owner"])
    buy(app, world["a"], world["product"], quantity=4)
    age(app, 31)
    gateway.unknown_next = "create_transfer"  # the transfer happened, the answer was lost

    assert run(app)["unknown"] == 1
    assert payout_rows(app)[0].status.value == "processing"
    assert run(app)["paid"] == 1
    keys = {r["idempotency_key"] for kind, r in gateway.requests if kind == "create_transfer"}
    assert len(keys) == 1 and len(gateway.transfers) == 1


def test_two_runs_at_once_transfer_once(app, client, world, gateway):
    connect(client, app, world["a"]["owner"])
    buy(app, world["a"], world["product"], quantity=4)
    age(app, 31)
    slow_create = gateway.create_transfer

    def slow(**kwargs):
        time.sleep(0.3)  # both runs are past their reads while the first transfer is in flight
        return slow_create(**kwargs)

    gateway.create_transfer = slow
    errors = []

    def one_run():
        try:
            run(app)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(gateway.transfers) == 1
    assert [(p.status.value, p.amount) for p in payout_rows(app)] == [("paid", 1200)]


def test_a_refund_after_payout_is_netted_against_the_next_payout(app, client, world, gateway):
    connect(client, app, world["a"]["owner"])
    first = buy(app, world["a"], world["product"], quantity=4)  # 1200
    age(app, 31)
    run(app)
    refund(client, first, world["brand"], quantity=1)  # -300, owed back
    buy(app, world["a"], world["product"], quantity=5)  # 1500
    age(app, 31)

    run(app)

    assert [t.amount for t in gateway.transfers] == [1200, 1200]  # 1500 - 300
    clawback = [s for s in lines(app) if s.kind.value == "refund"]
    assert [(s.amount, s.state.value) for s in clawback] == [(-300, "paid")]
    balance = client.get(f"{API}/me/balance", headers=world["a"]["owner"].headers).get_json()[0]
    assert balance["paid"] == 2400  # what was transferred: 1200 + 1200


# ------------------------------------------------------------------ brand settlement


def test_order_settlement_shows_the_split_to_the_brand_and_admins_only(app, client, world, gateway, make):
    order = buy(app, world["a"], world["product"], quantity=3)  # 9000, commission 900, fee 10 %
    refund(client, order, world["brand"], amount=1001)

    body = client.get(f"{API}/orders/{order['id']}/settlement", headers=world["brand"]["owner"].headers).get_json()
    [part] = body["brands"]
    assert {k: part[k] for k in ("gross_sales", "refunded", "net_sales", "platform_fee", "commissions", "brand_share", "outstanding")} == {
        "gross_sales": 9000, "refunded": 1001, "net_sales": 7999, "platform_fee": 800, "commissions": 799,
        "brand_share": 6400, "outstanding": 6400}
    assert part["due"] is False  # the hold has not passed
    assert client.get(f"{API}/orders/{order['id']}/settlement", headers=world["admin"].headers).status_code == 200
    assert client.get(f"{API}/orders/{order['id']}/settlement", headers=world["a"]["owner"].headers).status_code == 403
    stranger = make.brand()["owner"]
    assert client.get(f"{API}/orders/{order['id']}/settlement", headers=stranger.headers).status_code == 404


def _later():
    return utcnow() + timedelta(days=31)


def test_brands_are_settled_after_the_hold_and_later_refunds_net(app, client, world, gateway):
    brand = world["brand"]
    account = connect(client, app, brand["owner"], url=f"{API}/brands/{brand['id']}/payout-account")
    order = buy(app, world["a"], world["product"], quantity=3)
    with app.app_context():
        assert payouts.run_payouts()["paid"] == 0  # within the hold: not due
        counts = payouts.run_payouts(now=_later())
    brand_transfers = [t for t in gateway.transfers if t.destination == account["stripe_account_id"]]
    assert counts["paid"] >= 1 and [t.amount for t in brand_transfers] == [9000 - 900 - 900]

    refund(client, order, brand, quantity=1)  # 3000 back: fee -300, commission -300 -> brand owes 2400 back
    with app.app_context():
        again = payouts.run_payouts(now=_later())
    assert again["below_minimum"] >= 1  # a negative balance waits for later sales
    assert len([t for t in gateway.transfers if t.destination == account["stripe_account_id"]]) == 1
    body = client.get(f"{API}/orders/{order['id']}/settlement", headers=brand["owner"].headers).get_json()["brands"][0]
    assert (body["brand_share"], body["settled"], body["outstanding"]) == (4800, 7200, -2400)


def test_the_stripe_gateway_pays_through_the_development_connect_stand_in(app, client, make, live_server, localstripe_url):
    """The real gateway (the SDK's requests) against localstripe plus tests/localstripe_connect.py,
    the stand-in ``make run`` uses: onboarding, the account.updated webhook over HTTP, a transfer."""
    brand = make.brand()
    product = make.product(brand, price=2500)
    storefront = make.storefront()
    make.item(storefront, product)
    owner = storefront["owner"]
    link = client.post(f"{API}/links", json={"storefront": storefront["slug"], "channel": "email"}, headers=owner.headers).get_json()
    account = client.post(f"{API}/me/payout-account", headers=owner.headers).get_json()
    assert account["stripe_account_id"].startswith("acct_") and account["ready"] is False

    assert requests.get(account["onboarding_url"], timeout=10).status_code == 200
    deadline = time.monotonic() + 15
    while not client.get(f"{API}/me/payout-account", headers=owner.headers).get_json()["ready"]:
        assert time.monotonic() < deadline, "account.updated never arrived"
        time.sleep(0.1)

    buy(app, {"storefront": storefront, "link": link}, product, quantity=4)  # 10 000 × 10 % = 1000
    age(app, 31)
    assert run(app)["paid"] == 1
    [payout] = payout_rows(app)
    stripe_client = stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], base_addresses={"api": localstripe_url})
    [transfer] = stripe_client.v1.transfers.list(params={"transfer_group": payout.transfer_group}).data
    assert (transfer.id, transfer.amount, transfer.destination) == (payout.transfer_id, 1000, account["stripe_account_id"])


def test_the_next_payout_says_when_how_much_and_why_not_yet(app, client, world, gateway):
    owner = world["a"]["owner"]

    def upcoming():
        with app.app_context():
            return payouts.next_payout(db.session.get(User, owner.id), now=datetime(2026, 3, 1, 7, 0, tzinfo=timezone.utc))

    buy(app, world["a"], world["product"], quantity=1)  # 3.00 commission
    assert upcoming()["currencies"] == []  # pending: nothing to pay yet
    age(app, 31)
    first = upcoming()
    assert first["at"] == datetime(2026, 3, 2, 6, 30, tzinfo=timezone.utc)  # 07:00 is past today's run
    assert (first["account_ready"], first["currencies"]) == (False, [{"currency": "USD", "amount": 300, "minimum": 1000, "sent": False}])
    connect(client, app, owner)
    assert upcoming()["currencies"][0]["sent"] is False  # ready, but below the 10.00 minimum
    for _ in range(3):
        buy(app, world["a"], world["product"], quantity=1)
    age(app, 31)
    assert upcoming()["currencies"] == [{"currency": "USD", "amount": 1200, "minimum": 1000, "sent": True}]
    assert run(app)["paid"] == 1
    assert upcoming()["currencies"] == []  # paid: nothing left for the next run
    assert payouts.next_run(datetime(2026, 3, 1, 6, 29, tzinfo=timezone.utc)) == datetime(2026, 3, 1, 6, 30, tzinfo=timezone.utc)
