import marshmallow as ma

from marketplace.http import Schema


class CreditSchema(Schema):
    influencer_id = ma.fields.Integer()
    fraction_ppm = ma.fields.Integer(metadata={"description": "Parts per million of the line"})
    rule = ma.fields.String(metadata={"description": "discount_code, or the model that split the clicks"})
    model = ma.fields.String()
    window_days = ma.fields.Integer()
    touchpoints = ma.fields.List(ma.fields.Dict(), metadata={"description": "Clicks (link, channel, campaign, time) or the code"})
    self_referral = ma.fields.Boolean()


class AttributedLineSchema(Schema):
    order_line_id = ma.fields.Integer()
    brand_id = ma.fields.Integer()
    title = ma.fields.String()
    line_total = ma.fields.Integer()
    organic = ma.fields.Boolean(metadata={"description": "No qualifying touchpoint: no one is credited"})
    credits = ma.fields.List(ma.fields.Nested(CreditSchema))


class OrderAttributionSchema(Schema):
    order_id = ma.fields.Integer()
    model = ma.fields.String(allow_none=True)
    computed_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "None: not attributed yet"})
    lines = ma.fields.List(ma.fields.Nested(AttributedLineSchema))
