from datetime import timedelta

from flask import Request, Response, current_app, jsonify, redirect, request

from marketplace.errors import NotFound
from marketplace.http import Blueprint, current_user, page_schema, paginate
from marketplace.links import services
from marketplace.links.clicks import admit, new_click
from marketplace.links.rate_limit import redirect_rate_limit
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


def _set_visitor_cookie(response, visitor_id: str):
    response.set_cookie(
        services.VISITOR_COOKIE,
        visitor_id,
        max_age=int(timedelta(days=current_app.config["VISITOR_COOKIE_DAYS"]).total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["MARKETPLACE_ENV"] not in ("development", "testing"),
    )
    return response


def too_many_redirects() -> Response:
    """The 429 of ``/r/`` (a Response, not an error: ``links.hot_path`` answers it outside Flask's handlers)."""
    response = jsonify(code=429, status="Too Many Requests", reason="rate_limited",
                       message="too many requests from this address; try again later")
    response.status_code = 429
    response.headers["Retry-After"] = str(redirect_rate_limit().seconds)
    return response


def redirect_visitor(link: services.ResolvedLink, request: Request) -> Response:
    """The 302 to the link's target, with the visitor cookie; the click is recorded (not for HEAD),
    or a 429 when the address is over its limit. Also what ``links.hot_path`` answers for cached codes."""
    visitor_id = services.valid_visitor_id(request.cookies.get(services.VISITOR_COOKIE)) or services.new_visitor_id()
    click = None
    if request.method == "GET":
        click = new_click(link.id, visitor_id, request.headers.get("User-Agent", ""), request.remote_addr,
                          request.referrer)
    if not admit(request.remote_addr, click):
        return too_many_redirects()
    return _set_visitor_cookie(redirect(link.target_url, code=302), visitor_id)


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
            return too_many_redirects()
        raise NotFound("link not found")
    return redirect_visitor(link, request)


@redirects.route(f"/r/{CODE}/reshare", methods=["POST"])
@redirects.auth_optional
@redirects.arguments(ReshareSchema)
@redirects.response(201, ShareLinkSchema)
@redirects.alt_response(404, response="NOT_FOUND")
def reshare(data, code):
    """Share what this link points at with a friend: your own link, same credit to its influencer"""
    visitor_id = services.valid_visitor_id(request.cookies.get(services.VISITOR_COOKIE))
    return services.link_view(services.reshare(code, visitor_id, current_user(), data))
