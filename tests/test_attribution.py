"""Attribution end to end: click through /r/{code} with a cookie jar, order, pay (signed
webhook), and the job credits the lines; idempotent, explainable, code beats cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select, update

from marketplace.attribution.models import AttributionCredit, AttributionShare
from marketplace.db import db
from marketplace.links.clicks import drain_clicks
from marketplace.links.models import Click
from tests.stripe_events import deliver, event_body
from workers import AppSimpleWorker

API = "/api/v1"
BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"}


@pytest.fixture
def world(make, client):
    brand = make.brand(attribution_window_days=30)
    product = make.product(brand, price=3000, stock=50)
    shops = []
    for _ in range(2):
        storefront = make.storefront()
        make.item(storefront, product)
        link = client.post(
            f"{API}/links", json={"storefront": storefront["slug"], "channel": "instagram", "campaign": "fall"},
            headers=storefront["owner"].headers,
        ).get_json()
        shops.append({"storefront": storefront, "link": link, "influencer": storefront["owner"]})
    return {"brand": brand, "product": product, "a": shops[0], "b": shops[1]}


def buy(app, shopper, world, shop, discount_code=None, email="shopper@example.com"):
    body = {"storefront": shop["storefront"]["slug"], "items": [{"product_id": world["product"]["id"], "quantity": 2}], "email": email}
    if discount_code:
        body["discount_code"] = discount_code
    order = shopper.post(f"{API}/orders", json=body).get_json()
    assert deliver(shopper, app, event_body("payment_intent.succeeded", order)).status_code == 200
    return order


def work(app, redis):
    AppSimpleWorker(["default"], connection=redis, app=app).work(burst=True)


def explanation(client, order, actor):
    return client.get(f"{API}/orders/{order['id']}/attribution", headers=actor.headers)


def credits(app):
    with app.app_context():
        return db.session.scalars(select(AttributionCredit).order_by(AttributionCredit.id)).all()


def test_click_order_pay_credits_the_influencer_and_explains_why(app, client, redis, world):
    client.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)  # the cookie jar keeps mp_visitor
    order = buy(app, client, world, world["a"])

    work(app, redis)  # the webhook's job, then the attribution job it queues

    body = explanation(client, order, world["brand"]["owner"]).get_json()
    [line] = body["lines"]
    [credit] = line["credits"]
    assert (body["model"], line["organic"]) == ("last_click", False)
    assert (credit["fraction_ppm"], credit["rule"], credit["window_days"], credit["self_referral"]) == (1_000_000, "last_click", 30, False)
    [touchpoint] = credit["touchpoints"]
    assert (touchpoint["link_code"], touchpoint["channel"], touchpoint["campaign"]) == (world["a"]["link"]["code"], "instagram", "fall")
    assert explanation(client, order, world["a"]["influencer"]).status_code == 200
    assert explanation(client, order, world["b"]["influencer"]).status_code == 404


def test_attribution_job_run_twice_leaves_one_set_of_credits(app, client, redis, world):
    client.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)
    order = buy(app, client, world, world["a"])
    work(app, redis)

    Queue("default", connection=redis).enqueue("workers.jobs.attribute_order", order["id"])
    work(app, redis)

    assert len(credits(app)) == 1


def test_attribution_job_that_crashes_midway_leaves_nothing_then_succeeds(app, client, redis, world, monkeypatch):
    client.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)

    def crash(*_args, **_kwargs):
        raise RuntimeError("worker died mid-job")

    monkeypatch.setattr("marketplace.attribution.services._line_credits", crash)
    order = buy(app, client, world, world["a"])
    work(app, redis)
    assert credits(app) == []
    job = Queue("default", connection=redis).fetch_job(f"attribute-order-{order['id']}")
    assert job.retries_left == 2  # retried with backoff by a worker with the scheduler

    monkeypatch.undo()
    Queue("default", connection=redis).enqueue("workers.jobs.attribute_order", order["id"])
    work(app, redis)
    assert len(credits(app)) == 1


def test_last_click_wins_across_influencers(app, client, redis, world):
    client.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)
    client.get(f"/r/{world['b']['link']['code']}", headers=BROWSER)

    order = buy(app, client, world, world["a"])  # bought in A's storefront, B's link was last
    work(app, redis)

    [credit] = credits(app)
    influencer_ids = {shop: client.get(f"{API}/me/influencer", headers=world[shop]["influencer"].headers).get_json()["id"] for shop in "ab"}
    assert credit.influencer_id == influencer_ids["b"]
    assert order["influencer_id"] == influencer_ids["a"]
    # Every model's view of the line is kept beside the credit, for reports.
    with app.app_context():
        shares = {
            row.influencer_id: (row.last_click_ppm, row.first_click_ppm, row.linear_ppm, row.position_based_ppm)
            for row in db.session.scalars(select(AttributionShare).where(AttributionShare.order_id == order["id"]))
        }
    assert shares == {influencer_ids["a"]: (0, 1_000_000, 500_000, 500_000), influencer_ids["b"]: (1_000_000, 0, 500_000, 500_000)}


def test_discount_code_beats_the_cookie(app, client, redis, world):
    a = world["a"]
    code = client.post(
        f"{API}/me/discount-codes", json={"code": "ACODE", "brand_id": world["brand"]["id"], "percent_off_bps": 1000},
        headers=a["influencer"].headers,
    ).get_json()
    client.patch(f"{API}/brands/{world['brand']['id']}/discount-codes/{code['id']}", json={"status": "approved"},
                 headers=world["brand"]["owner"].headers)
    client.get(f"/r/{world['b']['link']['code']}", headers=BROWSER)

    order = buy(app, client, world, world["b"], discount_code="ACODE")
    work(app, redis)

    [credit] = explanation(client, order, world["brand"]["owner"]).get_json()["lines"][0]["credits"]
    assert (credit["rule"], credit["touchpoints"]) == ("discount_code", [{"discount_code": "ACODE"}])
    with app.app_context():
        [share] = db.session.scalars(select(AttributionShare)).all()
    assert (share.link_id, share.time_decay_ppm, share.first_click_ppm) == (None, 1_000_000, 1_000_000)
    assert explanation(client, order, a["influencer"]).status_code == 200


def test_clicks_outside_the_window_and_bot_clicks_leave_the_sale_organic(app, client, redis, world):
    client.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)
    client.get(f"/r/{world['b']['link']['code']}", headers={"User-Agent": "Twitterbot/1.0"})
    with app.app_context():
        drain_clicks()  # out of the redirect's buffer, so the test can age them
        db.session.execute(update(Click).where(Click.is_bot.is_(False)).values(occurred_at=func.now() - timedelta(days=31)))
        db.session.commit()

    order = buy(app, client, world, world["a"])
    work(app, redis)

    body = explanation(client, order, world["brand"]["owner"]).get_json()
    assert body["lines"][0]["organic"] is True
    assert body["lines"][0]["credits"] == []
    assert body["computed_at"] is not None


def test_reshare_chain_of_depth_three_credits_the_originating_influencer(app, client, redis, world):
    code = world["a"]["link"]["code"]
    client.get(f"/r/{code}", headers=BROWSER)
    for _ in range(3):
        code = client.post(f"/r/{code}/reshare", json={"channel": "sms"}).get_json()["code"]
    friend = app.test_client()  # another browser, another cookie jar
    friend.get(f"/r/{code}", headers=BROWSER)

    order = buy(app, friend, world, world["a"], email="friend@example.com")
    work(app, redis)

    [credit] = explanation(client, order, world["brand"]["owner"]).get_json()["lines"][0]["credits"]
    [touchpoint] = credit["touchpoints"]
    assert (touchpoint["link_code"], touchpoint["reshare_depth"]) == (code, 3)
    assert explanation(client, order, world["a"]["influencer"]).status_code == 200


def test_influencer_buying_through_own_link_is_flagged(app, client, redis, world):
    a = world["a"]
    client.get(f"/r/{a['link']['code']}", headers=BROWSER)

    buy(app, client, world, a, email=a["influencer"].email.upper())
    work(app, redis)

    assert [c.self_referral for c in credits(app)] == [True]


def test_links_show_the_orders_and_revenue_they_earned(app, client, redis, runner, world):
    a, b = world["a"], world["b"]
    client.get(f"/r/{a['link']['code']}", headers=BROWSER)
    client.get(f"/r/{b['link']['code']}", headers=BROWSER)
    buy(app, client, world, a)  # 2 × 3000
    work(app, redis)

    def earned(shop):
        [link] = client.get(f"{API}/links", headers=shop["influencer"].headers).get_json()["items"]
        return link["clicks"], link["orders"], link["revenue"]

    assert earned(a) == (1, 0, [])  # last click: B's link took the sale
    assert earned(b) == (1, 1, [{"currency": "USD", "amount": 6000}])
    runner.invoke(args=["attribution", "rebuild", "--brand", str(world["brand"]["id"]),
                        "--from", "2000-01-01", "--to", "2100-01-01", "--model", "linear"])
    assert earned(a) == earned(b) == (1, 1, [{"currency": "USD", "amount": 3000}])


def test_rebuild_recomputes_under_another_model(app, client, redis, runner, world):
    client.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)
    client.get(f"/r/{world['b']['link']['code']}", headers=BROWSER)
    order = buy(app, client, world, world["a"])
    work(app, redis)

    result = runner.invoke(args=["attribution", "rebuild", "--brand", str(world["brand"]["id"]),
                                 "--from", "2000-01-01", "--to", "2100-01-01", "--model", "linear"])

    assert result.exit_code == 0 and "1 orders re-attributed" in result.output
    body = explanation(client, order, world["brand"]["owner"]).get_json()
    assert body["model"] == "linear"
    assert sorted(c["fraction_ppm"] for c in body["lines"][0]["credits"]) == [500_000, 500_000]


def test_retry_failed_requeues_attribution_jobs(app, client, redis, runner, world, monkeypatch):
    client.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)
    order = buy(app, client, world, world["a"])
    monkeypatch.setattr("marketplace.attribution.services._line_credits", lambda *a, **k: 1 / 0)
    work(app, redis)  # the event job succeeds, the attribution job fails (retries are scheduled)
    job = Queue("default", connection=redis).fetch_job(f"attribute-order-{order['id']}")
    job.retries_left = 0
    job.save()
    registry = FailedJobRegistry(queue=Queue("default", connection=redis))
    Queue("default", connection=redis).enqueue_job(job)
    work(app, redis)  # no tries left: into the failed registry
    assert job.id in registry.get_job_ids()
    monkeypatch.undo()

    result = runner.invoke(args=["attribution", "retry-failed"], env={"REDIS_URL": ""})
    work(app, redis)

    assert "1 attribution jobs queued again" in result.output
    assert len(credits(app)) == 1


def test_two_shoppers_behind_one_address_are_both_credited(app, client, world):
    """A household or an office: the second click counts once in the link's stats (same address
    and browser within the hour), but it is still that shopper's click, and their sale is credited."""
    first, second = app.test_client(), app.test_client()  # two cookie jars, one address, one browser
    for shopper, email in ((first, "one@example.com"), (second, "two@example.com")):
        shopper.get(f"/r/{world['a']['link']['code']}", headers=BROWSER)
        buy(app, shopper, world, world["a"], email=email)

    with app.app_context():
        assert [c.counted for c in db.session.scalars(select(Click).order_by(Click.id))] == [True, False]
    assert [(c.influencer_id, c.fraction_ppm) for c in credits(app)] == [(credits(app)[0].influencer_id, 1_000_000)] * 2
