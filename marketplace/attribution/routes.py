from marketplace.attribution import services
from marketplace.attribution.schemas import OrderAttributionSchema
from marketplace.http import Blueprint, current_user

blp = Blueprint("attribution", __name__, description="Which relationships earned each sale, and why")


@blp.route("/orders/<id:order_id>/attribution", methods=["GET"])
@blp.auth_required(roles=["brand", "influencer", "admin"])
@blp.response(200, OrderAttributionSchema)
@blp.alt_response(404, response="NOT_FOUND")
def explain(order_id):
    """The order's credits: which clicks or code credited whom, under which rule, model and window
    (brands see their lines, influencers their own credits)"""
    return services.explain(order_id, current_user())
