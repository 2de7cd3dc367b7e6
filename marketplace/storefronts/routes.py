from marketplace.http import Blueprint, current_user, page_schema, paginate
from marketplace.storefronts import services
from marketplace.storefronts.schemas import (
    CollectionSchema,
    CollectionUpdateSchema,
    StorefrontItemSchema,
    StorefrontItemUpdateSchema,
    StorefrontQueryArgsSchema,
    StorefrontSchema,
    StorefrontUpdateSchema,
    StorefrontViewSchema,
)

blp = Blueprint("storefronts", __name__, description="Influencers' curated storefronts")

SLUG = "<string(maxlength=80):slug>"


@blp.route("/storefronts", methods=["POST"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(StorefrontSchema)
@blp.response(201, StorefrontSchema)
@blp.alt_response(404, response="NOT_FOUND", description="No influencer profile yet")
@blp.alt_response(409, response="CONFLICT")
def create_storefront(data):
    """Open a storefront (needs an influencer profile)"""
    return services.create_storefront(current_user(), data)


@blp.route("/storefronts", methods=["GET"])
@blp.arguments(StorefrontQueryArgsSchema, location="query")
@blp.response(200, page_schema(StorefrontSchema))
def list_storefronts(args):
    """Published storefronts, newest first, optionally of one influencer"""
    query = services.list_public_storefronts(args.get("influencer"))
    return paginate(query, args["page"], args["page_size"])


@blp.route("/me/storefronts", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.response(200, StorefrontSchema(many=True))
def list_own_storefronts():
    """Your storefronts, drafts included"""
    return services.list_own_storefronts(current_user())


@blp.route(f"/storefronts/{SLUG}", methods=["GET"])
@blp.auth_optional
@blp.response(200, StorefrontViewSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_storefront(slug):
    """A storefront with its collections and items, as shoppers see it"""
    return services.storefront_view(services.get_storefront(slug, current_user()))


@blp.route(f"/storefronts/{SLUG}", methods=["PATCH"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.arguments(StorefrontUpdateSchema)
@blp.response(200, StorefrontSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def update_storefront(changes, slug):
    """Change your storefront's slug, title, description or draft state"""
    return services.update_storefront(current_user(), slug, changes)


@blp.route(f"/storefronts/{SLUG}/collections", methods=["POST"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.arguments(CollectionSchema)
@blp.response(201, CollectionSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def create_collection(data, slug):
    """Add a named collection to your storefront"""
    return services.create_collection(current_user(), slug, data)


@blp.route(f"/storefronts/{SLUG}/collections/<id:collection_id>", methods=["PATCH"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.arguments(CollectionUpdateSchema)
@blp.response(200, CollectionSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def update_collection(changes, slug, collection_id):
    """Rename, describe or reorder a collection"""
    return services.update_collection(current_user(), slug, collection_id, changes)


@blp.route(f"/storefronts/{SLUG}/collections/<id:collection_id>", methods=["DELETE"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def delete_collection(slug, collection_id):
    """Delete a collection; its items stay in the storefront outside any collection"""
    services.delete_collection(current_user(), slug, collection_id)


@blp.route(f"/storefronts/{SLUG}/items", methods=["POST"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.arguments(StorefrontItemSchema)
@blp.response(201, StorefrontItemSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def add_item(data, slug):
    """Curate an active product into your storefront, with your note"""
    return services.add_item(current_user(), slug, data)


@blp.route(f"/storefronts/{SLUG}/items/<id:item_id>", methods=["PATCH"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.arguments(StorefrontItemUpdateSchema)
@blp.response(200, StorefrontItemSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def update_item(changes, slug, item_id):
    """Edit an item's note, move it to another position or collection"""
    return services.update_item(current_user(), slug, item_id, changes)


@blp.route(f"/storefronts/{SLUG}/items/<id:item_id>", methods=["DELETE"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def remove_item(slug, item_id):
    """Remove an item from your storefront"""
    services.remove_item(current_user(), slug, item_id)
