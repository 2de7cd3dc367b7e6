from marketplace.discounts import services
from marketplace.discounts.schemas import DiscountCodeSchema, DiscountDecisionSchema, DiscountQueryArgsSchema
from marketplace.http import Blueprint, current_user, page_schema, paginate

blp = Blueprint("discounts", __name__, description="Influencers' discount codes, approved by brands")

DiscountCodePageSchema = page_schema(DiscountCodeSchema)


@blp.route("/me/discount-codes", methods=["POST"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(DiscountCodeSchema)
@blp.response(201, DiscountCodeSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def propose_code(data):
    """Propose a discount code for a brand's products; it works once the brand approves it"""
    return services.propose_code(current_user(), data)


@blp.route("/me/discount-codes", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(DiscountQueryArgsSchema, location="query")
@blp.response(200, DiscountCodePageSchema)
def my_codes(args):
    """Your discount codes and how often each was used"""
    return paginate(services.codes_of_influencer(current_user()), args["page"], args["page_size"])


@blp.route("/brands/<id:brand_id>/discount-codes", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(DiscountQueryArgsSchema, location="query")
@blp.response(200, DiscountCodePageSchema)
def brand_codes(args, brand_id):
    """Codes influencers proposed for the brand (members and admins)"""
    return paginate(services.codes_of_brand(current_user(), brand_id), args["page"], args["page_size"])


@blp.route("/brands/<id:brand_id>/discount-codes/<id:code_id>", methods=["PATCH"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(DiscountDecisionSchema)
@blp.response(200, DiscountCodeSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def decide(data, brand_id, code_id):
    """Approve, reject or revoke a code (members and admins)"""
    return services.decide(current_user(), brand_id, code_id, data["status"])
