"""Reports: hand-computed figures, reconciliation (groupings, organic, raw rows, a rebuild),
model switching, cohorts and halo, influencer views and consent, CSV, charts, access.

Jobs run inline (no Redis): clicks, attribution and the rollups happen within the request.
Orders are paid through signed webhooks, so the payment provider is the recording gateway
(tests/fakes.py): localstripe would refuse to refund a payment it never took."""

from __future__ import annotations

import csv
import io
import itertools
import random
import threading
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from marketplace.attribution.models import AttributionCredit
from marketplace.db import db, insert_rows, utcnow
from marketplace.links.models import Click, ShareLink
from marketplace.money import allocate
from marketplace.orders.models import Order, OrderLine
from marketplace.reports.models import ReportSale, ReportStaleOrder
from marketplace.reports.rollups import rebuild, rebuild_sales, refresh_stale
from marketplace.reports.stale import mark_stale
from marketplace.reports.services import BRAND_GROUPS
from tests.fakes import RecordingGateway
from tests.stripe_events import deliver, event_body

API = "/api/v1"
BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"}
TODAY = datetime.now(timezone.utc).date()
PERIOD = {"from": str(TODAY - timedelta(days=365)), "to": str(TODAY + timedelta(days=2))}
_addresses = itertools.count(1)


@pytest.fixture
def shop(app, make, client, monkeypatch):
    monkeypatch.setitem(app.extensions, "payment_gateway", RecordingGateway(app.config["STRIPE_WEBHOOK_SECRET"]))
    brand = make.brand(attribution_window_days=30)  # 10 % commission by default
    p1 = make.product(brand, price=3000, stock=100)
    p2 = make.product(brand, price=5000, stock=100)
    people = {}
    for name, channel in (("ana", "instagram"), ("cy", "youtube")):
        storefront = make.storefront(owner=make.influencer(handle=name))
        collection = make.collection(storefront)
        make.item(storefront, p1, collection=collection["id"])
        item = make.item(storefront, p2)
        # ana shares a collection, cy one product: links that lead to the brand's products
        target = {"collection": collection["id"]} if name == "ana" else {"item_id": item["id"]}
        link = client.post(f"{API}/links", json={"storefront": storefront["slug"], "channel": channel, "campaign": "fall", **target},
                           headers=storefront["owner"].headers).get_json()
        assert "code" in link, link
        profile = client.get(f"{API}/me/influencer", headers=storefront["owner"].headers).get_json()
        people[name] = {"storefront": storefront, "link": link, "actor": storefront["owner"], "id": profile["id"]}
    return {"brand": brand, "p1": p1, "p2": p2, **people}


def shopper(app):
    """A new shopper: their own cookie jar and address."""
    browser = app.test_client()
    n = next(_addresses)
    browser.environ_base["REMOTE_ADDR"] = f"10.1.{n // 250}.{n % 250 + 1}"
    return browser


def buy(app, browser, storefront, items, email, clicks=()):
    for link in clicks:
        assert browser.get(f"/r/{link['code']}", headers=BROWSER).status_code == 302
    order = browser.post(f"{API}/orders", json={
        "storefront": storefront["slug"], "email": email,
        "items": [{"product_id": product["id"], "quantity": quantity} for product, quantity in items],
    }).get_json()
    assert deliver(browser, app, event_body("payment_intent.succeeded", order)).status_code == 200
    return order


def refund(client, order, brand, quantity):
    response = client.post(f"{API}/orders/{order['id']}/refunds", headers=brand["owner"].headers, json={
        "lines": [{"line_id": order["lines"][0]["id"], "quantity": quantity}], "reason": "returned",
    })
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def story(app, client, shop):
    """Four orders and a refund (hand-computed figures in the tests below):
    1. Alice clicks ana's link, buys 2 × p1 (6000): ana.        Later 1 unit is refunded (3000).
    2. Bob clicks ana's then cy's link, buys p2 (5000): cy under last click, half each under linear.
    3. Carol comes on her own, buys p1 (3000): organic.
    4. Alice buys p2 (5000) again: her click is still in the window: ana."""
    alice, bob, carol = shopper(app), shopper(app), shopper(app)
    first = buy(app, alice, shop["ana"]["storefront"], [(shop["p1"], 2)], "alice@example.com", [shop["ana"]["link"]])
    buy(app, bob, shop["ana"]["storefront"], [(shop["p2"], 1)], "bob@example.com", [shop["ana"]["link"], shop["cy"]["link"]])
    buy(app, carol, shop["cy"]["storefront"], [(shop["p1"], 1)], "carol@example.com")
    buy(app, alice, shop["ana"]["storefront"], [(shop["p2"], 1)], "Alice@Example.com")
    refund(client, first, shop["brand"], 1)
    return shop


def report(client, shop, path="attribution", actor=None, **params):
    actor = actor or shop["brand"]["owner"]
    response = client.get(f"{API}/brands/{shop['brand']['id']}/reports/{path}", query_string={**PERIOD, **params},
                          headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def figures(row, *names):
    return tuple(row[name] for name in names)


MONEY = ("orders", "units", "gross_revenue", "refunds", "revenue", "commissions")


def test_attribution_by_influencer_on_a_hand_computed_story(client, story):
    body = report(client, story)

    rows = {row["label"]: row for row in body["rows"]}
    assert list(rows) == ["ana", "cy"]  # by revenue
    # ana: orders 1 and 4; 6000 + 5000 gross, 3000 refunded; 10 % = 600 - 300 reversed + 500.
    assert figures(rows["ana"], *MONEY) == (2, 3, 11000, 3000, 8000, 800)
    assert figures(rows["cy"], *MONEY) == (1, 1, 5000, 0, 5000, 500)
    assert figures(rows["ana"], "clicks", "unique_visitors") == (2, 2)  # Alice's and Bob's
    assert figures(rows["cy"], "clicks", "unique_visitors", "conversion_rate") == (1, 1, 1.0)
    assert rows["ana"]["average_order_value"] == 4000
    assert rows["ana"]["earnings_per_click"] == 400
    assert rows["ana"]["return_on_commission_spend"] == 10.0
    assert figures(body["organic"], *MONEY) == (1, 1, 3000, 0, 3000, 0)
    assert figures(body["total"], *MONEY) == (4, 5, 19000, 3000, 16000, 1300)
    assert body["total"]["unique_visitors"] == 2
    assert body["currency"] == "USD" and body["commissions_basis"] == "ledger"
    assert body["currencies"] == [{"currency": "USD", "orders": 4, "gross_revenue": 19000, "refunds": 3000, "revenue": 16000,
                                   "attributed_revenue": 13000, "organic_revenue": 3000}]


def test_another_model_recomputes_the_period_without_touching_the_credits(app, client, story):
    linear = report(client, story, model="linear")

    rows = {row["label"]: row for row in linear["rows"]}
    assert figures(rows["ana"], "orders", "revenue", "commissions") == (3, 10500, 1050)  # half of Bob's order
    assert figures(rows["cy"], "orders", "revenue", "commissions") == (1, 2500, 250)
    assert linear["commissions_basis"] == "estimated"
    side_by_side = report(client, story, path="attribution/models")
    by_label = {row["label"]: row for row in side_by_side["rows"]}
    assert figures(by_label["cy"], "last_click_revenue", "first_click_revenue", "linear_revenue") == (5000, 0, 2500)
    assert figures(by_label["ana"], "last_click_revenue", "first_click_revenue", "linear_revenue") == (8000, 13000, 10500)
    assert all(side_by_side["totals"][f"{m}_revenue"] == 13000 for m in ("last_click", "first_click", "linear"))
    assert side_by_side["organic_revenue"] == 3000
    with app.app_context():  # the stored credits are still last click's
        assert {c.model for c in db.session.scalars(select(AttributionCredit))} == {"last_click"}


@pytest.mark.parametrize("group_by", BRAND_GROUPS)
def test_every_grouping_adds_up_to_the_totals_and_to_the_brands_sales(app, client, story, group_by):
    body = report(client, story, group_by=group_by)

    for name in ("units", "gross_revenue", "refunds", "revenue", "commissions", "clicks"):
        assert sum(row[name] for row in body["rows"]) == body["attributed_total"][name], name
    assert body["attributed_total"]["revenue"] + body["organic"]["revenue"] == body["total"]["revenue"]
    with app.app_context():  # the brand's paid revenue minus refunds, from the orders themselves
        paid = db.session.execute(
            select(func.sum(OrderLine.line_total), func.sum(OrderLine.refunded_amount))
            .where(OrderLine.brand_id == story["brand"]["id"])
        ).one()
    assert body["total"]["revenue"] == int(paid[0] - paid[1])


def test_rollups_equal_the_figures_computed_from_raw_rows(app, client, story, runner):
    before = report(client, story)
    with app.app_context():  # each influencer's credited share of every line, from the credits table
        expected: dict[int, int] = {}
        for line in db.session.scalars(select(OrderLine)):
            credits = db.session.scalars(select(AttributionCredit).where(AttributionCredit.order_line_id == line.id)
                                         .order_by(AttributionCredit.id)).all()
            for credit, gross in zip(credits, allocate(line.line_total - line.refunded_amount, [c.fraction_ppm for c in credits])):
                expected[credit.influencer_id] = expected.get(credit.influencer_id, 0) + gross
    assert {int(row["key"]): row["revenue"] for row in before["rows"]} == expected

    result = runner.invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    assert report(client, story) == before


def test_periods_that_cut_months_add_up_to_their_own_orders(app, client, story):
    """Periods whose ends fall a day or two into a month (read as that month less the days
    outside) or deep into it (read day by day), in UTC and in a zone behind it: the totals are
    those of the orders paid in the period, and the influencers' rows add up to them."""
    month = (TODAY.replace(day=1) - timedelta(days=100)).replace(day=1)  # four months back
    with app.app_context():
        orders = db.session.scalars(select(Order).order_by(Order.id)).all()
        for order, days in zip(orders, (0, 2, 40, 89), strict=True):
            order.paid_at = datetime(month.year, month.month, month.day, 10, tzinfo=timezone.utc) + timedelta(days=days)
        db.session.commit()
        rebuild()
        db.session.commit()
        paid = {order.id: order.paid_at for order in orders}
        net = {order_id: int(db.session.scalar(select(func.sum(OrderLine.line_total - OrderLine.refunded_amount))
                                                .where(OrderLine.order_id == order_id))) for order_id in paid}
    for first, last, zone in [(1, 88, "UTC"), (2, 89, "UTC"), (3, 90, "UTC"), (1, 88, "America/New_York"),
                              (20, 70, "UTC"), (0, 62, "UTC"), (0, 31, "UTC")]:
        since, until = month + timedelta(days=first), month + timedelta(days=last)
        start, end = (datetime.combine(day, datetime.min.time(), ZoneInfo(zone)) for day in (since, until))
        expected = [order_id for order_id, at in paid.items() if start <= at < end]
        body = report(client, story, **{"from": str(since), "to": str(until), "tz": zone})
        assert (body["total"]["orders"], body["total"]["revenue"]) == (len(expected), sum(net[i] for i in expected)), (first, last, zone)
        assert sum(row["revenue"] for row in body["rows"]) + body["organic"]["revenue"] == body["total"]["revenue"]


def test_a_refund_reaches_the_report(client, story):
    before = report(client, story)["total"]
    orders = client.get(f"{API}/brands/{story['brand']['id']}/orders", headers=story["brand"]["owner"].headers).get_json()
    carol = next(o for o in orders["items"] if o["email"] == "carol@example.com")
    refund(client, carol, story["brand"], 1)

    after = report(client, story)
    assert after["total"]["refunds"] == before["refunds"] + 3000
    assert after["organic"]["revenue"] == 0


def test_days_are_local_days_of_the_requested_zone(app, client, story):
    with app.app_context():
        late = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)  # 00:30 on 2 March in Paris
        db.session.execute(update(Order).values(paid_at=late))
        rebuild_sales(list(db.session.scalars(select(Order.id))))
        db.session.commit()

    utc = report(client, story, group_by="day", **{"from": "2026-03-01", "to": "2026-03-03"})
    paris = report(client, story, group_by="day", tz="Europe/Paris", **{"from": "2026-03-01", "to": "2026-03-03"})
    assert [row["key"] for row in utc["rows"] if row["orders"]] == ["2026-03-01"]
    assert [row["key"] for row in paris["rows"] if row["orders"]] == ["2026-03-02"]
    assert paris["total"]["revenue"] == utc["total"]["revenue"] == 16000


def test_relationships_follow_each_shopper_from_their_first_purchase(app, client, story):
    body = report(client, story, path="relationships")

    cohorts = {c["handle"]: c for c in body["influencers"]}
    ana, cy = cohorts["ana"], cohorts["cy"]
    # Alice (first bought through ana) came back: two orders, 8000 net, 3000 of 11000 refunded.
    assert figures(ana, "shoppers", "orders", "repeat_purchase_rate", "orders_per_shopper", "revenue") == (1, 2, 1.0, 2.0, 8000)
    assert ana["refund_rate"] == round(3000 / 11000, 4)
    assert figures(ana, "first_purchase_revenue_per_shopper", "revenue_30d", "halo_revenue", "later_commissioned_revenue") == (
        3000, 8000, 0, 5000)
    assert figures(cy, "shoppers", "orders", "repeat_purchase_rate", "revenue") == (1, 1, 0.0, 5000)  # Bob
    assert figures(body["organic"], "shoppers", "revenue") == (1, 3000)  # Carol
    assert ana["recommendations"] == {"products": 2, "units": 3, "refund_rate": round(3000 / 11000, 4), "reorder_rate": 0.0}


def test_the_reorder_rate_is_the_share_of_pairs_sold_that_the_shopper_bought_again(app, client, story):
    """Of the (shopper, product) pairs an influencer first sold in the period, those the shopper
    bought in a later order, from anyone."""
    buy(app, shopper(app), story["cy"]["storefront"], [(story["p1"], 1)], "alice@example.com")  # Alice's p1 again

    cohorts = {c["handle"]: c for c in report(client, story, path="relationships")["influencers"]}
    assert cohorts["ana"]["recommendations"]["reorder_rate"] == 0.5  # (Alice, p1) bought again; (Alice, p2) not
    assert cohorts["ana"]["recommendations"]["products"] == 2
    assert cohorts["cy"]["recommendations"]["reorder_rate"] == 0.0  # (Bob, p2)


def test_halo_is_what_a_shopper_bought_after_the_window_closed(app, client, shop):
    dora = shopper(app)
    buy(app, dora, shop["cy"]["storefront"], [(shop["p1"], 1)], "dora@example.com", [shop["cy"]["link"]])
    with app.app_context():  # her click was 40 days ago: the window (30 days) has closed
        for click in db.session.scalars(select(Click)):
            click.occurred_at -= timedelta(days=40)
        db.session.commit()
    buy(app, dora, shop["cy"]["storefront"], [(shop["p2"], 1)], "dora@example.com")

    [cy] = report(client, shop, path="relationships")["influencers"]
    assert figures(cy, "handle", "shoppers", "orders", "revenue", "halo_revenue", "later_commissioned_revenue") == (
        "cy", 1, 2, 8000, 5000, 0)
    assert report(client, shop)["organic"]["revenue"] == 5000  # not commissioned


def test_reshare_reach_is_reported_for_the_originating_influencer(app, client, shop):
    friend = shopper(app)
    friend.get(f"/r/{shop['ana']['link']['code']}", headers=BROWSER)
    reshare = friend.post(f"/r/{shop['ana']['link']['code']}/reshare", json={"channel": "sms"}).get_json()
    buyer = shopper(app)
    buy(app, buyer, shop["ana"]["storefront"], [(shop["p2"], 1)], "eve@example.com", [reshare])

    [ana] = report(client, shop, path="relationships")["influencers"]
    assert ana["network"] == {"reshare_links": 1, "max_depth": 1, "reshare_clicks": 1, "reshare_orders": 1, "reshare_revenue": 5000}


def test_influencers_see_their_performance_and_shoppers_only_with_consent(app, client, make, story):
    ana = story["ana"]["actor"]
    response = client.get(f"{API}/me/reports/performance", query_string={**PERIOD, "group_by": "link"}, headers=ana.headers)
    assert response.status_code == 200, response.get_json()
    [row] = response.get_json()["rows"]
    assert figures(row, "key", "clicks", "orders", "revenue", "earnings", "conversion_rate") == (
        story["ana"]["link"]["code"], 2, 2, 8000, 800, 1.0)

    [brand] = client.get(f"{API}/me/reports/relationships", headers=ana.headers).get_json()["brands"]
    assert figures(brand, "shoppers", "shared_shoppers", "hidden_shoppers") == (1, [], 1)
    assert (brand["currency"], brand["revenue"]) == ("USD", 8000)  # Alice: 6000 + 5000 - a 3000 refund
    alice = make.actor("shopper", email="alice@example.com")
    response = client.patch(f"{API}/me", json={"share_with_influencers": True}, headers=alice.headers)
    assert response.status_code == 200 and response.get_json()["share_with_influencers"] is True
    [brand] = client.get(f"{API}/me/reports/relationships", headers=ana.headers).get_json()["brands"]
    assert figures(brand, "shared_shoppers", "hidden_shoppers") == (["alice@example.com"], 0)
    assert "alice" not in str(client.get(f"{API}/me/reports/relationships", headers=story["cy"]["actor"].headers).get_json())


def test_each_brand_report_is_exactly_its_documented_schema(client, story):
    """The brand reports are sent without a second pass through their schemas: each still has
    exactly the documented fields (nested ones too), of the documented types, its period included."""
    import marshmallow as ma

    from marketplace.reports.schemas import AttributionReportSchema, ModelsReportSchema, RelationshipsReportSchema

    def conforms(value: dict, schema: ma.Schema, where: str) -> None:
        fields = {field.data_key or name: field for name, field in schema.fields.items()}
        assert set(value) == set(fields), where
        for name, field in fields.items():
            inner = field.inner if isinstance(field, ma.fields.List) else field
            if isinstance(inner, ma.fields.Nested) and value[name] is not None:
                for item in (value[name] if inner is not field else [value[name]]):
                    conforms(item, inner.schema, f"{where}.{name}")

    for path, params, schema in [
        ("attribution", {}, AttributionReportSchema()), ("attribution", {"group_by": "day", "tz": "America/New_York"}, AttributionReportSchema()),
        ("attribution", {"model": "linear", "group_by": "channel"}, AttributionReportSchema()),
        ("attribution/models", {}, ModelsReportSchema()), ("relationships", {}, RelationshipsReportSchema()),
    ]:
        body = report(client, story, path=path, **params)
        assert (body["from"], body["to"]) == (PERIOD["from"], PERIOD["to"]), path
        assert body["rows" if "rows" in body else "influencers"], path
        conforms(body, schema, path)
        assert schema.dump(body) == body, path
    assert set(client.get(f"{API}/me/reports/relationships", headers=story["ana"]["actor"].headers).get_json()) >= {"from", "to"}


def test_csv_has_the_json_rows_and_columns(client, story):
    body = report(client, story)
    url = f"{API}/brands/{story['brand']['id']}/reports/attribution"
    owner = story["brand"]["owner"].headers
    by_format = client.get(url, query_string={**PERIOD, "format": "csv"}, headers=owner)
    by_accept = client.get(url, query_string=PERIOD, headers={**owner, "Accept": "text/csv"})
    for response in (by_format, by_accept):
        assert response.status_code == 200 and response.mimetype == "text/csv"
        parsed = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        expected = [*body["rows"], body["organic"], body["attributed_total"], body["total"]]
        assert list(parsed[0]) == list(body["rows"][0])
        assert parsed == [{k: "" if v is None else str(v) for k, v in row.items()} for row in expected]


def test_csv_cells_that_look_like_formulas_are_defused(app, client, make, shop):
    link = client.post(f"{API}/links", json={"storefront": shop["ana"]["storefront"]["slug"], "channel": "blog",
                                              "campaign": "=HYPERLINK(\"x\")"}, headers=shop["ana"]["actor"].headers).get_json()
    buy(app, shopper(app), shop["ana"]["storefront"], [(shop["p1"], 1)], "f@example.com", [link])
    response = client.get(f"{API}/brands/{shop['brand']['id']}/reports/attribution",
                          query_string={**PERIOD, "group_by": "campaign", "format": "csv"}, headers=shop["brand"]["owner"].headers)
    [row] = [r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True))) if r["key"].startswith("'")]
    assert row["key"] == "'=HYPERLINK(\"x\")"


def test_charts_are_svg(client, story):
    for path in ("attribution/chart.svg", "relationships/chart.svg"):
        response = client.get(f"{API}/brands/{story['brand']['id']}/reports/{path}", query_string=PERIOD,
                              headers=story["brand"]["owner"].headers)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        svg = response.get_data(as_text=True)
        assert "<svg" in svg and "src=" not in svg  # nothing loaded from elsewhere
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        assert "ana" in svg  # a series (top influencers) or a cohort curve of hers


def test_the_revenue_chart_shows_the_leaders_and_everyone_else_credited(app, story):
    """Ana's 8000 net (6000 + 5000 - 3000 refunded) leads; Bob's 5000, credited to cy under the
    stored last click, is "everyone else" when only one series is asked for."""
    from marketplace.accounts.models import User
    from marketplace.reports.services import period, revenue_by_day

    with app.app_context():
        owner = db.session.get(User, story["brand"]["owner"].id)
        p = period(date.fromisoformat(PERIOD["from"]), date.fromisoformat(PERIOD["to"]), "UTC")
        for top, expected in ((1, {"ana": 8000, "everyone else": 5000}), (5, {"ana": 8000, "cy": 5000})):
            chart = revenue_by_day(owner, story["brand"]["id"], p, None, top)
            assert {series["label"]: sum(series["revenue"]) for series in chart["series"]} == expected
            today = chart["days"].index(TODAY.isoformat())
            assert [series["revenue"][today] for series in chart["series"]] == list(expected.values())


def test_each_role_sees_only_its_own_reports(client, make, story):
    brand_url = f"{API}/brands/{story['brand']['id']}/reports"
    stranger = make.brand()["owner"]
    for path in ("attribution", "attribution/models", "relationships", "attribution/chart.svg"):
        assert client.get(f"{brand_url}/{path}", query_string=PERIOD, headers=stranger.headers).status_code == 403
        assert client.get(f"{brand_url}/{path}", query_string=PERIOD, headers=story["ana"]["actor"].headers).status_code == 403
        assert client.get(f"{brand_url}/{path}", query_string=PERIOD).status_code == 401
    assert client.get(f"{brand_url}/attribution", query_string=PERIOD, headers=make.actor("admin").headers).status_code == 200
    shopper_actor = make.actor("shopper")
    assert client.get(f"{API}/me/reports/performance", query_string=PERIOD, headers=shopper_actor.headers).status_code == 403
    cy = client.get(f"{API}/me/reports/performance", query_string={**PERIOD, "group_by": "link"},
                    headers=story["cy"]["actor"].headers).get_json()
    assert {row["key"] for row in cy["rows"]} == {story["cy"]["link"]["code"]}


@pytest.mark.parametrize("params, field", [
    ({"tz": "Mars/Olympus"}, "tz"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
    ({"group_by": "planet"}, "group_by"),
    ({"model": "best_guess"}, "model"),
    ({"from": "yesterday"}, "from"),
])
def test_a_bad_query_is_a_422_that_names_the_field(client, shop, params, field):
    response = client.get(f"{API}/brands/{shop['brand']['id']}/reports/attribution", query_string={**PERIOD, **params},
                          headers=shop["brand"]["owner"].headers)
    assert response.status_code == 422
    body = response.get_json()
    assert field in str(body.get("errors")), body


def test_a_generated_story_reconciles_under_every_model(app, client, shop):
    """Random shoppers, clicks, orders and refunds; every model's rows add up to the brand's sales."""
    rng = random.Random(7)
    links = [shop["ana"]["link"], shop["cy"]["link"]]
    for n in range(12):
        browser = shopper(app)
        clicks = rng.sample(links, rng.randint(0, 2))
        order = buy(app, browser, shop[rng.choice(["ana", "cy"])]["storefront"],
                    [(shop[rng.choice(["p1", "p2"])], rng.randint(1, 3))], f"buyer{n % 7}@example.com", clicks)
        if rng.random() < 0.3:
            refund(client, order, shop["brand"], 1)
    with app.app_context():
        refresh_stale()
        net = int(db.session.scalar(select(func.sum(OrderLine.line_total - OrderLine.refunded_amount))))
    for model in (None, "last_click", "first_click", "linear", "time_decay", "position_based"):
        body = report(client, shop, **({"model": model} if model else {}))
        assert sum(row["revenue"] for row in body["rows"]) + body["organic"]["revenue"] == net, model
        assert body["total"]["revenue"] == net
    side = report(client, shop, path="attribution/models")
    assert {side["totals"][f"{m}_revenue"] for m in ("last_click", "first_click", "linear", "time_decay", "position_based")} == {
        net - side["organic_revenue"]}


def test_with_redis_the_jobs_keep_the_rollups_and_survive_a_crash(app, client, redis, shop, monkeypatch):
    """Clicks buffered, drained, rolled up by the worker; the refresh job run twice, and crashing
    halfway through a batch, leaves the same rows."""
    from workers import AppSimpleWorker

    def work():
        AppSimpleWorker(["default"], connection=redis, app=app).work(burst=True)

    browser = shopper(app)
    order = buy(app, browser, shop["ana"]["storefront"], [(shop["p1"], 1)], "gia@example.com", [shop["ana"]["link"]])
    work()  # drains the click, attributes the order, refreshes its rows, rolls the click up
    body = report(client, shop)
    assert figures(body["rows"][0], "label", "clicks", "unique_visitors", "orders", "revenue") == ("ana", 1, 1, 1, 3000)

    def rows():
        query = select(ReportSale.order_id, ReportSale.influencer_id, ReportSale.credited_gross).order_by(ReportSale.id)
        return [tuple(row) for row in db.session.execute(query)]

    with app.app_context():
        before = rows()
        mark_stale([order["id"]])
        db.session.commit()
        monkeypatch.setattr("marketplace.reports.rollups._line_rows", lambda *a: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            refresh_stale()
        db.session.rollback()
        monkeypatch.undo()
        assert db.session.scalar(select(func.count()).select_from(ReportStaleOrder)) == 1  # still asked for
        assert refresh_stale() == 1 and refresh_stale() == 0
        assert rows() == before


def test_a_job_that_finds_a_backlog_wakes_another_for_a_free_worker(app, story, redis):
    """A full batch taken: more may be waiting, so the job wakes a second one (at most one waits),
    which another worker runs beside it; the last, partial batch wakes none."""
    from marketplace.queueing import get_queue
    from marketplace.reports.stale import REFRESH_JOB

    with app.app_context():
        orders = list(db.session.scalars(select(Order.id)))
        insert_rows(ReportStaleOrder.__table__, [{"order_id": i, "marked_at": utcnow()} for i in orders])
        db.session.commit()
        assert refresh_stale(batch_size=len(orders) - 1) == len(orders)
        assert [job.func_name for job in get_queue().jobs] == [REFRESH_JOB]
        redis.flushdb()
        insert_rows(ReportStaleOrder.__table__, [{"order_id": orders[0], "marked_at": utcnow()}])
        db.session.commit()
        assert refresh_stale(batch_size=2) == 1
        assert get_queue().jobs == []


def test_clicks_on_a_whole_storefront_are_the_influencers_not_a_brands(app, client, shop):
    link = client.post(f"{API}/links", json={"storefront": shop["ana"]["storefront"]["slug"], "channel": "blog"},
                       headers=shop["ana"]["actor"].headers).get_json()
    buy(app, shopper(app), shop["ana"]["storefront"], [(shop["p1"], 1)], "hal@example.com", [link])

    [row] = report(client, shop)["rows"]
    assert figures(row, "label", "clicks", "orders", "revenue") == ("ana", 0, 1, 3000)  # the sale is the brand's
    mine = client.get(f"{API}/me/reports/performance", query_string={**PERIOD, "group_by": "link"},
                      headers=shop["ana"]["actor"].headers).get_json()
    assert {row["key"]: row["clicks"] for row in mine["rows"]}[link["code"]] == 1


def test_a_deleted_account_leaves_orders_that_no_longer_link_to_each_other(app, client, make, story):
    alice = make.actor("shopper", email="alice@example.com")
    assert client.delete(f"{API}/me", headers=alice.headers).status_code == 204

    cohorts = {c["handle"]: c for c in report(client, story, path="relationships")["influencers"]}
    # Alice's two orders are two strangers now: no repeat buyer left in ana's cohort.
    assert figures(cohorts["ana"], "shoppers", "orders", "repeat_purchase_rate") == (2, 2, 0.0)
    assert report(client, story)["total"]["revenue"] == 16000  # the books keep the sales


def rollup_rows(app) -> dict:
    """Every derived table, as comparable rows (totals summed per span and key, zero rows left out)."""
    from marketplace.reports.models import (
        ReportBrandClickHour,
        ReportClickHour,
        ReportLinkBrand,
        ReportLinkClicks,
        ReportSaleTotal,
        ReportInfluencerProduct,
        ReportShopper,
    )

    with app.app_context():
        totals = ReportSaleTotal.__table__
        keys = [totals.c[name] for name in ("brand_id", "currency", "dim", "unit", "start", "key")]
        sums = [c for c in totals.c if c.name not in {"id", *(k.name for k in keys)}]
        summed = {
            tuple(row[:6]): tuple(int(v) for v in row[6:])
            for row in db.session.execute(select(*keys, *(func.sum(c) for c in sums)).group_by(*keys))
        }
        found = {"totals": {k: v for k, v in summed.items() if any(v)}}
        for model in (ReportShopper, ReportInfluencerProduct, ReportClickHour, ReportLinkClicks, ReportBrandClickHour, ReportLinkBrand):
            columns = [c for c in model.__table__.c if c.name != "visitors"]
            found[model.__tablename__] = sorted(tuple(row) for row in db.session.execute(select(*columns)))
        return found


def test_the_rollups_kept_by_the_jobs_equal_a_rebuild_and_the_raw_clicks(app, client, shop, runner):
    """Orders, refunds and clicks in random order, a curation change, then: every derived table
    equals what ``flask reports rebuild`` makes of the raw tables, and unique visitors (sketches
    on PostgreSQL) equal a distinct count of the raw clicks, in UTC and in a half-hour zone."""
    from marketplace.reports import services
    from marketplace.reports.rollups import roll_up_clicks
    from marketplace.storefronts.models import StorefrontItem

    rng = random.Random(11)
    links = [shop["ana"]["link"], shop["cy"]["link"]]
    for n in range(10):
        order = buy(app, shopper(app), shop[rng.choice(["ana", "cy"])]["storefront"],
                    [(shop[rng.choice(["p1", "p2"])], rng.randint(1, 2))], f"buyer{n % 4}@example.com",
                    rng.sample(links, rng.randint(0, 2)))
        if rng.random() < 0.3:
            refund(client, order, shop["brand"], 1)
    with app.app_context():  # ana's collection no longer shows the brand: her link's clicks leave its hours
        item_id = db.session.scalar(select(StorefrontItem.id).where(StorefrontItem.collection_id.is_not(None)))
    ana = shop["ana"]
    assert client.delete(f"{API}/storefronts/{ana['storefront']['slug']}/items/{item_id}", headers=ana["actor"].headers).status_code == 204
    shopper(app).get(f"/r/{shop['cy']['link']['code']}", headers=BROWSER)
    with app.app_context():
        refresh_stale()
        roll_up_clicks()
        cy_link = db.session.scalar(select(ShareLink.id).where(ShareLink.code == shop["cy"]["link"]["code"]))
    kept = rollup_rows(app)
    assert kept["report_link_brands"] == [(cy_link, shop["brand"]["id"])]

    tokyo = {"tz": "Asia/Kolkata", "from": str(TODAY - timedelta(days=40)), "to": str(TODAY + timedelta(days=1))}
    reports = {(group_by, tz): report(client, shop, group_by=group_by, **(tokyo if tz else {}))
               for group_by in ("influencer", "day", "month", "campaign") for tz in (False, True)}
    with app.app_context():
        brand_links = services._brand_link_ids(shop["brand"]["id"])
        for (group_by, tz), body in reports.items():
            p = services.period(*(date.fromisoformat((tokyo if tz else PERIOD)[k]) for k in ("from", "to")),
                                tokyo["tz"] if tz else "UTC")
            exact = services._visitors(brand_links, p, group_by)
            assert {row["key"]: row["unique_visitors"] for row in body["rows"] if row["clicks"]} == {
                str(k): v for k, v in exact.items() if k is not None}, (group_by, tz)
            assert body["total"]["unique_visitors"] == exact[None]
            assert body["total"]["revenue"] == reports[("influencer", tz)]["total"]["revenue"]
            assert body["attributed_total"]["clicks"] == reports[("influencer", tz)]["attributed_total"]["clicks"]

    result = runner.invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    assert rollup_rows(app) == kept
    assert {key: report(client, shop, group_by=key[0], **(tokyo if key[1] else {})) for key in reports} == reports


def test_an_influencers_clicks_group_by_brand_with_several_item_links(app, client, story):
    cy = story["cy"]
    item = client.get(f"{API}/storefronts/{cy['storefront']['slug']}").get_json()["items"][0]
    second = client.post(f"{API}/links", json={"storefront": cy["storefront"]["slug"], "channel": "blog", "item_id": item["id"]},
                         headers=cy["actor"].headers).get_json()
    assert shopper(app).get(f"/r/{second['code']}", headers=BROWSER).status_code == 302

    response = client.get(f"{API}/me/reports/performance", query_string={**PERIOD, "group_by": "brand"}, headers=cy["actor"].headers)

    assert response.status_code == 200, response.get_json()
    [row] = response.get_json()["rows"]
    assert (row["key"], row["clicks"]) == (str(story["brand"]["id"]), 2)  # Bob's click on the first link, and this one


def test_an_order_marked_again_unchanged_keeps_its_rows_and_a_refund_replaces_them(app, client, story):
    """The rollup job leaves alone an order whose rows come out as they were (a commission
    approved, a webhook delivered twice) and replaces only the changed order's rows, with the
    totals and cohorts moved by new minus old."""
    def row_ids() -> dict[int, list[int]]:
        with app.app_context():
            found: dict[int, list[int]] = {}
            for order_id, row_id in db.session.execute(select(ReportSale.order_id, ReportSale.id).order_by(ReportSale.id)):
                found.setdefault(order_id, []).append(row_id)
            return found

    before, kept = row_ids(), rollup_rows(app)
    with app.app_context():
        mark_stale(before)
        db.session.commit()  # the job runs inline after the commit
        assert db.session.scalar(select(func.count()).select_from(ReportStaleOrder)) == 0
    assert row_ids() == before and rollup_rows(app) == kept

    orders = client.get(f"{API}/brands/{story['brand']['id']}/orders", headers=story["brand"]["owner"].headers).get_json()
    bob = next(o for o in orders["items"] if o["email"] == "bob@example.com")
    refund(client, bob, story["brand"], 1)
    after = row_ids()
    assert {order_id: ids for order_id, ids in after.items() if order_id != bob["id"]} == {
        order_id: ids for order_id, ids in before.items() if order_id != bob["id"]}
    assert min(after[bob["id"]]) > max(max(ids) for ids in before.values())  # new rows, the old ones gone
    assert len(after[bob["id"]]) == len(before[bob["id"]])
    changed = rollup_rows(app)
    assert changed["report_shoppers"] != kept["report_shoppers"]  # Bob's cohort row: his refund
    assert report(client, story)["total"]["refunds"] == 3000 + 5000


def test_two_jobs_at_once_neither_block_each_other_for_good_nor_fail(app, client, shop):
    """Two workers refreshing at once (``rq worker`` scaled out): batches share totals rows (the
    brand's day, an influencer's month) and shoppers (one buyer's orders in two batches), yet
    neither deadlocks nor trips on the other's cohort rows, and the rollups end as a rebuild
    makes them."""
    if app.extensions["db"].engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    rng = random.Random(11)
    for n in range(16):
        buy(app, shopper(app), shop[rng.choice(["ana", "cy"])]["storefront"], [(shop[rng.choice(["p1", "p2"])], 1)],
            f"buyer{n % 4}@example.com", rng.sample([shop["ana"]["link"], shop["cy"]["link"]], rng.randint(0, 2)))
    expected = rollup_rows(app)
    with app.app_context():
        paid = list(db.session.scalars(select(Order.id).where(Order.status == "paid").order_by(Order.id)))
    errors: list[BaseException] = []

    def worker(start: threading.Barrier) -> None:
        with app.app_context():
            try:
                start.wait(10)
                while refresh_stale(batch_size=1):
                    pass
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)
                db.session.rollback()

    for _ in range(4):
        for status in ("pending_payment", "paid"):  # every order's rows taken out, then put back
            with app.app_context():
                db.session.execute(update(Order).where(Order.id.in_(paid)).values(status=status))
                insert_rows(ReportStaleOrder.__table__, [{"order_id": i, "marked_at": utcnow()} for i in paid])
                db.session.commit()
            start = threading.Barrier(2)
            threads = [threading.Thread(target=worker, args=(start,)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert not errors, errors
    assert rollup_rows(app) == expected


def test_two_jobs_rebuilding_one_shoppers_rows_take_turns(app, story):
    """Alice's two orders, months apart (no totals row in common), land in two jobs' batches at
    once: the second job waits for the first to commit and recomputes her cohort row from what
    it wrote, instead of inserting a second row for her (a duplicate key, the batch lost)."""
    if app.extensions["db"].engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    with app.app_context():
        first, second = db.session.scalars(
            select(Order.id).where(func.lower(Order.email) == "alice@example.com").order_by(Order.id)).all()
        order = db.session.get(Order, first)
        order.paid_at -= timedelta(days=70)
        db.session.commit()
        rebuild_sales([first])  # her first order's rows moved back 70 days
        db.session.execute(update(Order).where(Order.id.in_([first, second])).values(status="pending_payment"))
        db.session.commit()
    first_done, errors = threading.Event(), []

    def job(order_id: int, before_commit) -> None:
        with app.app_context():
            try:
                rebuild_sales([order_id])
                before_commit()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)

    one = threading.Thread(target=job, args=(first, lambda: first_done.wait(10)))
    one.start()
    time.sleep(0.5)  # the first job holds her rows, uncommitted
    two = threading.Thread(target=job, args=(second, lambda: None))
    two.start()
    time.sleep(0.5)  # the second waits on the first
    first_done.set()
    one.join(20)
    two.join(20)
    assert not errors, errors
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportSale).where(ReportSale.order_id.in_([first, second]))) == 0
    expected = rollup_rows(app)
    with app.app_context():
        rebuild()
        db.session.commit()
    assert rollup_rows(app) == expected
