from marketplace.catalog import services
from marketplace.catalog.schemas import (
    BrandProductQueryArgsSchema,
    ProductQueryArgsSchema,
    ProductSchema,
    ProductUpdateSchema,
)
from marketplace.http import Blueprint, current_user, page_schema, paginate

blp = Blueprint("catalog", __name__, description="The brand catalog")

ProductPageSchema = page_schema(ProductSchema)


@blp.route("/brands/<id:brand_id>/products", methods=["POST"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(ProductSchema)
@blp.response(201, ProductSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def create_product(data, brand_id):
    """Add a product to the brand's catalog (members and admins)"""
    return services.create_product(current_user(), brand_id, data)


@blp.route("/brands/<id:brand_id>/products", methods=["GET"])
@blp.auth_optional
@blp.arguments(BrandProductQueryArgsSchema, location="query")
@blp.response(200, ProductPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_brand_products(args, brand_id):
    """One brand's products; its members may include deactivated ones"""
    query = services.list_brand_products(brand_id, args, current_user())
    return paginate(query, args["page"], args["page_size"])


@blp.route("/products", methods=["GET"])
@blp.arguments(ProductQueryArgsSchema, location="query")
@blp.response(200, ProductPageSchema)
def search_products(args):
    """Browse and search active products (public)"""
    return paginate(services.search_products(args), args["page"], args["page_size"])


@blp.route("/products/<id:product_id>", methods=["GET"])
@blp.auth_optional
@blp.response(200, ProductSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_product(product_id):
    """A product; a deactivated one only for its brand's members"""
    return services.get_product(product_id, current_user())


@blp.route("/products/<id:product_id>", methods=["PATCH"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(ProductUpdateSchema)
@blp.response(200, ProductSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def update_product(changes, product_id):
    """Change a product (its brand's members and admins)"""
    return services.update_product(current_user(), product_id, changes)


@blp.route("/products/<id:product_id>", methods=["DELETE"])
@blp.auth_required(roles=["brand", "admin"])
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def deactivate_product(product_id):
    """Deactivate a product: it leaves the catalog and storefronts but is never deleted"""
    services.deactivate_product(current_user(), product_id)
