"""Stripe webhooks: only verified events are stored, and each changes an order exactly once,
whatever is redelivered, raced, retried or crashed halfway.

Events here are built and signed by the test with Stripe's scheme (HMAC-SHA256 over
``"{timestamp}.{body}"``), as Stripe would send them, for the PaymentIntents that
localstripe opened for real orders.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import func, select

from marketplace.db import db, utcnow
from marketplace.orders.models import Order
from marketplace.orders.services import expire_due_orders
from marketplace.payments.models import StripeEvent
from tests.stripe_events import deliver, event_body, event_for, sign
from workers import AppSimpleWorker

API = "/api/v1"


@pytest.fixture
def shop(make):
    brand = make.brand()
    products = [make.product(brand, price=1500, stock=4), make.product(brand, price=700, stock=4)]
    storefront = make.storefront()
    for product in products:
        make.item(storefront, product)
    return {"brand": brand, "products": products, "storefront": storefront}


@pytest.fixture
def order(client, shop):
    response = client.post(
        f"{API}/orders",
        json={
            "storefront": shop["storefront"]["slug"],
            "items": [{"product_id": p["id"], "quantity": 2} for p in shop["products"]],
            "email": "buyer@example.com",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def read(client, order):
    return client.get(f"{API}/orders/{order['id']}", query_string={"token": order["access_token"]}).get_json()


def stock(client, shop):
    """(stock, reserved) of each product."""
    owner = shop["brand"]["owner"]
    return [
        (body["stock"], body["reserved"])
        for body in (client.get(f"{API}/products/{p['id']}", headers=owner.headers).get_json() for p in shop["products"])
    ]


def stored_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StripeEvent))


# ---------------------------------------------------------------- security


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "tampered body", "missing header", "old timestamp", "not json", "garbage header"],
)
def test_unverifiable_event_is_400_and_changes_nothing(client, app, shop, order, case):
    body = event_body("payment_intent.succeeded", order)
    signature = sign(app, body)
    if case == "wrong secret":
        signature = sign(app, body, secret="whsec_someone_else")
    elif case == "tampered body":
        body = body.replace(f'"amount_received": {order["total"]}', '"amount_received": 1')
    elif case == "missing header":
        signature = None
    elif case == "old timestamp":
        signature = sign(app, body, timestamp=int(time.time()) - 600)
    elif case == "not json":
        body = "this is not json"
        signature = sign(app, body)
    elif case == "garbage header":
        signature = "t=abc,v1=nothing"

    response = deliver(client, app, body, signature)

    assert response.status_code == 400
    assert response.get_json()["reason"] == "bad_webhook"
    assert stored_events(app) == 0
    assert read(client, order)["status"] == "pending_payment"
    assert stock(client, shop) == [(4, 2), (4, 2)]


# ------------------------------------------------------------ exactly once


def test_succeeded_event_pays_order_once_when_redelivered(client, app, shop, order):
    body = event_body("payment_intent.succeeded", order)

    first = deliver(client, app, body)
    second = deliver(client, app, body)

    assert first.status_code == second.status_code == 200
    assert (first.get_json()["duplicate"], second.get_json()["duplicate"]) == (False, True)
    paid = read(client, order)
    assert paid["status"] == "paid"
    assert [e["to_status"] for e in paid["events"]] == ["pending_payment", "paid"]
    assert stock(client, shop) == [(2, 0), (2, 0)]
    assert stored_events(app) == 1


def test_same_event_delivered_concurrently_pays_once(client, app, shop, order):
    body = event_body("payment_intent.succeeded", order)
    signature = sign(app, body)
    barrier = threading.Barrier(6)
    statuses = []

    def deliver_at_once():
        local = app.test_client()
        barrier.wait()
        statuses.append(deliver(local, app, body, signature).status_code)

    threads = [threading.Thread(target=deliver_at_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200] * 6
    assert stored_events(app) == 1
    assert [e["to_status"] for e in read(client, order)["events"]] == ["pending_payment", "paid"]
    assert stock(client, shop) == [(2, 0), (2, 0)]


def test_job_run_twice_applies_event_once(client, app, redis, shop, order):
    body = event_body("payment_intent.succeeded", order, event_id="evt_twice")
    assert deliver(client, app, body).status_code == 200
    queue = Queue("default", connection=redis)
    assert queue.count == 1  # stored, then queued: the request did not process it

    worker = AppSimpleWorker(["default"], connection=redis, app=app)
    worker.work(burst=True)
    queue.enqueue("workers.jobs.process_stripe_event", "evt_twice")  # a retry, or a second worker
    worker.work(burst=True)

    assert [e["to_status"] for e in read(client, order)["events"]] == ["pending_payment", "paid"]
    assert stock(client, shop) == [(2, 0), (2, 0)]
    with app.app_context():
        assert db.session.get(StripeEvent, "evt_twice").outcome == f"order {order['id']} paid"


def test_job_that_crashes_midway_leaves_nothing_and_succeeds_on_retry(client, app, redis, shop, order, monkeypatch):
    body = event_body("payment_intent.succeeded", order, event_id="evt_crash")
    deliver(client, app, body)
    calls = []
    from marketplace.catalog import services as catalog

    real_take = catalog.take_reserved_stock

    def take_then_crash(product_id, quantity):
        calls.append(product_id)
        if len(calls) == 2:
            raise RuntimeError("worker died")
        real_take(product_id, quantity)

    monkeypatch.setattr("marketplace.orders.services.take_reserved_stock", take_then_crash)
    worker = AppSimpleWorker(["default"], connection=redis, app=app)
    worker.work(burst=True)

    assert read(client, order)["status"] == "pending_payment"  # the first line's write was rolled back
    assert stock(client, shop) == [(4, 2), (4, 2)]
    with app.app_context():
        assert db.session.get(StripeEvent, "evt_crash").processed_at is None

    monkeypatch.setattr("marketplace.orders.services.take_reserved_stock", real_take)
    Queue("default", connection=redis).enqueue("workers.jobs.process_stripe_event", "evt_crash")
    worker.work(burst=True)

    assert read(client, order)["status"] == "paid"
    assert stock(client, shop) == [(2, 0), (2, 0)]


def test_unprocessed_event_redelivered_is_queued_again(client, app, redis, shop, order):
    body = event_body("payment_intent.succeeded", order, event_id="evt_lost")
    deliver(client, app, body)
    Queue("default", connection=redis).empty()  # the job was lost (Redis flushed, worker gone)

    response = deliver(client, app, body)  # Stripe retries: the app has not processed it
    AppSimpleWorker(["default"], connection=redis, app=app).work(burst=True)

    assert response.status_code == 200
    assert read(client, order)["status"] == "paid"


# ---------------------------------------------------------------- ordering


def test_failure_after_success_is_ignored(client, app, shop, order):
    deliver(client, app, event_body("payment_intent.succeeded", order))

    deliver(client, app, event_body("payment_intent.payment_failed", order))

    body = read(client, order)
    assert body["status"] == "paid"
    assert stock(client, shop) == [(2, 0), (2, 0)]
    with app.app_context():
        outcomes = db.session.scalars(select(StripeEvent.outcome).order_by(StripeEvent.received_at)).all()
    assert outcomes[-1] == f"ignored: order {order['id']} is already paid"


def test_failure_releases_stock_and_a_later_success_takes_it_again(client, app, shop, order):
    deliver(client, app, event_body("payment_intent.payment_failed", order, last_payment_error={"message": "declined"}))
    assert read(client, order)["status"] == "payment_failed"
    assert stock(client, shop) == [(4, 0), (4, 0)]

    deliver(client, app, event_body("payment_intent.succeeded", order))  # the shopper retried with another card

    body = read(client, order)
    assert body["status"] == "paid"
    assert "after the order was payment_failed" in body["events"][-1]["cause"]
    assert stock(client, shop) == [(2, 0), (2, 0)]


def _expire(app, order):
    with app.app_context():
        db.session.get(Order, order["id"]).reserved_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert expire_due_orders() == 1


def test_success_after_expiry_takes_stock_again_when_available(client, app, shop, order):
    _expire(app, order)
    assert stock(client, shop) == [(4, 0), (4, 0)]

    deliver(client, app, event_body("payment_intent.succeeded", order))

    body = read(client, order)
    assert body["status"] == "paid"
    assert body["needs_refund"] is False
    assert [e["to_status"] for e in body["events"]] == ["pending_payment", "expired", "paid"]
    assert stock(client, shop) == [(2, 0), (2, 0)]


def test_success_after_expiry_without_stock_is_flagged_for_refund(client, app, make, shop, order):
    _expire(app, order)
    owner = shop["brand"]["owner"]
    client.patch(f"{API}/products/{shop['products'][1]['id']}", json={"stock": 1}, headers=owner.headers)

    deliver(client, app, event_body("payment_intent.succeeded", order))

    body = read(client, order)
    assert body["status"] == "paid"
    assert body["needs_refund"] is True
    assert "refund required" in body["events"][-1]["cause"]
    assert stock(client, shop) == [(4, 0), (1, 0)]  # nothing taken: not even the first line


def test_unhandled_event_type_is_stored_and_ignored(client, app, order):
    response = deliver(client, app, event_body("customer.created", order))

    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(StripeEvent.outcome)) == "ignored: customer.created is not handled"
    assert read(client, order)["status"] == "pending_payment"


# ---------------------------------------------------------------- lost jobs


def _age_event(app, event_id: str, minutes: int) -> None:
    with app.app_context():
        db.session.get(StripeEvent, event_id).received_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def test_an_event_whose_job_was_lost_is_applied_by_the_reconcile_sweep(client, app, runner, redis, shop, order):
    """Redis down when the webhook came (the job never queued), or the job died for good: Stripe had
    its 200 and will not send the event again; the reconcile job applies it, once."""
    body = event_body("payment_intent.succeeded", order, event_id="evt_orphan")
    assert deliver(client, app, body).status_code == 200
    Queue("default", connection=redis).empty()  # the job is gone

    assert runner.invoke(args=["payments", "reconcile"]).output.strip().endswith("0 stored events applied")  # too recent
    _age_event(app, "evt_orphan", 6)
    assert runner.invoke(args=["payments", "reconcile"]).output.strip().endswith("1 stored events applied")
    assert runner.invoke(args=["payments", "reconcile"]).output.strip().endswith("0 stored events applied")

    assert [e["to_status"] for e in read(client, order)["events"]] == ["pending_payment", "paid"]
    assert stock(client, shop) == [(2, 0), (2, 0)]


def test_a_redelivered_event_whose_job_failed_is_queued_again(client, app, redis, shop, order, monkeypatch):
    """RQ keeps a failed job's id for a week; the redelivery must not be refused as a duplicate."""
    body = event_body("payment_intent.succeeded", order, event_id="evt_failed")
    deliver(client, app, body)
    monkeypatch.setattr("workers.jobs.process_event", lambda event_id: 1 / 0)
    worker = AppSimpleWorker(["default"], connection=redis, app=app)
    worker.work(burst=True)
    queue = Queue("default", connection=redis)
    job = queue.fetch_job("stripe-event-evt_failed")
    assert job.retries_left == 2  # the first of its retries is scheduled
    job.cancel()  # as if its retries were used up
    monkeypatch.undo()

    deliver(client, app, body)
    assert queue.count == 1
    worker.work(burst=True)
    assert read(client, order)["status"] == "paid"


# ------------------------------------------- payloads of any shape (found by tests/test_fuzz.py)


def test_an_event_with_objects_inside_lists_is_stored_as_json(client, app, order):
    """Regression: the SDK's ``to_dict`` left objects inside lists as StripeObjects, which cannot be
    stored as JSON: a 500, and Stripe would redeliver forever."""
    body = event_body("payment_intent.succeeded", order, charges={"object": "list", "data": [{"id": "ch_1", "paid": True}]})

    response = deliver(client, app, body)

    assert response.status_code == 200, response.get_json()
    assert read(client, order)["status"] == "paid"
    with app.app_context():
        assert db.session.scalar(select(StripeEvent.payload))["data"]["object"]["charges"]["data"] == [
            {"id": "ch_1", "paid": True}
        ]


@pytest.mark.parametrize("payload", ['[1, 2]', '{"type": "payment_intent.succeeded", "data": {"object": {}}}',
                                     '{"id": "evt_1", "type": "x", "data": {"object": []}}',
                                     '{"id": "evt_1", "type": "' + "x" * 101 + '", "data": {"object": {}}}',
                                     '{"id": "evt_\\u0000", "type": "x", "data": {"object": {}}}',
                                     '{"id": "evt_1", "type": "x", "data": {"object": {"amount": Infinity}}}',
                                     '{"id": "evt_1", "type": "x", "data": {"object": {"amount": NaN}}}'])
def test_signed_json_that_is_not_a_storable_event_is_400(client, app, payload):
    response = deliver(client, app, payload)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert stored_events(app) == 0


@pytest.mark.parametrize(("event_type", "obj", "outcome"), [
    ("payment_intent.succeeded", {"amount": 100}, "ignored: payment_intent.succeeded without an id"),
    ("payment_intent.succeeded", {"id": "pi_1", "amount": "100"}, "ignored: payment_intent.succeeded without an amount"),
    ("payment_intent.payment_failed", {"id": "pi_1", "last_payment_error": "declined"},
     "ignored: no order has payment intent pi_1"),
    ("refund.updated", {"id": 7}, "ignored: refund.updated without an id"),
])
def test_a_signed_event_whose_object_lacks_what_its_type_needs_is_stored_and_ignored(client, app, event_type, obj,
                                                                                     outcome):
    """Regression: the job read ``obj["id"]`` and friends unchecked; inline (no Redis) that was the webhook's 500."""
    response = deliver(client, app, event_for(event_type, obj))

    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(StripeEvent.outcome)) == outcome
