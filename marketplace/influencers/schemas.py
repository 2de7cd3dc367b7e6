import marshmallow as ma

from marketplace.http import Schema, StrictInt
from marketplace.influencers.models import SOCIAL_CHANNELS


class SocialProfileSchema(Schema):
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(SOCIAL_CHANNELS))
    url = ma.fields.URL(required=True, schemes={"http", "https"}, validate=ma.validate.Length(max=2048))
    followers = StrictInt(
        allow_none=True,
        validate=ma.validate.Range(min=0, max=10**10),
        metadata={"description": "Follower count as stated by the influencer (not verified)"},
    )


class InfluencerProfileSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    handle = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(min=2, max=40),
            ma.validate.Regexp(r"^[A-Za-z0-9_]+$", error="letters, digits and underscores only"),
        ],
    )
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    bio = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    avatar_url = ma.fields.URL(
        allow_none=True, load_default=None, schemes={"http", "https"}, validate=ma.validate.Length(max=2048)
    )
    socials = ma.fields.List(
        ma.fields.Nested(SocialProfileSchema), load_default=list, validate=ma.validate.Length(max=20)
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)
