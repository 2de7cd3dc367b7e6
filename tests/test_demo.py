"""The demo's four months of history: orders like the app's own, and reports with something to show."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.catalog.models import Product
from marketplace.commissions.models import CommissionLine, CommissionState
from marketplace.db import db, utcnow
from marketplace.demo import BRANDS
from marketplace.links.models import Click
from marketplace.orders.models import Order, OrderEvent, OrderStatus, Refund, RefundLine

API = "/api/v1"
PERIOD = f"from={date.today() - timedelta(days=130)}&to={date.today() + timedelta(days=1)}"


@pytest.fixture
def demo(runner, client, app):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        brands = dict(db.session.execute(select(Product.sku, Product.brand_id)).all())

    def login(email):
        token = client.post(f"{API}/auth/token", json={"email": email, "password": "demo-password"}).get_json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    return {"brand": login("brands@demo.example"), "maya": login("maya@demo.example"),
            "northwind": brands["NK-PAN-10"], "fernhill": brands["FB-BREAD"]}


def test_the_demo_reports_show_influencers_organic_sales_cohorts_reach_and_mayas_performance(client, demo):
    def report(brand_id, path, query=""):
        response = client.get(f"{API}/brands/{brand_id}/reports/{path}?{PERIOD}{query}", headers=demo["brand"])
        assert response.status_code == 200
        return response.get_json()

    by_influencer = report(demo["fernhill"], "attribution", "&group_by=influencer")
    by_day = report(demo["northwind"], "attribution", "&group_by=day")
    relationships = report(demo["northwind"], "relationships")
    performance = client.get(f"{API}/me/reports/performance?group_by=channel&{PERIOD}", headers=demo["maya"]).get_json()

    earning = [row for row in by_influencer["rows"] if row["revenue"] > 0 and row["clicks"] > 100]
    assert {row["label"] for row in earning} == {"mayacooks", "tomoutside"}
    assert by_influencer["organic"]["revenue"] > 0
    assert len([row for row in by_day["rows"] if row["orders"]]) > 60  # sales on most days of four months
    maya = next(row for row in relationships["influencers"] if row["handle"] == "mayacooks")
    assert maya["shoppers"] > 50 and maya["repeat_purchase_rate"] > 0
    assert maya["network"]["max_depth"] == 2 and maya["network"]["reshare_clicks"] > 0
    assert maya["network"]["reshare_orders"] > 0
    assert relationships["organic"]["shoppers"] > 0
    assert performance["total"]["clicks"] > 1000 and performance["total"]["orders"] > 100
    assert performance["total"]["earnings"] > 0
    assert {row["label"] for row in performance["rows"]} >= {"instagram", "blog", "email", "sms"}


def test_history_is_paid_orders_with_consistent_refunds_bots_and_repeats_and_leaves_stock_alone(app, demo):
    with app.app_context():
        session = db.session
        orders = session.scalars(select(Order)).all()
        assert len(orders) > 300 and all(order.paid_at and order.payment_intent_id for order in orders)
        assert session.scalar(select(func.count()).select_from(OrderEvent)) >= 2 * len(orders)
        refunded = [order for order in orders if order.status == OrderStatus.PARTIALLY_REFUNDED]
        assert refunded
        for order in refunded:
            refunds = session.scalars(select(Refund).where(Refund.order_id == order.id)).all()
            lines = session.scalars(select(RefundLine).where(RefundLine.refund_id.in_([r.id for r in refunds]))).all()
            assert 0 < order.refunded_total == sum(r.amount for r in refunds) == sum(l.amount for l in lines) < order.total
            assert order.refunded_total == sum(line.refunded_amount for line in order.lines)
        assert sum(order.email == "shopper@demo.example" for order in orders) > 1
        clicks = session.execute(select(Click.is_bot, Click.counted, func.count()).group_by(Click.is_bot, Click.counted)).all()
        assert {(is_bot, counted) for is_bot, counted, _ in clicks} == {(True, False), (False, True), (False, False)}
        assert sum(n for is_bot, _, n in clicks if not is_bot) > 2000  # human clicks; repeats within the hour not counted
        states = dict(session.execute(
            select(CommissionLine.state, func.max(CommissionLine.hold_until)).group_by(CommissionLine.state)
        ).all())
        assert set(states) == {CommissionState.APPROVED, CommissionState.PENDING}  # Alba Outdoor holds for 45 days
        pending_due = select(func.count()).where(CommissionLine.state == CommissionState.PENDING, CommissionLine.hold_until <= utcnow())
        assert session.scalar(pending_due) == 0
        stock = dict(session.execute(select(Product.sku, Product.stock)).all())
        assert stock == {sku: units for spec in BRANDS for sku, _, _, units, _, _ in spec["products"]}
        assert not any(session.scalars(select(Product.reserved)))
