"""The brand's dashboard: products and stock, per-influencer terms, the attribution report with
its model switch and the Return-on-Relationship report (charts and CSV), and orders with their
refunds. Members of the brand (and admins) only; each view calls the API's services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from flask import render_template, request, url_for

from marketplace.attribution.rules import MODELS
from marketplace.brands import services as brands
from marketplace.catalog import services as catalog
from marketplace.catalog.schemas import ProductSchema, ProductUpdateSchema
from marketplace.commissions import services as commissions
from marketplace.commissions.schemas import TermsSchema
from marketplace.money import parse_major
from marketplace.orders import refunds
from marketplace.orders import services as orders
from marketplace.reports import charts, export
from marketplace.reports import services as reports
from marketplace.reports.schemas import AttributionArgsSchema
from marketplace.reports.services import BRAND_GROUPS
from marketplace.web.dashboard import first, form_values, period_of, report_args, submit
from marketplace.web.views import blp, require_signed_in

ORDERS_SHOWN = 50
TOP_INFLUENCERS = 5


def _member(brand_id: int):
    """The signed-in member and the brand (the sign-in page for anyone signed out, 403 for others)."""
    user = require_signed_in()
    return user, brands.require_member(user, brand_id)


def _bps(text: str) -> int | str:
    """A percentage as people type it ("12.5") in basis points (1250); anything else is left
    as typed for the schema to refuse by name."""
    try:
        bps = Decimal(text.strip().rstrip("%")) * 100
    except InvalidOperation:
        return text
    return int(bps) if bps.is_finite() and bps == bps.to_integral_value() else text


def _money_field(data: dict[str, Any], currency: str) -> None:
    """The form's price in major units ("49.90") as the API's minor units, or a named error."""
    if "price" in data:
        try:
            data["price"] = parse_major(data["price"], currency)
        except ValueError as exc:
            raise ma.ValidationError({"price": [f"{exc}: write it like 49.90"]}) from None


@blp.get("/dashboard/brands")
def brand_dashboards():
    return render_template("web/dashboard/brands.html", brands=brands.brands_of(require_signed_in()))


# ---------------------------------------------------------------- products


@blp.get("/dashboard/brands/<id:brand_id>")
def brand_products(brand_id: int):
    user, brand = _member(brand_id)
    products = catalog.list_brand_products(brand_id, {"include_inactive": True, "sort": "title"}, user)
    return render_template("web/dashboard/products.html", brand=brand, products=first(products, 500))


@blp.post("/dashboard/brands/<id:brand_id>/products")
def create_product(brand_id: int):
    user, _brand = _member(brand_id)

    def create():
        data = form_values(("title", "sku", "price", "currency", "stock", "description", "commission"),
                           numbers=("stock",))
        if "commission" in data:
            data["commission_bps"] = _bps(data.pop("commission"))
        if image := request.form.get("image_url", "").strip():
            data["image_urls"] = [image]
        _money_field(data, data.get("currency", ""))
        return catalog.create_product(user, brand_id, ProductSchema().load(data))

    return submit(create, back=url_for("web.brand_products", brand_id=brand_id),
                  done=lambda product: f"{product.title} is in your catalog.")


@blp.post("/dashboard/brands/<id:brand_id>/products/<id:product_id>")
def update_product(brand_id: int, product_id: int):
    user, _brand = _member(brand_id)
    product = catalog.get_product(product_id, user)

    def update():
        data = form_values(("price", "stock", "active"), numbers=("stock",))
        if "active" in data:
            data["active"] = data["active"] == "yes"
        _money_field(data, product.currency)
        changes = ProductUpdateSchema().load(data)
        if changes.get("active") is False:
            return catalog.deactivate_product(user, product.id)
        return catalog.update_product(user, product.id, changes)

    return submit(update, back=url_for("web.brand_products", brand_id=brand_id) + f"#product-{product_id}",
                  done=f"{product.title} is saved.")


# ---------------------------------------------------------------- terms


@blp.get("/dashboard/brands/<id:brand_id>/influencers")
def brand_influencers(brand_id: int):
    user, brand = _member(brand_id)
    owed = {}
    for row in commissions.brand_commissions(user, brand_id, {}):
        owed.setdefault(row["influencer_id"], []).append(row)
    return render_template("web/dashboard/influencers.html", brand=brand,
                           influencers=commissions.brand_influencers(user, brand_id), owed=owed)


@blp.post("/dashboard/brands/<id:brand_id>/influencers/<id:influencer_id>/terms")
def set_terms(brand_id: int, influencer_id: int):
    user, _brand = _member(brand_id)

    def save():
        current = commissions.get_terms(user, brand_id, influencer_id)
        rate = request.form.get("commission", "").strip()
        data = {"commission_bps": _bps(rate) if rate else None, "product_rates": current["product_rates"]}
        return commissions.put_terms(user, brand_id, influencer_id, TermsSchema().load(data))

    return submit(save, back=url_for("web.brand_influencers", brand_id=brand_id), done="The terms are saved.")


# ---------------------------------------------------------------- reports


def _report_query() -> tuple[dict[str, Any], dict]:
    return report_args(AttributionArgsSchema())


@blp.get("/dashboard/brands/<id:brand_id>/reports")
def brand_reports(brand_id: int):
    user, brand = _member(brand_id)
    args, errors = _report_query()
    period = period_of(args)
    currency = args.get("currency")
    return render_template(
        "web/dashboard/reports.html", brand=brand, args=args, errors=errors, groups=BRAND_GROUPS, models=MODELS,
        query={name: value for name, value in request.args.items() if value},
        attribution=reports.attribution_report(user, brand_id, period, args["group_by"], args.get("model"), currency),
        models_side_by_side=reports.models_report(user, brand_id, period, args["group_by"], currency),
        relationships=reports.relationships_report(user, brand_id, period, currency),
    )


@blp.get("/dashboard/brands/<id:brand_id>/reports/attribution.csv")
def attribution_csv(brand_id: int):
    user, _brand = _member(brand_id)
    args, _errors = _report_query()
    return export.attribution_csv(reports.attribution_report(
        user, brand_id, period_of(args), args["group_by"], args.get("model"), args.get("currency")
    ), brand_id)


@blp.get("/dashboard/brands/<id:brand_id>/reports/relationships.csv")
def relationships_csv(brand_id: int):
    user, _brand = _member(brand_id)
    args, _errors = _report_query()
    return export.relationships_csv(reports.relationships_report(user, brand_id, period_of(args), args.get("currency")),
                                    brand_id)


@blp.get("/dashboard/brands/<id:brand_id>/reports/revenue.svg")
def revenue_chart(brand_id: int):
    user, _brand = _member(brand_id)
    args, _errors = _report_query()
    return charts.svg_response(charts.revenue_by_day(
        reports.revenue_by_day(user, brand_id, period_of(args), args.get("currency"), TOP_INFLUENCERS)
    ))


@blp.get("/dashboard/brands/<id:brand_id>/reports/cohorts.svg")
def cohort_chart(brand_id: int):
    user, _brand = _member(brand_id)
    args, _errors = _report_query()
    return charts.svg_response(charts.cohort_curves(
        reports.relationships_report(user, brand_id, period_of(args), args.get("currency"))
    ))


# ---------------------------------------------------------------- orders


@blp.get("/dashboard/brands/<id:brand_id>/orders")
def brand_orders(brand_id: int):
    user, brand = _member(brand_id)
    found = first(orders.brand_orders(user, brand_id, {}), ORDERS_SHOWN)
    return render_template(
        "web/dashboard/orders.html", brand=brand,
        orders=[orders.order_view(order, [line for line in order.lines if line.brand_id == brand_id]) for order in found],
        refunds=refunds.brand_refunds(user, brand_id, [order.id for order in found]),
    )
