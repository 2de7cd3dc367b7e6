from marketplace.http import Blueprint, current_user
from marketplace.influencers import services
from marketplace.influencers.schemas import InfluencerProfileSchema

blp = Blueprint("influencers", __name__, description="Influencer profiles")


@blp.route("/me/influencer", methods=["PUT"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(InfluencerProfileSchema)
@blp.response(200, InfluencerProfileSchema)
@blp.alt_response(201, schema=InfluencerProfileSchema, description="Profile created", success=True)
@blp.alt_response(409, response="CONFLICT")
def put_profile(data):
    """Create or replace your influencer profile (201 when created, 200 when replaced)"""
    profile, created = services.put_profile(current_user(), data)
    return profile, 201 if created else 200


@blp.route("/me/influencer", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.response(200, InfluencerProfileSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_own_profile():
    """Your influencer profile"""
    return services.require_profile(current_user())


@blp.route("/influencers/<string(maxlength=40):handle>", methods=["GET"])
@blp.response(200, InfluencerProfileSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_profile(handle):
    """An influencer's public profile"""
    return services.get_by_handle(handle)


