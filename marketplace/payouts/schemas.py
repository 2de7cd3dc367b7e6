import marshmallow as ma

from marketplace.commissions.schemas import CommissionLineSchema
from marketplace.http import Id, PageArgsSchema, PageMetaSchema, Schema
from marketplace.payouts.models import PayoutStatus


class PayoutAccountSchema(Schema):
    stripe_account_id = ma.fields.String()
    influencer_id = ma.fields.Integer(allow_none=True)
    brand_id = ma.fields.Integer(allow_none=True)
    details_submitted = ma.fields.Boolean()
    payouts_enabled = ma.fields.Boolean()
    transfers_active = ma.fields.Boolean()
    ready = ma.fields.Boolean(metadata={"description": "Payouts go to this account only once it is ready"})
    updated_at = ma.fields.AwareDateTime()


class PayoutAccountLinkSchema(PayoutAccountSchema):
    onboarding_url = ma.fields.String(metadata={"description": "Stripe's onboarding page; single use, expires in minutes"})


class PayoutSchema(Schema):
    id = ma.fields.Integer()
    influencer_id = ma.fields.Integer(allow_none=True)
    brand_id = ma.fields.Integer(allow_none=True)
    currency = ma.fields.String()
    amount = ma.fields.Integer()
    status = ma.fields.Enum(PayoutStatus, by_value=True)
    destination = ma.fields.String()
    transfer_id = ma.fields.String(allow_none=True)
    transfer_group = ma.fields.String()
    failure_reason = ma.fields.String(allow_none=True)
    paid_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class SettlementLineSchema(Schema):
    order_id = ma.fields.Integer()
    amount = ma.fields.Integer()


class PayoutWithLinesSchema(Schema):
    payout = ma.fields.Nested(PayoutSchema)
    commission_lines = ma.fields.List(ma.fields.Nested(CommissionLineSchema))
    settlement_lines = ma.fields.List(ma.fields.Nested(SettlementLineSchema))


class PayoutPageSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(PayoutWithLinesSchema), required=True)
    meta = ma.fields.Nested(PageMetaSchema, required=True)


class PayoutQueryArgsSchema(PageArgsSchema):
    status = ma.fields.Enum(PayoutStatus, by_value=True)
    influencer_id = Id(strict=False)
    brand_id = Id(strict=False)


class PayoutRunSchema(Schema):
    status = ma.fields.String(metadata={"description": "queued"})


class BrandSettlementSchema(Schema):
    brand_id = ma.fields.Integer()
    currency = ma.fields.String()
    gross_sales = ma.fields.Integer()
    refunded = ma.fields.Integer()
    net_sales = ma.fields.Integer()
    platform_fee_bps = ma.fields.Integer()
    platform_fee = ma.fields.Integer()
    commissions = ma.fields.Integer(metadata={"description": "Net of the brand's commission lines that are not canceled"})
    brand_share = ma.fields.Integer(metadata={"description": "net_sales - platform_fee - commissions"})
    settled = ma.fields.Integer(metadata={"description": "Sent by settlement transfers so far"})
    outstanding = ma.fields.Integer()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    due = ma.fields.Boolean()


class OrderSettlementSchema(Schema):
    order_id = ma.fields.Integer()
    status = ma.fields.String()
    total = ma.fields.Integer()
    currency = ma.fields.String()
    brands = ma.fields.List(ma.fields.Nested(BrandSettlementSchema))
