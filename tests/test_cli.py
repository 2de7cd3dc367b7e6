from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.brands.models import Brand
from marketplace.catalog.models import Product
from marketplace.commissions.models import CommissionLine
from marketplace.db import db
from marketplace.links.models import Click, ShareLink
from marketplace.orders.models import Order
from marketplace.reports.models import ReportSale
from marketplace.storefronts.models import Storefront, StorefrontItem


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_admin_makes_an_admin_who_can_log_in(runner, client, app):
    result = runner.invoke(args=["create-admin", "--email", "Root@Example.com"], input="s3cret-pass\ns3cret-pass\n")

    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.scalar(select(User))
        assert admin.email == "root@example.com"
        assert admin.role == Role.ADMIN
    token = client.post("/api/v1/auth/token", json={"email": "root@example.com", "password": "s3cret-pass"})
    assert token.status_code == 200


def test_create_admin_refuses_short_password(runner, app):
    result = runner.invoke(args=["create-admin", "--email", "root@example.com"], input="short\nshort\n")

    assert result.exit_code != 0
    assert _count(app, User) == 0


DEMO_TABLES = (User, Brand, Product, Storefront, StorefrontItem, ShareLink, Click, Order, CommissionLine, ReportSale)


def test_seed_demo_is_idempotent_and_shows_a_living_storefront(runner, client, app):
    first = runner.invoke(args=["seed-demo"])
    counts = [_count(app, model) for model in DEMO_TABLES]
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0 and "loaded" in first.output
    assert second.exit_code == 0 and "already present" in second.output
    assert [_count(app, model) for model in DEMO_TABLES] == counts
    assert counts[1] >= 3 and counts[3] >= 2
    storefront = client.get("/api/v1/storefronts/maya-kitchen").get_json()
    assert storefront["collections"][0]["items"][0]["note"]
    assert client.post(
        "/api/v1/auth/token", json={"email": "maya@demo.example", "password": "demo-password"}
    ).status_code == 200


def test_prune_tokens_reports_its_count(runner):
    result = runner.invoke(args=["prune-tokens"])

    assert result.exit_code == 0
    assert "0 tokens pruned" in result.output
