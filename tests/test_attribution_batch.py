"""Attribution in batches: a paid order is a request row plus a coalesced batch job; the batch
path gives exactly the credits of the single-order path, hands an order that fails to its own
job, and leaves one set of credits whatever is retried."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from marketplace.attribution import services
from marketplace.attribution.models import AttributionCredit, AttributionRequest, OrderAttribution
from marketplace.attribution.rules import MODELS
from marketplace.db import db, utcnow
from marketplace.links.clicks import store_clicks
from marketplace.links.models import ShareLink
from tests.stripe_events import deliver, event_body
from workers import AppSimpleWorker, AppWorker

API = "/api/v1"
BATCH_JOB = "workers.jobs.attribute_pending_orders"


@pytest.fixture
def shop(make, client):
    """Two brands with different windows, three influencers with a link each (one re-shared),
    and an approved discount code of the first influencer for the second brand."""
    brands = [make.brand(attribution_window_days=7), make.brand(attribution_window_days=30)]
    products = [make.product(brand, price=1000 * (n + 1), stock=500) for n, brand in enumerate(brands)]
    influencers = []
    for _ in range(3):
        storefront = make.storefront()
        for product in products:
            make.item(storefront, product)
        link = client.post(f"{API}/links", json={"storefront": storefront["slug"], "channel": "instagram"},
                           headers=storefront["owner"].headers).get_json()
        influencers.append({"storefront": storefront, "owner": storefront["owner"], "code": link["code"]})
    reshare = client.post(f"/r/{influencers[2]['code']}/reshare", json={"channel": "sms"}).get_json()["code"]
    code = client.post(f"{API}/me/discount-codes", json={"code": "FIRST", "brand_id": brands[1]["id"], "percent_off_bps": 1000},
                       headers=influencers[0]["owner"].headers).get_json()
    client.patch(f"{API}/brands/{brands[1]['id']}/discount-codes/{code['id']}", json={"status": "approved"},
                 headers=brands[1]["owner"].headers)
    with make.app.app_context():
        link_ids = dict(db.session.execute(select(ShareLink.code, ShareLink.id)).all())
    return {"brands": brands, "products": products, "influencers": influencers,
            "links": [link_ids[i["code"]] for i in influencers] + [link_ids[reshare]]}


def clicks(app, visitor: str, *visits, bot: bool = False) -> None:
    """Store clicks ``(link id, age)`` for the visitor, as the redirect's buffer would."""
    now = utcnow()
    with app.app_context():
        store_clicks([
            {"uid": uuid.uuid4().hex, "link_id": link_id, "visitor_id": visitor, "occurred_at": (now - age).isoformat(),
             "referrer_host": None, "device": "bot" if bot else "desktop", "browser": "Chrome", "ip_hash": visitor[:32],
             "is_bot": bot}
            for link_id, age in visits
        ])


def place(app, shop, storefront, visitor=None, email="buyer@example.com", code=None, pay=True) -> int:
    shopper = app.test_client()
    if visitor:
        shopper.set_cookie("mp_visitor", visitor)
    body = {"storefront": storefront["slug"], "email": email,
            "items": [{"product_id": p["id"], "quantity": 1} for p in shop["products"]]}
    if code:
        body["discount_code"] = code
    order = shopper.post(f"{API}/orders", json=body).get_json()
    if pay:
        assert deliver(shopper, app, event_body("payment_intent.succeeded", order)).status_code == 200
    return order["id"]


def snapshot(app, order_ids) -> dict:
    with app.app_context():
        credits = db.session.scalars(select(AttributionCredit).where(AttributionCredit.order_id.in_(order_ids))).all()
        rows = sorted(
            (c.order_id, c.order_line_id, c.influencer_id, c.fraction_ppm, c.rule, c.model, c.window_days,
             c.discount_code_id, c.self_referral, tuple((t.link_id, t.clicked_at, t.weight_ppm) for t in c.touchpoints))
            for c in credits
        )
        attributions = {a.order_id: (a.model, a.summary) for a in db.session.scalars(
            select(OrderAttribution).where(OrderAttribution.order_id.in_(order_ids)))}
    return {"credits": rows, "attributions": attributions}


def requests_waiting(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AttributionRequest))


def credit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AttributionCredit))


def work(app, redis) -> None:
    AppSimpleWorker(["default"], connection=redis, app=app).work(burst=True)


@pytest.fixture
def orders(app, shop):
    """Paid orders covering what attribution decides: touchpoints in and out of each brand's
    window, several influencers, a re-share, repeats and bots, a discount code, a self-referral,
    and organic orders (old clicks, no clicks, no visitor cookie). Paid without Redis: each is
    attributed by the batch job run inline after its payment."""
    a, b, c, reshare = shop["links"]
    fronts = [i["storefront"] for i in shop["influencers"]]
    v = [uuid.uuid4().hex for _ in range(6)]
    clicks(app, v[0], (a, timedelta(days=20)), (b, timedelta(days=3)), (c, timedelta(hours=5)), (a, timedelta(hours=2)))
    clicks(app, v[1], (b, timedelta(days=1)), (b, timedelta(minutes=50)), (reshare, timedelta(minutes=20)))  # a repeat
    clicks(app, v[2], (a, timedelta(days=40)))  # too old for either brand
    clicks(app, v[3], (c, timedelta(days=2)))
    clicks(app, v[4], (b, timedelta(hours=3)))
    clicks(app, v[4], (a, timedelta(hours=1)), bot=True)
    ids = [
        place(app, shop, fronts[0], v[0]),
        place(app, shop, fronts[1], v[1]),
        place(app, shop, fronts[0], v[2]),
        place(app, shop, fronts[2], v[3], email=shop["influencers"][2]["owner"].email),  # buys through own link
        place(app, shop, fronts[1], v[4], code="FIRST"),  # the code wins for brand 2's line only
        place(app, shop, fronts[2], v[5]),  # a visitor with no clicks
        place(app, shop, fronts[0]),  # no visitor cookie
    ]
    return ids


def test_payments_wake_one_batch_job_that_attributes_them_all(app, redis, shop):
    front = shop["influencers"][0]["storefront"]
    queue = Queue("default", connection=redis)
    ids = [place(app, shop, front, uuid.uuid4().hex) for _ in range(3)]
    events = queue.jobs
    assert [job.func_name for job in events] == ["workers.jobs.process_stripe_event"] * 3

    with app.app_context():
        events[0].perform()  # the webhook's job: the order becomes paid and its request commits with it
    queue.remove(events[0])
    assert requests_waiting(app) == 1
    assert [job.func_name for job in queue.jobs].count(BATCH_JOB) == 1
    work(app, redis)  # the two other payments find a batch job waiting: none is added

    assert requests_waiting(app) == 0
    assert set(snapshot(app, ids)["attributions"]) == set(ids)
    assert finished(queue) == {"workers.jobs.process_stripe_event": 2, BATCH_JOB: 1}  # one webhook job ran above
    place(app, shop, front, uuid.uuid4().hex)  # once the batch job has started, a payment wakes another
    work(app, redis)
    assert finished(queue) == {"workers.jobs.process_stripe_event": 3, BATCH_JOB: 2}


def finished(queue) -> dict[str, int]:
    """How many jobs of each kind finished, the report rollups' (woken by the same changes) aside."""
    names = [job.func_name for job in Job.fetch_many(queue.finished_job_registry.get_job_ids(), connection=queue.connection)]
    return {name: names.count(name) for name in set(names) if name != "workers.jobs.refresh_reports"}


def test_an_order_is_requested_once(app, redis, shop):
    order_id = place(app, shop, shop["influencers"][0]["storefront"], uuid.uuid4().hex, pay=False)
    with app.app_context():
        services.request_attribution(order_id)
        services.request_attribution(order_id)
        db.session.commit()
        services.request_attribution(order_id)  # while the first still waits
        db.session.commit()
    assert requests_waiting(app) == 1


@pytest.mark.parametrize("model", MODELS)
def test_batch_gives_the_credits_of_the_single_order_path(app, orders, model):
    with app.app_context():
        attributed, failed = services.attribute_orders(orders, model)
        db.session.commit()
    assert (sorted(attributed), failed) == (sorted(orders), [])
    batch = snapshot(app, orders)

    with app.app_context():
        for order_id in orders:
            services.attribute_order(order_id, model)
    single = snapshot(app, orders)

    assert batch == single
    rules = {row[4] for row in batch["credits"]}
    assert rules == {model, "discount_code"}
    assert any(row[8] for row in batch["credits"])  # the self-referral is flagged
    assert any(len(row[9]) > 1 for row in batch["credits"])  # several clicks behind one credit
    credited_orders = {row[0] for row in batch["credits"]}
    assert credited_orders == set(orders[:2] + orders[3:5])  # old clicks, no clicks, no cookie: organic
    assert all(summary.endswith(f"under {model}") for _, summary in batch["attributions"].values())


def test_inline_payments_are_attributed_by_the_batch_job(app, orders):
    assert requests_waiting(app) == 0
    summaries = snapshot(app, orders)["attributions"]
    assert set(summaries) == set(orders)
    assert summaries[orders[0]] == ("last_click", "2 of 2 lines credited under last_click")
    assert summaries[orders[2]] == ("last_click", "0 of 2 lines credited under last_click")


def test_batch_run_twice_or_with_single_jobs_leaves_one_set_of_credits(app, redis, orders):
    work(app, redis)  # the payments' jobs, then the batch job
    before = snapshot(app, orders)
    assert len(before["attributions"]) == len(orders)
    with app.app_context():
        for order_id in orders:
            services.request_attribution(order_id)
        db.session.commit()
    queue = Queue("default", connection=redis)
    queue.enqueue(BATCH_JOB)
    queue.enqueue("workers.jobs.attribute_order", orders[0])
    work(app, redis)

    assert snapshot(app, orders) == before
    assert requests_waiting(app) == 0


def test_an_order_that_fails_in_a_batch_goes_to_its_own_job_with_retries(app, redis, shop, monkeypatch):
    front = shop["influencers"][1]["storefront"]
    good = place(app, shop, front, uuid.uuid4().hex)
    bad = place(app, shop, front, uuid.uuid4().hex)
    line_credits = services._line_credits

    def failing(order, *args, **kwargs):
        if order.id == bad:
            raise RuntimeError("cannot attribute this one")
        return line_credits(order, *args, **kwargs)

    monkeypatch.setattr("marketplace.attribution.services._line_credits", failing)
    work(app, redis)  # the payments; the batch stores `good`, hands `bad` over; its own job fails and is scheduled again

    assert set(snapshot(app, [good, bad])["attributions"]) == {good}
    assert requests_waiting(app) == 0
    job = Queue("default", connection=redis).fetch_job(f"attribute-order-{bad}")
    assert job.retries_left == 2

    monkeypatch.undo()
    Queue("default", connection=redis).enqueue_job(job)  # the retry, without waiting for the backoff
    work(app, redis)
    assert set(snapshot(app, [good, bad])["attributions"]) == {good, bad}


def test_a_batch_that_fails_at_the_database_hands_every_order_over(app, redis, shop, monkeypatch):
    front = shop["influencers"][1]["storefront"]
    ids = [place(app, shop, front, uuid.uuid4().hex) for _ in range(2)]
    flush = services.CreditWriter.flush
    calls = []

    def broken(self):
        calls.append(len(self.orders))
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return flush(self)

    monkeypatch.setattr(services.CreditWriter, "flush", broken)
    work(app, redis)  # the payments' jobs, then the batch job(s)

    assert calls == [2, 1, 1]  # the batch, then each order in its own job
    assert set(snapshot(app, ids)["attributions"]) == set(ids)
    assert requests_waiting(app) == 0


def test_a_batch_job_that_crashes_midway_leaves_the_requests_for_its_retry(app, redis, shop, monkeypatch):
    front = shop["influencers"][1]["storefront"]
    visitors = [uuid.uuid4().hex for _ in range(2)]
    for visitor in visitors:
        clicks(app, visitor, (shop["links"][0], timedelta(hours=1)))
    ids = [place(app, shop, front, visitor) for visitor in visitors]

    def crash(self):
        raise RuntimeError("worker died mid-job")

    monkeypatch.setattr(services.CreditWriter, "flush", crash)
    work(app, redis)  # the payments' jobs, then the batch job(s)

    assert credit_count(app) == 0 and requests_waiting(app) == 2  # rolled back: nothing stored, nothing lost
    [job_id] = Queue("default", connection=redis).scheduled_job_registry.get_job_ids()
    job = Queue("default", connection=redis).fetch_job(job_id)
    assert (job.func_name, job.retries_left) == (BATCH_JOB, 2)

    monkeypatch.undo()
    Queue("default", connection=redis).enqueue_job(job)
    work(app, redis)
    assert requests_waiting(app) == 0
    assert set(snapshot(app, ids)["attributions"]) == set(ids)
    assert credit_count(app) == 4  # 2 orders × 2 lines, one credit each (the one click), once


def test_a_long_backlog_is_taken_in_batches_and_the_job_hands_on(app, redis, shop, monkeypatch):
    front = shop["influencers"][0]["storefront"]
    ids = [place(app, shop, front, uuid.uuid4().hex) for _ in range(5)]
    monkeypatch.setitem(app.config, "ATTRIBUTION_BATCH_SIZE", 2)
    monkeypatch.setattr(services, "JOB_SECONDS", 0)  # one batch per job, then the next job is woken
    work(app, redis)  # the payments' jobs, then the batch job(s)

    assert requests_waiting(app) == 0
    assert set(snapshot(app, ids)["attributions"]) == set(ids)
    # the payments' jobs, and batch jobs of 2, 2 and 1 orders
    assert finished(Queue("default", connection=redis)) == {"workers.jobs.process_stripe_event": 5, BATCH_JOB: 3}


def test_worker_entry_point_runs_the_forking_app_worker(monkeypatch):
    import workers.__main__ as entry

    seen = {}

    def fake_work(self, **kwargs):
        seen.update(kwargs, worker=type(self))
        return True

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(AppWorker, "work", fake_work)
    assert entry.main(["--burst"]) == 0
    assert seen == {"burst": True, "with_scheduler": True, "worker": AppWorker}


def test_retry_failed_wakes_the_batch_job_for_orders_whose_wake_up_was_lost(app, redis, runner, shop):
    order_id = place(app, shop, shop["influencers"][0]["storefront"], uuid.uuid4().hex)
    queue = Queue("default", connection=redis)
    [event] = queue.jobs
    with app.app_context():
        event.perform()  # paid: the request commits, a batch job is queued ...
    queue.empty()  # ... and lost (Redis flushed, say)
    redis.delete(services.WAKE_KEY)

    result = runner.invoke(args=["attribution", "retry-failed"])
    work(app, redis)

    assert "0 attribution jobs queued again" in result.output
    assert "1 paid orders waiting for the batch job" in result.output
    assert set(snapshot(app, [order_id])["attributions"]) == {order_id}


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="a forked work horse needs a real Redis server")
def test_the_production_worker_attributes_in_a_forked_horse(app, redis, orders):
    AppWorker(["default"], connection=redis, app=app).work(burst=True)

    assert requests_waiting(app) == 0
    assert set(snapshot(app, orders)["attributions"]) == set(orders)
    assert Queue("default", connection=redis).failed_job_registry.count == 0
