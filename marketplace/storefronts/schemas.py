import marshmallow as ma

from marketplace.http import Id, PageArgsSchema, PatchSchemaMixin, Schema, StrictInt
from marketplace.influencers.schemas import InfluencerProfileSchema
from marketplace.slugs import SLUG_PATTERN

_position = ma.validate.Range(min=0, max=100_000)


class StorefrontSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    slug = ma.fields.String(required=True, validate=[ma.validate.Length(min=2, max=80), ma.validate.Regexp(SLUG_PATTERN)])
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=10_000))
    published = ma.fields.Boolean(
        load_default=True, metadata={"description": "False keeps the storefront a draft only you can see"}
    )
    influencer_handle = ma.fields.String(attribute="influencer.handle", dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class StorefrontUpdateSchema(PatchSchemaMixin, StorefrontSchema):
    pass


class StorefrontQueryArgsSchema(PageArgsSchema):
    influencer = ma.fields.String(validate=ma.validate.Length(min=1, max=40), metadata={"description": "Handle"})


class ItemProductSchema(Schema):
    """The product as a storefront shows it: current price and stock status."""

    id = ma.fields.Integer()
    brand_id = ma.fields.Integer()
    brand_name = ma.fields.String(attribute="brand.name")
    title = ma.fields.String()
    description = ma.fields.String()
    image_urls = ma.fields.List(ma.fields.String())
    price = ma.fields.Integer(metadata={"description": "Minor units"})
    currency = ma.fields.String()
    in_stock = ma.fields.Boolean()


class StorefrontItemSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    product_id = Id(required=True, load_only=True)
    collection = Id(
        allow_none=True,
        load_only=True,
        metadata={"description": "Id of a collection of this storefront; null for none"},
    )
    collection_id = ma.fields.Integer(dump_only=True, allow_none=True)
    note = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=5000), metadata={"description": "Why I recommend it"}
    )
    position = StrictInt(validate=_position, metadata={"description": "0-based place in its list; default: last"})
    product = ma.fields.Nested(ItemProductSchema, dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class StorefrontItemUpdateSchema(PatchSchemaMixin, StorefrontItemSchema):
    class Meta(Schema.Meta):
        exclude = ("product_id",)


class CollectionSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    position = StrictInt(validate=_position, metadata={"description": "0-based place; default: last"})


class CollectionUpdateSchema(PatchSchemaMixin, CollectionSchema):
    pass


class CollectionViewSchema(CollectionSchema):
    items = ma.fields.List(ma.fields.Nested(StorefrontItemSchema), dump_only=True)


class StorefrontViewSchema(StorefrontSchema):
    influencer = ma.fields.Nested(InfluencerProfileSchema, dump_only=True)
    disclosure = ma.fields.String(dump_only=True)
    collections = ma.fields.List(ma.fields.Nested(CollectionViewSchema), dump_only=True)
    items = ma.fields.List(
        ma.fields.Nested(StorefrontItemSchema),
        dump_only=True,
        metadata={"description": "Items in no collection"},
    )
