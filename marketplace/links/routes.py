from flask import Response, request

from marketplace.errors import NotFound
from marketplace.http import Blueprint, current_user, page_schema, paginate
from marketplace.links import services
from marketplace.links.clicks import admit
from marketplace.links.hot_path import Answer, answer, too_many_redirects
from marketplace.links.schemas import LinkQueryArgsSchema, ReshareSchema, ShareLinkSchema

blp = Blueprint("links", __name__, description="Share links")
redirects = Blueprint("redirects", __name__, description="The share-link redirect (/r/{code})")

CODE = "<string(maxlength=16):code>"


@blp.route("/links", methods=["POST"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.arguments(ShareLinkSchema)
@blp.response(201, ShareLinkSchema)
@blp.alt_response(404, response="NOT_FOUND")
def create_link(data):
    """A tracked link to your storefront, one of its collections, or one item"""
    return services.link_view(services.create_link(current_user(), data))


@blp.route("/links", methods=["GET"])
@blp.auth_required(roles=["influencer"])
@blp.arguments(LinkQueryArgsSchema, location="query")
@blp.response(200, page_schema(ShareLinkSchema))
def list_links(args):
    """Your links (re-shares of them included), newest first, with their clicks"""
    page = paginate(services.links_of(current_user()), args["page"], args["page_size"])
    stats = services.link_stats([link.id for link in page["items"]])
    page["items"] = [services.link_view(link, stats[link.id]) for link in page["items"]]
    return page


@blp.route(f"/links/{CODE}", methods=["GET"])
@blp.auth_required(roles=["influencer", "admin"])
@blp.response(200, ShareLinkSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_link(code):
    """One of your links"""
    return services.link_view(services.get_own_link(current_user(), code))


def _response(reply: Answer) -> Response:
    return Response(reply.body, reply.status, reply.headers)


@redirects.route(f"/r/{CODE}", methods=["GET", "HEAD"])
@redirects.response(302, description="To the storefront page; sets the visitor cookie")
@redirects.alt_response(404, response="NOT_FOUND")
@redirects.alt_response(429, response="TOO_MANY_REQUESTS")
def follow(code):
    """Follow a share link: the click is recorded (not for HEAD), then a 302 to the storefront.
    Requests per client address are limited (``REDIRECT_RATE_LIMIT``), unknown codes included"""
    link = services.resolve(code)
    if link is None:
        if not admit(request.remote_addr):
            return _response(too_many_redirects())
        raise NotFound("link not found")
    return _response(answer(link, request.environ))


@redirects.route(f"/r/{CODE}/reshare", methods=["POST"])
@redirects.auth_optional
@redirects.arguments(ReshareSchema)
@redirects.response(201, ShareLinkSchema)
@redirects.alt_response(404, response="NOT_FOUND")
def reshare(data, code):
    """Share what this link points at with a friend: your own link, same credit to its influencer"""
    visitor_id = services.valid_visitor_id(request.cookies.get(services.VISITOR_COOKIE))
    return services.link_view(services.reshare(code, visitor_id, current_user(), data))
