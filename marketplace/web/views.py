"""The shopper's pages. Each view reads its input, calls the same services as the API and
renders a template; the rules (what is on sale, prices, stock, who may see an order) stay
in the services."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.accounts.schemas import DataExportSchema
from marketplace.brands import services as brands
from marketplace.db import db
from marketplace.errors import DomainError, NotFound, Unauthorized
from marketplace.http import Id
from marketplace.limiter import auth_rate_limit, limiter
from marketplace.links import services as links
from marketplace.money import format_money, major_text
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from marketplace.orders.schemas import MAX_QUANTITY, OrderCreateSchema
from marketplace.payments import services as payments
from marketplace.storefronts import services as storefronts
from marketplace.web import browser_session as visit
from marketplace.web.security import add_security_headers, csrf, payments_emulated, stripe_js_url

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")
blp.after_request(add_security_headers)

SLUG = "<string(maxlength=80):slug>"
HOME_STOREFRONTS = 50
STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: "Waiting for payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.PARTIALLY_REFUNDED: "Paid, partly refunded",
    OrderStatus.REFUNDED: "Refunded",
    OrderStatus.PAYMENT_FAILED: "Payment failed: not paid",
    OrderStatus.CANCELED: "Canceled",
    OrderStatus.EXPIRED: "Expired: not paid in time",
}


@blp.before_request
def _check_csrf():
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@blp.app_template_filter("money")
def _money(amount: int, currency: str | None) -> str:
    """An amount as people read it; a report with no sales (and so no currency) shows a dash."""
    return format_money(amount, currency) if currency else "—"


@blp.app_template_filter("major")
def _major(amount: int, currency: str) -> str:
    return major_text(amount, currency)


@blp.app_template_filter("percent")
def _percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.1%}"


@blp.app_template_filter("options")
def _options(names) -> list[tuple[str, str]]:
    """Choices of a select: ``last_click`` reads "Last click"."""
    return [(name, name.replace("_", " ").capitalize()) for name in names]


def signed_in_user():
    """The account signed in on the pages (privacy, dashboards), or None (a revoked or expired sign-in is forgotten)."""
    token = visit.sign_in_token()
    if token is None:
        return None
    try:
        return accounts.authenticate_bearer(token)
    except Unauthorized:
        visit.forget_sign_in()
        return None


def _visitor_id() -> str | None:
    return links.valid_visitor_id(request.cookies.get(links.VISITOR_COOKIE))


# ----------------------------------------------------------------- errors


def _error_page(status: int, message: str, errors: dict | None = None):
    if request.is_json or request.accept_mimetypes.best == "application/json":
        body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template("web/error.html", status=status, title=HTTPStatus(status).phrase, message=message), status


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    return _error_page(error.status_code, error.message, error.errors)


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    status = error.code or 500
    message = error.description if status < 500 else "Something went wrong on our side. Please try again."
    return _error_page(status, message)


# ------------------------------------------------------------- storefronts


@blp.get("/")
def home():
    """The published storefronts, newest first: where a visitor without a share link starts."""
    shops = db.session.scalars(storefronts.list_public_storefronts().limit(HOME_STOREFRONTS)).all()
    return render_template("web/home.html", storefronts=shops)


class CartLineForm(ma.Schema):
    product_id = Id(strict=False, required=True)
    quantity = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=0, max=MAX_QUANTITY))

    class Meta:
        unknown = ma.EXCLUDE  # the CSRF token rides along


def _cart_line(form) -> dict[str, int]:
    try:
        return CartLineForm().load(form)
    except ma.ValidationError as exc:
        abort(400, description=f"That is not a quantity we can put in the cart ({', '.join(exc.messages)}).")


def _curated_items(view: dict[str, Any]) -> list:
    return [item for collection in view["collections"] for item in collection["items"]] + list(view["items"])


@blp.get(f"/s/{SLUG}")
def storefront(slug: str):
    shop = storefronts.get_storefront(slug, signed_in_user())
    _remember_share_link(shop)
    view = storefronts.storefront_view(shop)
    return render_template("web/storefront.html", shop=view, cart_size=visit.cart_size(slug),
                           max_quantity=MAX_QUANTITY)


@blp.get(f"/s/{SLUG}/p/<id:item_id>")
def item(slug: str, item_id: int):
    shop = storefronts.get_storefront(slug, signed_in_user())
    _remember_share_link(shop)
    curated = storefronts.public_item(shop, item_id)
    return render_template("web/item.html", shop=storefronts.storefront_view(shop), item=curated,
                           cart_size=visit.cart_size(slug), max_quantity=MAX_QUANTITY)


def _remember_share_link(shop) -> None:
    code = request.args.get("via", "")
    if 0 < len(code) <= 16 and links.storefront_link(code, shop.id) is not None:
        visit.remember_via(shop.slug, code)


@blp.post(f"/s/{SLUG}/share")
def share(slug: str):
    """Make the visitor's own re-share link of the link that brought them (the influencer keeps the
    credit) and offer it to copy; a visitor who came without one gets the page's address."""
    shop = storefronts.get_storefront(slug, signed_in_user())
    url = url_for("web.storefront", slug=shop.slug, _external=True)
    code = visit.via(slug)
    if code is not None:
        try:
            url = links.link_view(links.reshare(code, _visitor_id(), signed_in_user(), {"channel": "other"}))["url"]
        except NotFound:  # the link was disabled since: share the page itself
            pass
    flash(url, "share")
    return redirect(_back_to(slug) + "#share")


def _back_to(slug: str) -> str:
    """The storefront page the form was on (an item page or the storefront), never another site."""
    item_id = request.form.get("item_id", "")
    if item_id.isdigit():
        return url_for("web.item", slug=slug, item_id=int(item_id))
    return url_for("web.storefront", slug=slug)


# ---------------------------------------------------------------- the cart


@blp.post(f"/s/{SLUG}/cart")
def add_to_cart(slug: str):
    shop = storefronts.get_storefront(slug, signed_in_user())
    line = _cart_line(request.form)
    on_sale = {item.product_id: item for item in _curated_items(storefronts.storefront_view(shop))}
    if line["product_id"] not in on_sale:
        abort(404, description="This product is not on sale in this storefront.")
    if line["quantity"] > 0:
        visit.add_to_cart(slug, line["product_id"], line["quantity"])
        flash(f"Added {on_sale[line['product_id']].product.title} to your cart.", "info")
    return redirect(_back_to(slug))


@blp.post(f"/s/{SLUG}/cart/update")
def update_cart(slug: str):
    storefronts.get_storefront(slug, signed_in_user())
    line = _cart_line(request.form)
    visit.set_quantity(slug, line["product_id"], line["quantity"])
    return redirect(url_for("web.cart", slug=slug))


def _cart_lines(shop_view: dict[str, Any], slug: str) -> list[dict[str, Any]]:
    """The cart's products as the storefront offers them now (a product no longer on sale drops out)."""
    on_sale = {item.product_id: item for item in _curated_items(shop_view)}
    return [
        {"item": on_sale[product_id], "quantity": quantity}
        for product_id, quantity in visit.cart(slug).items()
        if product_id in on_sale
    ]


def _render_cart(slug: str, *, status: int = 200, message: str | None = None, errors: dict | None = None,
                 form: dict | None = None):
    shop = storefronts.get_storefront(slug, signed_in_user())
    view = storefronts.storefront_view(shop)
    return render_template(
        "web/cart.html", shop=view, lines=_cart_lines(view, slug), cart_size=visit.cart_size(slug),
        message=message, errors=errors or {}, form=form or {}, max_quantity=MAX_QUANTITY,
    ), status


@blp.get(f"/s/{SLUG}/cart")
def cart(slug: str):
    return _render_cart(slug)


@blp.post(f"/s/{SLUG}/checkout")
def checkout(slug: str):
    """Place the order from the cart (the same service as ``POST /api/v1/orders``), then pay."""
    form = {"email": request.form.get("email", "").strip(), "discount_code": request.form.get("discount_code", "").strip()}
    lines = visit.cart(slug)
    if not lines:
        return _render_cart(slug, status=422, message="Your cart is empty.")
    payload: dict[str, Any] = {
        "storefront": slug,
        "items": [{"product_id": product_id, "quantity": quantity} for product_id, quantity in lines.items()],
        "email": form["email"],
    }
    if form["discount_code"]:
        payload["discount_code"] = form["discount_code"]
    try:
        data = OrderCreateSchema().load(payload)
    except ma.ValidationError as exc:
        return _render_cart(slug, status=422, message="Please check the form.", errors=exc.messages, form=form)
    try:
        order, access_token, _client_secret = orders.place_order(signed_in_user(), data, _visitor_id())
    except DomainError as exc:
        if exc.status_code >= 500:
            raise
        return _render_cart(slug, status=exc.status_code, message=exc.message, errors=exc.errors or {}, form=form)
    visit.remember_order(order.id, access_token)
    visit.empty_cart(slug)
    return redirect(url_for("web.pay", order_id=order.id))


# ------------------------------------------------------- payment and orders


def _shoppers_order(order_id: int):
    token = request.args.get("token") or visit.order_token(order_id)
    return orders.shoppers_order(order_id, signed_in_user(), token)


@blp.get("/orders/<id:order_id>/pay")
def pay(order_id: int):
    order = _shoppers_order(order_id)
    if order.status not in payments.PAYABLE:
        return redirect(url_for("web.order", order_id=order.id))
    payment = payments.checkout_payment(order)
    return render_template(
        "web/pay.html",
        order=orders.order_view(order, order.lines),
        client_secret=payment["client_secret"],
        stripe_js_url=stripe_js_url(),
        emulated=payments_emulated(),
    )


class EmulatorPaymentForm(ma.Schema):
    card_token = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^tok_\w{1,100}$"))


@blp.post("/orders/<id:order_id>/pay/emulator")
def pay_with_emulator(order_id: int):
    """localstripe only: its Stripe.js stand-in tokenises the card, this confirms the payment."""
    if not payments_emulated():
        abort(404)
    try:
        card_token = EmulatorPaymentForm().load(request.get_json(silent=True) or {})["card_token"]
    except ma.ValidationError as exc:
        return _error_page(422, "The card could not be read.", exc.messages)
    declined = payments.pay_with_emulator_card_token(_shoppers_order(order_id), card_token)
    # A declined card is an answer, not an error of this request (as with Stripe.js's own result).
    return jsonify({"paid": declined is None, "message": declined})


@blp.get("/orders/<id:order_id>")
def order(order_id: int):
    """The confirmation after paying, and the page to follow the order (with its access token)."""
    token = request.args.get("token") or visit.order_token(order_id)
    found = orders.get_order(order_id, signed_in_user(), token)
    view = orders.order_view(found["order"], found["lines"])
    follow_url = url_for("web.order", order_id=order_id, token=token, _external=True) if token else None
    waiting = view["status"] == OrderStatus.PENDING_PAYMENT and request.args.get("after") == "payment"
    return render_template("web/order.html", order=view, status_label=STATUS_LABELS[view["status"]],
                           follow_url=follow_url, waiting=waiting, placed_here=visit.order_token(order_id) is not None)


@blp.get("/orders")
def find_order():
    """A form to open an order with its number and access token."""
    order_id, token = request.args.get("order_id", ""), request.args.get("token", "").strip()
    if order_id.isdigit() and token:
        return redirect(url_for("web.order", order_id=int(order_id), token=token))
    return render_template("web/find_order.html")


# ---------------------------------------------------------------- privacy


def _next_page() -> str | None:
    """Where to go after signing in: a path on this site only (never ``//elsewhere``)."""
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else None


def _home_of(user) -> str:
    """Each role's first page after signing in: their dashboard, or a shopper's data."""
    if user.role == Role.INFLUENCER:
        return url_for("web.influencer_dashboard")
    if user.role == Role.BRAND:
        mine = brands.brands_of(user)  # a member of one brand goes straight to it
        return url_for("web.brand_products", brand_id=mine[0].id) if len(mine) == 1 else url_for("web.brand_dashboards")
    return url_for("web.privacy")


@blp.get("/account")
def account():
    """Each signed-in person's first page (the sign-in page for anyone else)."""
    return redirect(_home_of(require_signed_in()))


@blp.get("/account/sign-in")
def sign_in_form():
    return render_template("web/sign_in.html", email="", message=None, next=_next_page())


@blp.post("/account/sign-in")
@limiter.limit(auth_rate_limit)
def sign_in():
    email = request.form.get("email", "")
    try:
        token, _ttl = accounts.issue_token(email, request.form.get("password", ""))
    except Unauthorized as exc:
        return render_template("web/sign_in.html", email=email, message=exc.message, next=_next_page()), 401
    visit.remember_sign_in(token)
    return redirect(_next_page() or _home_of(accounts.authenticate_bearer(token)))


@blp.post("/account/sign-out")
def sign_out():
    token = visit.sign_in_token()
    if token is not None and signed_in_user() is not None:
        accounts.revoke_token(token)
    visit.forget_everything()
    flash("You are signed out.", "info")
    return redirect(url_for("web.sign_in_form"))


class SignInRequired(Exception):
    """A page for signed-in people was asked for by someone who is not (or no longer) signed in."""


@blp.errorhandler(SignInRequired)
def _to_sign_in(_error):
    return redirect(url_for("web.sign_in_form", next=request.full_path.rstrip("?")))


def require_signed_in():
    user = signed_in_user()
    if user is None:
        raise SignInRequired()
    return user


@blp.get("/account/privacy")
def privacy():
    user = require_signed_in()
    return render_template("web/privacy.html", user=accounts.describe_user(user))


@blp.get("/account/privacy/export")
def export_data():
    """The same JSON as ``GET /api/v1/me/export``, as a download."""
    user = require_signed_in()
    response = make_response(DataExportSchema().dumps(accounts.export_user_data(user)))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = "attachment; filename=my-marketplace-data.json"
    return response


@blp.post("/account/privacy/delete")
def delete_account():
    user = require_signed_in()
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm that you want your account deleted.", "error")
        return redirect(url_for("web.privacy"))
    accounts.delete_account(user)
    visit.forget_everything()
    flash("Your account is deleted and your personal data erased. Orders stay in the brands' books without it.",
          "info")
    return redirect(url_for("web.sign_in_form"))
