import marshmallow as ma

from marketplace.http import PageArgsSchema, PatchSchemaMixin, Schema, StrictInt
from marketplace.slugs import SLUG_PATTERN

_bps = ma.validate.Range(min=0, max=10_000)


class BrandSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    slug = ma.fields.String(validate=[ma.validate.Length(min=1, max=80), ma.validate.Regexp(SLUG_PATTERN)])
    website = ma.fields.URL(allow_none=True, schemes={"http", "https"}, validate=ma.validate.Length(max=2048))
    default_commission_bps = StrictInt(
        required=True, validate=_bps, metadata={"description": "Default commission rate in basis points (1500 = 15%)"}
    )
    attribution_window_days = StrictInt(load_default=30, validate=ma.validate.Range(min=1, max=365))
    hold_days = StrictInt(
        load_default=30,
        validate=ma.validate.Range(min=0, max=365),
        metadata={"description": "Days commissions stay pending after payment (the return window)"},
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class BrandUpdateSchema(PatchSchemaMixin, BrandSchema):
    pass


class BrandQueryArgsSchema(PageArgsSchema):
    pass


class BrandMemberSchema(Schema):
    user_id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email(required=True)
    role = ma.fields.String(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
