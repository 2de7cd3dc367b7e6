import marshmallow as ma

from marketplace.http import Id, PageArgsSchema, Schema
from marketplace.links.models import CHANNELS


class MoneySchema(Schema):
    currency = ma.fields.String()
    amount = ma.fields.Integer(metadata={"description": "Minor units"})


class ShareLinkSchema(Schema):
    code = ma.fields.String(dump_only=True)
    url = ma.fields.String(dump_only=True, metadata={"description": "The link to share: /r/{code}"})
    storefront = ma.fields.String(required=True, load_only=True, metadata={"description": "Storefront slug"})
    storefront_id = ma.fields.Integer(dump_only=True)
    collection = Id(allow_none=True, load_only=True, metadata={"description": "A collection of the storefront"})
    collection_id = ma.fields.Integer(dump_only=True, allow_none=True)
    item_id = Id(allow_none=True, load_only=True, metadata={"description": "A curated item of the storefront"})
    storefront_item_id = ma.fields.Integer(dump_only=True, allow_none=True)
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    campaign = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=100))
    parent_code = ma.fields.String(dump_only=True, allow_none=True)
    depth = ma.fields.Integer(dump_only=True, metadata={"description": "0 for an influencer's link, 1+ for re-shares"})
    clicks = ma.fields.Integer(dump_only=True, metadata={"description": "Human clicks, repeats within an hour once"})
    orders = ma.fields.Integer(dump_only=True, metadata={"description": "Paid orders this link earned a share of"})
    revenue = ma.fields.List(
        ma.fields.Nested(MoneySchema),
        dump_only=True,
        metadata={"description": "Attributed revenue per currency (the link's share of credited lines, before refunds)"},
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)


class ReshareSchema(Schema):
    channel = ma.fields.String(load_default="other", validate=ma.validate.OneOf(CHANNELS))


class LinkQueryArgsSchema(PageArgsSchema):
    pass
