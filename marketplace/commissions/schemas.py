import marshmallow as ma

from marketplace.commissions.models import CommissionKind, CommissionState, RateSource
from marketplace.http import Id, PageArgsSchema, PageMetaSchema, Schema, StrictInt

Bps = lambda **kw: StrictInt(validate=ma.validate.Range(min=0, max=10_000), **kw)  # noqa: E731


class CommissionLineSchema(Schema):
    id = ma.fields.Integer()
    kind = ma.fields.Enum(CommissionKind, by_value=True)
    state = ma.fields.Enum(CommissionState, by_value=True)
    influencer_id = ma.fields.Integer()
    brand_id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    order_line_id = ma.fields.Integer()
    reverses_id = ma.fields.Integer(allow_none=True, metadata={"description": "The sale line a refund line reverses"})
    currency = ma.fields.String()
    amount = ma.fields.Integer(metadata={"description": "Minor units; negative for a refund's reversal"})
    basis_amount = ma.fields.Integer(metadata={"description": "The line's net amount (sale) or refunded amount so far (refund)"})
    fraction_ppm = ma.fields.Integer(metadata={"description": "The influencer's share of the line, parts per million"})
    rate_bps = ma.fields.Integer()
    rate_source = ma.fields.Enum(RateSource, by_value=True, metadata={"description": "Which rate won, by precedence"})
    hold_until = ma.fields.AwareDateTime()
    state_reason = ma.fields.String(allow_none=True)
    self_referral = ma.fields.Boolean()
    payout_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class CommissionTotalSchema(Schema):
    currency = ma.fields.String()
    state = ma.fields.Enum(CommissionState, by_value=True)
    amount = ma.fields.Integer()
    lines = ma.fields.Integer()


class CommissionPageSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(CommissionLineSchema), required=True)
    meta = ma.fields.Nested(PageMetaSchema, required=True)
    totals = ma.fields.List(ma.fields.Nested(CommissionTotalSchema), required=True,
                            metadata={"description": "Per currency and state, over every page of the filter (all states)"})


class _LedgerQueryArgsSchema(PageArgsSchema):
    state = ma.fields.Enum(CommissionState, by_value=True)
    since = ma.fields.AwareDateTime(data_key="from", metadata={"description": "Inclusive"})
    until = ma.fields.AwareDateTime(data_key="to", metadata={"description": "Exclusive"})


class CommissionQueryArgsSchema(_LedgerQueryArgsSchema):
    brand_id = Id(strict=False)


class BrandCommissionQueryArgsSchema(_LedgerQueryArgsSchema):
    influencer_id = Id(strict=False)


class _StateTotalsSchema(Schema):
    """Sums of the lines in each state, in one currency."""

    currency = ma.fields.String()
    pending = ma.fields.Integer()
    approved = ma.fields.Integer()
    held = ma.fields.Integer()
    paid = ma.fields.Integer()


class BalanceSchema(_StateTotalsSchema):
    in_payout = ma.fields.Integer(metadata={"description": "Approved, in a payout being transferred"})
    payable = ma.fields.Integer(metadata={"description": "Approved net, for the next payout run"})
    owed = ma.fields.Integer(metadata={"description": "Not paid yet and not held: pending + approved"})


class InfluencerOwedSchema(_StateTotalsSchema):
    influencer_id = ma.fields.Integer()
    handle = ma.fields.String()
    owed = ma.fields.Integer(metadata={"description": "pending + approved + held"})


class ReviewSchema(Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(["release", "cancel", "hold"]))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=400))


class ProductRateSchema(Schema):
    product_id = Id(required=True)
    commission_bps = Bps(required=True)


class TermsSchema(Schema):
    brand_id = ma.fields.Integer(dump_only=True)
    influencer_id = ma.fields.Integer(dump_only=True)
    commission_bps = Bps(allow_none=True, load_default=None,
                         metadata={"description": "On all the brand's products; null: none"})
    product_rates = ma.fields.List(ma.fields.Nested(ProductRateSchema), load_default=list,
                                   validate=ma.validate.Length(max=500))
    brand_default_bps = ma.fields.Integer(dump_only=True)
