import marshmallow as ma

from marketplace.discounts.models import CodeStatus
from marketplace.http import Id, PageArgsSchema, Schema, StrictInt


class DiscountCodeSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(min=3, max=32),
            ma.validate.Regexp(r"^[A-Za-z0-9_-]+$", error="letters, digits, - and _ only"),
        ],
        metadata={"description": "Case-insensitive; stored upper-case"},
    )
    brand_id = Id(required=True)
    influencer_id = ma.fields.Integer(dump_only=True)
    percent_off_bps = StrictInt(
        required=True, validate=ma.validate.Range(min=1, max=9000), metadata={"description": "1500 = 15% off"}
    )
    expires_at = ma.fields.AwareDateTime(allow_none=True)
    usage_limit = StrictInt(allow_none=True, validate=ma.validate.Range(min=1, max=10**9))
    times_used = ma.fields.Integer(dump_only=True)
    status = ma.fields.Enum(CodeStatus, by_value=True, dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class DiscountDecisionSchema(Schema):
    status = ma.fields.Enum(
        CodeStatus,
        by_value=True,
        required=True,
        validate=ma.validate.OneOf([CodeStatus.APPROVED, CodeStatus.REJECTED, CodeStatus.REVOKED]),
    )


class DiscountQueryArgsSchema(PageArgsSchema):
    pass
