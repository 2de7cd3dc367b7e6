from datetime import timedelta

import marshmallow as ma
from flask import Response, jsonify

from marketplace.db import utcnow
from marketplace.http import Blueprint, current_user
from marketplace.reports import charts, export, services
from marketplace.reports.export import wants_csv
from marketplace.reports.schemas import (
    AttributionArgsSchema,
    AttributionReportSchema,
    ModelsArgsSchema,
    ModelsReportSchema,
    MyRelationshipArgsSchema,
    MyRelationshipsSchema,
    PerformanceArgsSchema,
    PerformanceReportSchema,
    RelationshipArgsSchema,
    RelationshipsReportSchema,
)

blp = Blueprint("reports", __name__, description="Attribution, Return-on-Relationship and performance reports")

def _period(args):
    return services.period(args["from_"], args["to"], args["tz"])


def _as_json(report: dict) -> Response:
    """A brand report as JSON, without a second pass through its schema: the services build the
    schema's fields exactly (tests/test_reports.py holds them to it), and dumping the biggest
    brand's two thousand rows again cost 45-50 ms of a report's 300."""
    return jsonify(report)


class ChartArgsSchema(RelationshipArgsSchema):
    top = ma.fields.Integer(load_default=5, validate=ma.validate.Range(min=1, max=10), metadata={"description": "Influencers drawn"})


@blp.route("/brands/<id:brand_id>/reports/attribution", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(AttributionArgsSchema, location="query")
@blp.response(200, AttributionReportSchema)
def attribution(args, brand_id):
    """The revenue the brand's influencer relationships drove, grouped, with organic sales beside it (members, admins).

    CSV with ``format=csv`` or ``Accept: text/csv``: the same rows and columns.
    """
    report = services.attribution_report(
        current_user(), brand_id, _period(args), args["group_by"], args.get("model"), args.get("currency")
    )
    if wants_csv(args):
        return export.attribution_csv(report, brand_id)
    return _as_json(report)


@blp.route("/brands/<id:brand_id>/reports/attribution/models", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(ModelsArgsSchema, location="query")
@blp.response(200, ModelsReportSchema)
def attribution_models(args, brand_id):
    """The same period under all five attribution models side by side (commissions estimated).

    CSV with ``format=csv`` or ``Accept: text/csv``: the same rows and columns.
    """
    report = services.models_report(current_user(), brand_id, _period(args), args["group_by"], args.get("currency"))
    if wants_csv(args):
        return export.models_csv(report, brand_id)
    return _as_json(report)


@blp.route("/brands/<id:brand_id>/reports/attribution/chart.svg", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(ChartArgsSchema, location="query")
@blp.response(200, description="An SVG line chart", content_type=charts.SVG)
def attribution_chart(args, brand_id):
    """Revenue by day of the brand's top influencers (stored credits), as SVG."""
    report = services.revenue_by_day(current_user(), brand_id, _period(args), args.get("currency"), args["top"])
    return charts.svg_response(charts.revenue_by_day(report))


@blp.route("/brands/<id:brand_id>/reports/relationships", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(RelationshipArgsSchema, location="query")
@blp.response(200, RelationshipsReportSchema)
def relationships(args, brand_id):
    """Return on Relationship: acquisition cohorts per influencer, halo revenue, network reach, recommendation quality.

    CSV with ``format=csv`` or ``Accept: text/csv``: the same rows and columns.
    """
    report = services.relationships_report(current_user(), brand_id, _period(args), args.get("currency"))
    if wants_csv(args):
        return export.relationships_csv(report, brand_id)
    return _as_json(report)


@blp.route("/brands/<id:brand_id>/reports/relationships/chart.svg", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(RelationshipArgsSchema, location="query")
@blp.response(200, description="An SVG line chart", content_type=charts.SVG)
def relationships_chart(args, brand_id):
    """Cohort curves: revenue per acquired shopper 30, 90 and 365 days after their first purchase, as SVG."""
    report = services.relationships_report(current_user(), brand_id, _period(args), args.get("currency"))
    return charts.svg_response(charts.cohort_curves(report))


@blp.route("/me/reports/performance", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(PerformanceArgsSchema, location="query")
@blp.response(200, PerformanceReportSchema)
def performance(args):
    """Your clicks, orders, revenue and earnings, grouped by link, channel, product, brand or day.

    CSV with ``format=csv`` or ``Accept: text/csv``: the same rows and columns.
    """
    report = services.performance_report(current_user(), _period(args), args["group_by"], args.get("currency"))
    if wants_csv(args):
        return export.performance_csv(report)
    return report


@blp.route("/me/reports/relationships", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(MyRelationshipArgsSchema, location="query")
@blp.response(200, MyRelationshipsSchema)
def my_relationships(args):
    """The shoppers you first brought to each brand (counts; named only if they chose to share).

    CSV with ``format=csv`` or ``Accept: text/csv``: the same rows and columns.
    """
    today = utcnow().date()
    until = args.get("to") or today + timedelta(days=1)
    since = args.get("from_") or until - timedelta(days=365)
    report = services.my_relationships(current_user(), services.period(since, until, args["tz"]))
    if wants_csv(args):
        return export.my_relationships_csv(report)
    return report

