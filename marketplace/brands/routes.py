from marketplace.brands import services
from marketplace.brands.schemas import BrandMemberSchema, BrandQueryArgsSchema, BrandSchema, BrandUpdateSchema
from marketplace.http import Blueprint, current_user, page_schema, paginate

blp = Blueprint("brands", __name__, description="Brands and their members")


@blp.route("/brands", methods=["POST"])
@blp.auth_required(roles=["brand"])
@blp.arguments(BrandSchema)
@blp.response(201, BrandSchema)
@blp.alt_response(409, response="CONFLICT")
def create_brand(data):
    """Create a brand; the creator becomes its owner"""
    return services.create_brand(current_user(), data)


@blp.route("/brands", methods=["GET"])
@blp.arguments(BrandQueryArgsSchema, location="query")
@blp.response(200, page_schema(BrandSchema))
def list_brands(args):
    """List brands (public)"""
    return paginate(services.list_brands(), args["page"], args["page_size"])


@blp.route("/brands/<id:brand_id>", methods=["GET"])
@blp.response(200, BrandSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_brand(brand_id):
    """A brand's public profile and terms"""
    return services.get_brand(brand_id)


@blp.route("/brands/<id:brand_id>", methods=["PATCH"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(BrandUpdateSchema)
@blp.response(200, BrandSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def update_brand(changes, brand_id):
    """Change a brand (members and admins)"""
    return services.update_brand(current_user(), brand_id, changes)


@blp.route("/brands/<id:brand_id>/members", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.response(200, BrandMemberSchema(many=True))
def list_members(brand_id):
    """The brand's members (members and admins)"""
    return services.list_members(current_user(), brand_id)


@blp.route("/brands/<id:brand_id>/members", methods=["POST"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(BrandMemberSchema)
@blp.response(201, BrandMemberSchema)
@blp.alt_response(409, response="CONFLICT")
def add_member(data, brand_id):
    """Add another brand account as a member (owners and admins)"""
    return services.add_member(current_user(), brand_id, data["email"])


@blp.route("/brands/<id:brand_id>/members/<id:user_id>", methods=["DELETE"])
@blp.auth_required(roles=["brand", "admin"])
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def remove_member(brand_id, user_id):
    """Remove a member (owners and admins; a member may leave); the last owner stays"""
    services.remove_member(current_user(), brand_id, user_id)
