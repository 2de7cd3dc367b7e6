from flask import current_app, request

from marketplace.http import Blueprint, PageArgsSchema, current_user, page_schema, paginate
from marketplace.links.services import VISITOR_COOKIE, valid_visitor_id
from marketplace.orders import refunds, services
from marketplace.orders.schemas import (
    BrandOrderQueryArgsSchema,
    OrderCreatedSchema,
    OrderCreateSchema,
    OrderSchema,
    OrderTokenArgsSchema,
    RefundCreateSchema,
    RefundSchema,
)

blp = Blueprint("orders", __name__, description="Orders placed from storefronts")

OrderPageSchema = page_schema(OrderSchema)

def _visitor_id() -> str | None:
    """The visitor cookie that share links set, so attribution can find the shopper's clicks."""
    return valid_visitor_id(request.cookies.get(VISITOR_COOKIE))


def _caller(args) -> tuple:
    """Who reads an order: whoever holds its token (``?token=`` or an ``ord_`` bearer), or the signed-in user."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip().startswith(services.ORDER_TOKEN_PREFIX):
        return None, value.strip()
    return current_user(), args.get("token")


@blp.route("/orders", methods=["POST"])
@blp.auth_optional
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderCreatedSchema)
@blp.alt_response(409, response="CONFLICT", description="Not enough stock, or prices changed")
@blp.alt_response(502, response="BAD_GATEWAY", description="The payment provider is unavailable")
def place_order(data):
    """Order from a storefront, anonymously or signed in; returns the PaymentIntent to confirm"""
    order, token, client_secret = services.place_order(current_user(), data, _visitor_id())
    view = services.order_view(order, order.lines)
    view["access_token"] = token
    view["payment"] = {
        "provider": "stripe",
        "payment_intent_id": order.payment_intent_id,
        "client_secret": client_secret,
        "publishable_key": current_app.config["STRIPE_PUBLISHABLE_KEY"],
    }
    return view


@blp.route("/orders/<id:order_id>", methods=["GET"])
@blp.doc(security=[{}, {"bearerAuth": []}])
@blp.arguments(OrderTokenArgsSchema, location="query")
@blp.response(200, OrderSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_order(args, order_id):
    """An order: for its shopper (token or account), its brands (their lines only) and admins"""
    result = services.get_order(order_id, *_caller(args))
    return services.order_view(result["order"], result["lines"])


@blp.route("/orders/<id:order_id>/cancel", methods=["POST"])
@blp.doc(security=[{}, {"bearerAuth": []}])
@blp.arguments(OrderTokenArgsSchema, location="query")
@blp.response(200, OrderSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def cancel_order(args, order_id):
    """Cancel an unpaid order (its shopper): the stock is released"""
    order = services.cancel_order(order_id, *_caller(args))
    return services.order_view(order, order.lines)


@blp.route("/orders/<id:order_id>/refunds", methods=["POST"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(RefundCreateSchema)
@blp.response(201, RefundSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT", description="The order is not paid")
@blp.alt_response(502, response="BAD_GATEWAY", description="The payment provider refused")
def create_refund(data, order_id):
    """Refund lines of a paid order, by quantity or amount (the brand for its lines, admins)"""
    return refunds.create_refund(current_user(), order_id, data)


@blp.route("/me/orders", methods=["GET"])
@blp.auth_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, OrderPageSchema)
def my_orders(args):
    """Orders you placed while signed in, newest first"""
    return paginate(services.orders_of(current_user()), args["page"], args["page_size"])


@blp.route("/brands/<id:brand_id>/orders", methods=["GET"])
@blp.auth_required(roles=["brand", "admin"])
@blp.arguments(BrandOrderQueryArgsSchema, location="query")
@blp.response(200, OrderPageSchema)
def brand_orders(args, brand_id):
    """Orders with the brand's products (members and admins): each shows only the brand's lines"""
    page = paginate(services.brand_orders(current_user(), brand_id, args), args["page"], args["page_size"])
    page["items"] = [
        services.order_view(order, [line for line in order.lines if line.brand_id == brand_id])
        for order in page["items"]
    ]
    return page
