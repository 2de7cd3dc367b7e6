from marketplace.commissions import services
from marketplace.commissions.schemas import (
    BalanceSchema,
    BrandCommissionQueryArgsSchema,
    CommissionLineSchema,
    CommissionPageSchema,
    CommissionQueryArgsSchema,
    InfluencerOwedSchema,
    ReviewSchema,
    TermsSchema,
)
from marketplace.http import Blueprint, current_user, page_schema, paginate

blp = Blueprint("commissions", __name__, description="The commission ledger and influencer terms")


@blp.route("/me/commissions", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(CommissionQueryArgsSchema, location="query")
@blp.response(200, CommissionPageSchema)
def my_commissions(args):
    """Your commission lines (filter by state, brand, date) with totals per state"""
    query, totals = services.my_commissions(current_user(), args)
    return {**paginate(query, args["page"], args["page_size"]), "totals": totals}


@blp.route("/me/balance", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.response(200, BalanceSchema(many=True))
def my_balance():
    """What you have earned, per currency: pending, approved, held, paid, and owed"""
    return services.my_balance(current_user())


@blp.route("/brands/<id:brand_id>/commissions", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(BrandCommissionQueryArgsSchema, location="query")
@blp.response(200, InfluencerOwedSchema(many=True))
def brand_commissions(args, brand_id):
    """What the brand owes each influencer, per currency and state (members and admins)"""
    return services.brand_commissions(current_user(), brand_id, args)


@blp.route("/brands/<id:brand_id>/commission-lines", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(BrandCommissionQueryArgsSchema, location="query")
@blp.response(200, page_schema(CommissionLineSchema))
def brand_lines(args, brand_id):
    """The brand's commission lines, e.g. ``state=held`` for review (members and admins)"""
    return paginate(services.brand_lines(current_user(), brand_id, args), args["page"], args["page_size"])


@blp.route("/commissions/<id:line_id>/review", methods=["POST"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(ReviewSchema)
@blp.response(200, CommissionLineSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def review(data, line_id):
    """Release or cancel a held sale line, or hold an unpaid one, with a reason (its refund lines follow)"""
    return services.review(current_user(), line_id, data["action"], data["reason"])


@blp.route("/brands/<id:brand_id>/influencers/<id:influencer_id>/terms", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.response(200, TermsSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_terms(brand_id, influencer_id):
    """The brand's rates for one influencer (members and admins)"""
    return services.get_terms(current_user(), brand_id, influencer_id)


@blp.route("/brands/<id:brand_id>/influencers/<id:influencer_id>/terms", methods=["PUT"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(TermsSchema)
@blp.response(200, TermsSchema)
@blp.alt_response(404, response="NOT_FOUND")
def put_terms(data, brand_id, influencer_id):
    """Set the brand's rates for one influencer: on all products and per product (replaces them).
    Precedence: this influencer on this product → this influencer → the product → the brand default"""
    return services.put_terms(current_user(), brand_id, influencer_id, data)
