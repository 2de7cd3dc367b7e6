import marshmallow as ma

from marketplace.accounts.models import SIGNUP_ROLES, Role
from marketplace.http import Schema
from marketplace.orders.schemas import OrderSchema


class SignupSchema(Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=320))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=8, max=256))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(SIGNUP_ROLES))


class UserSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email(dump_only=True)
    role = ma.fields.Enum(Role, by_value=True, dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class MeSchema(UserSchema):
    brand_ids = ma.fields.List(ma.fields.Integer(), dump_only=True)
    influencer_handle = ma.fields.String(dump_only=True, allow_none=True)
    share_with_influencers = ma.fields.Boolean(dump_only=True)


class MeUpdateSchema(Schema):
    share_with_influencers = ma.fields.Boolean(
        required=True, metadata={"description": "Let the influencers who brought you see your email in their reports"}
    )


class PasswordChangeSchema(Schema):
    current_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=1, max=256))
    new_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=8, max=256))


class TokenRequestSchema(Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=320))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=1, max=256))


class TokenSchema(Schema):
    access_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Lifetime in seconds"})


class DataExportSchema(Schema):
    """A shopper's personal data: the account and the orders they placed."""

    account = ma.fields.Nested(MeSchema, dump_only=True)
    orders = ma.fields.List(ma.fields.Nested(OrderSchema), dump_only=True)
