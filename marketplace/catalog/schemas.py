import marshmallow as ma

from marketplace.catalog.services import SORTS
from marketplace.http import Id, PageArgsSchema, PatchSchemaMixin, Schema, StrictInt
from marketplace.money import MAX_AMOUNT, is_currency


def _validate_currency(code: str) -> None:
    if not is_currency(code):
        raise ma.ValidationError("must be an upper-case ISO 4217 currency code such as USD")


_money = ma.validate.Range(min=0, max=MAX_AMOUNT)


class ProductSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    brand_id = ma.fields.Integer(dump_only=True)
    brand_name = ma.fields.String(attribute="brand.name", dump_only=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=10_000))
    image_urls = ma.fields.List(
        ma.fields.URL(schemes={"http", "https"}, validate=ma.validate.Length(max=2048)),
        load_default=list,
        validate=ma.validate.Length(max=10),
    )
    price = StrictInt(
        required=True, validate=_money, metadata={"description": "Price in minor units of the currency (cents)"}
    )
    currency = ma.fields.String(required=True, validate=_validate_currency, metadata={"example": "USD"})
    sku = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    stock = StrictInt(required=True, validate=ma.validate.Range(min=0, max=10**9))
    commission_bps = StrictInt(
        allow_none=True,
        load_default=None,
        validate=ma.validate.Range(min=0, max=10_000),
        metadata={"description": "Overrides the brand's default rate when set"},
    )
    reserved = ma.fields.Integer(dump_only=True, metadata={"description": "Units held by unpaid orders"})
    available = ma.fields.Integer(dump_only=True, metadata={"description": "stock - reserved"})
    effective_commission_bps = ma.fields.Integer(dump_only=True)
    in_stock = ma.fields.Boolean(dump_only=True)
    active = ma.fields.Boolean(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class ProductUpdateSchema(PatchSchemaMixin, ProductSchema):
    active = ma.fields.Boolean(metadata={"description": "Set true to reactivate a product"})


class ProductQueryArgsSchema(PageArgsSchema):
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=200), metadata={"description": "Text search"})
    brand = Id(strict=False)
    currency = ma.fields.String(validate=_validate_currency)
    min_price = ma.fields.Integer(validate=_money)
    max_price = ma.fields.Integer(validate=_money)
    in_stock = ma.fields.Boolean()
    sort = ma.fields.String(load_default="newest", validate=ma.validate.OneOf(list(SORTS)))


class BrandProductQueryArgsSchema(ProductQueryArgsSchema):
    class Meta(Schema.Meta):
        exclude = ("brand",)

    include_inactive = ma.fields.Boolean(
        load_default=False, metadata={"description": "Members only: list deactivated products too"}
    )
