import marshmallow as ma

from marketplace.attribution.rules import MODELS
from marketplace.http import Schema
from marketplace.reports.services import BRAND_GROUPS, INFLUENCER_GROUPS

Money = lambda description="Minor units of the report's currency", **kw: ma.fields.Integer(  # noqa: E731
    metadata={"description": description}, **kw
)
Rate = lambda description, **kw: ma.fields.Float(allow_none=True, metadata={"description": description}, **kw)  # noqa: E731


class PeriodArgsSchema(Schema):
    from_ = ma.fields.Date(required=True, data_key="from", metadata={"description": "First local day (inclusive)"})
    to = ma.fields.Date(required=True, metadata={"description": "Local day after the last (exclusive)"})
    tz = ma.fields.String(load_default="UTC", validate=ma.validate.Length(max=64), metadata={"description": "IANA time zone"})
    currency = ma.fields.String(
        validate=ma.validate.Regexp(r"^[A-Z]{3}$"),
        metadata={"description": "The money figures' currency; by default the one with the most sales in the period"},
    )
    format = ma.fields.String(
        validate=ma.validate.OneOf(["json", "csv"]),
        metadata={"description": "``csv`` (or ``Accept: text/csv``) answers the rows as CSV"},
    )


class AttributionArgsSchema(PeriodArgsSchema):
    group_by = ma.fields.String(load_default="influencer", validate=ma.validate.OneOf(BRAND_GROUPS))
    model = ma.fields.String(
        validate=ma.validate.OneOf(MODELS),
        metadata={"description": "Show the period under this model instead of the stored credits (commissions estimated)"},
    )


class ModelsArgsSchema(PeriodArgsSchema):
    group_by = ma.fields.String(load_default="influencer", validate=ma.validate.OneOf(BRAND_GROUPS))


class RelationshipArgsSchema(PeriodArgsSchema):
    pass


class PerformanceArgsSchema(PeriodArgsSchema):
    group_by = ma.fields.String(load_default="day", validate=ma.validate.OneOf(INFLUENCER_GROUPS))


class MyRelationshipArgsSchema(Schema):
    from_ = ma.fields.Date(data_key="from", metadata={"description": "First purchases from this day (default: a year ago)"})
    to = ma.fields.Date(metadata={"description": "First purchases before this day (default: tomorrow)"})
    tz = ma.fields.String(load_default="UTC", validate=ma.validate.Length(max=64))
    format = ma.fields.String(validate=ma.validate.OneOf(["json", "csv"]))


class CurrencyTotalSchema(Schema):
    currency = ma.fields.String()
    orders = ma.fields.Integer()
    gross_revenue = Money()
    refunds = Money()
    revenue = Money("Gross minus refunds")
    attributed_revenue = Money()
    organic_revenue = Money()


class ReportSchema(Schema):
    """What every report says of itself: its period, zone and currency, and every currency's totals."""

    from_ = ma.fields.String(data_key="from", attribute="from", metadata={"description": "First local day (inclusive)"})
    to = ma.fields.String()
    tz = ma.fields.String()
    currency = ma.fields.String(allow_none=True)
    currencies = ma.fields.List(ma.fields.Nested(CurrencyTotalSchema))


class AttributionRowSchema(Schema):
    key = ma.fields.String(allow_none=True, metadata={"description": "The group's id or value; null for clicks of no single product or brand"})
    label = ma.fields.String(allow_none=True)
    clicks = ma.fields.Integer()
    unique_visitors = ma.fields.Integer(allow_none=True, metadata={"description": (
        "Distinct visitor cookies among the clicks. On PostgreSQL with the hll extension an estimate "
        "(HyperLogLog): exact up to a few hundred visitors, then within about 2.3 % (one standard error)")})
    orders = ma.fields.Integer(metadata={"description": "Distinct orders the group has a share of"})
    units = ma.fields.Integer()
    gross_revenue = Money()
    refunds = Money()
    revenue = Money("Gross minus refunds")
    commissions = Money()
    conversion_rate = Rate("Orders / unique visitors")
    earnings_per_click = Money("Commissions / clicks, rounded half up", allow_none=True)
    revenue_per_click = Money("Revenue / clicks, rounded half up", allow_none=True)
    return_on_commission_spend = Rate("Revenue / commissions")
    average_order_value = Money("Revenue / orders, rounded half up", allow_none=True)


class AttributionReportSchema(ReportSchema):
    brand_id = ma.fields.Integer()
    group_by = ma.fields.String()
    model = ma.fields.String(metadata={"description": "``credited`` (the stored credits) or a model's name"})
    commissions_basis = ma.fields.String(metadata={"description": "``ledger`` or ``estimated``"})
    rows = ma.fields.List(ma.fields.Nested(AttributionRowSchema))
    organic = ma.fields.Nested(AttributionRowSchema)
    attributed_total = ma.fields.Nested(AttributionRowSchema)
    total = ma.fields.Nested(AttributionRowSchema)


def _per_model(name: str, field_for) -> dict:
    return {f"{model}_{name}": field_for() for model in MODELS}


ModelsRowSchema = Schema.from_dict(
    {
        "key": ma.fields.String(allow_none=True),
        "label": ma.fields.String(allow_none=True),
        "clicks": ma.fields.Integer(),
        **_per_model("orders", ma.fields.Integer),
        **_per_model("units", ma.fields.Integer),
        **_per_model("revenue", Money),
        **_per_model("commissions", Money),
    },
    name="ModelsRow",
)
ModelsTotalSchema = Schema.from_dict(
    {**_per_model("orders", ma.fields.Integer), **_per_model("revenue", Money), **_per_model("commissions", Money)},
    name="ModelsTotal",
)


class ModelsReportSchema(ReportSchema):
    brand_id = ma.fields.Integer()
    group_by = ma.fields.String()
    rows = ma.fields.List(ma.fields.Nested(ModelsRowSchema))
    totals = ma.fields.Nested(ModelsTotalSchema)
    organic_revenue = Money()


class CohortSchema(Schema):
    shoppers = ma.fields.Integer(metadata={"description": "Shoppers whose first purchase from the brand fell in the period"})
    repeat_purchase_rate = Rate("Share of them who bought again (any time since)")
    orders_per_shopper = Rate("Orders per shopper since their first")
    orders = ma.fields.Integer()
    revenue = Money("Everything they bought since, net of refunds")
    refund_rate = Rate("Refunds / gross")
    halo_revenue = Money("Later purchases credited to no one: no commission was paid")
    later_commissioned_revenue = Money("Later purchases credited to an influencer")
    first_purchase_revenue_per_shopper = Money("The first order's revenue, per shopper", allow_none=True)
    revenue_30d = Money("Revenue within 30 days of each shopper's first purchase")
    revenue_30d_per_shopper = Money(allow_none=True)
    revenue_90d = Money("Revenue within 90 days of each shopper's first purchase")
    revenue_90d_per_shopper = Money(allow_none=True)
    revenue_365d = Money("Revenue within 365 days of each shopper's first purchase")
    revenue_365d_per_shopper = Money(allow_none=True)


class NetworkReachSchema(Schema):
    reshare_links = ma.fields.Integer(metadata={"description": "Links shoppers made by re-sharing this influencer's"})
    max_depth = ma.fields.Integer()
    reshare_clicks = ma.fields.Integer()
    reshare_orders = ma.fields.Integer()
    reshare_revenue = Money()


class RecommendationQualitySchema(Schema):
    products = ma.fields.Integer(metadata={"description": "The brand's products among the pairs below"})
    units = ma.fields.Integer(metadata={"description": "Units of the sales credited to them in the period"})
    refund_rate = Rate("Refunds / gross of the sales credited to them")
    reorder_rate = Rate("Of the (shopper, product) pairs they first sold in the period, the share the shopper "
                        "bought again in a later order, from anyone")


class InfluencerCohortSchema(CohortSchema):
    influencer_id = ma.fields.Integer()
    handle = ma.fields.String(allow_none=True)
    network = ma.fields.Nested(NetworkReachSchema)
    recommendations = ma.fields.Nested(RecommendationQualitySchema)


class RelationshipsReportSchema(ReportSchema):
    brand_id = ma.fields.Integer()
    influencers = ma.fields.List(ma.fields.Nested(InfluencerCohortSchema))
    organic = ma.fields.Nested(CohortSchema, metadata={"description": "Shoppers who came on their own"})


class PerformanceRowSchema(Schema):
    key = ma.fields.String(allow_none=True)
    label = ma.fields.String(allow_none=True)
    clicks = ma.fields.Integer()
    orders = ma.fields.Integer()
    units = ma.fields.Integer()
    revenue = Money("Net of refunds")
    earnings = Money("Your commissions on it, reversals included")
    conversion_rate = Rate("Orders / clicks")


class PerformanceReportSchema(ReportSchema):
    influencer_id = ma.fields.Integer()
    group_by = ma.fields.String()
    rows = ma.fields.List(ma.fields.Nested(PerformanceRowSchema))
    total = ma.fields.Nested(PerformanceRowSchema)


class BrandCohortSchema(CohortSchema):
    brand_id = ma.fields.Integer()
    brand = ma.fields.String(allow_none=True)
    currency = ma.fields.String(metadata={"description": "The cohort's money figures' currency"})
    shared_shoppers = ma.fields.List(ma.fields.String(), metadata={"description": "Emails of the shoppers who chose to share"})
    hidden_shoppers = ma.fields.Integer(metadata={"description": "Shoppers counted but not named"})


class MyRelationshipsSchema(Schema):
    influencer_id = ma.fields.Integer()
    from_ = ma.fields.String(data_key="from", attribute="from", metadata={"description": "First local day (inclusive)"})
    to = ma.fields.String()
    tz = ma.fields.String()
    brands = ma.fields.List(ma.fields.Nested(BrandCohortSchema))
