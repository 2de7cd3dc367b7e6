"""The shopper's pages through Flask's test client: what they show, their forms (CSRF included),
their headers, and that they go through the same services as the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.config import load_settings
from marketplace.db import db
from marketplace.links.models import ShareLink
from tests.conftest import PASSWORD

API = "/api/v1"


@pytest.fixture
def shop(client, make):
    brand = make.brand(name="Northwind")
    pan = make.product(brand, title="Carbon pan", price=4900, stock=5, image_urls=["https://images.example/pan.jpg"])
    apron = make.product(brand, title="Apron", price=5400, stock=0)
    owner = make.influencer()
    profile = {
        "handle": "mayacooks",
        "display_name": "Maya Okafor",
        "bio": "Home cook.",
        "socials": [{"channel": "instagram", "url": "https://instagram.com/mayacooks", "followers": 48200}],
    }
    assert client.put(f"{API}/me/influencer", json=profile, headers=owner.headers).status_code == 200
    storefront = make.storefront(owner, title="Maya's kitchen")
    collection = make.collection(storefront, name="Everyday essentials")
    pan_item = make.item(storefront, pan, note="I cook eggs in it.", collection=collection["id"])
    apron_item = make.item(storefront, apron)
    return {"brand": brand, "pan": pan, "apron": apron, "storefront": storefront, "collection": collection,
            "pan_item": pan_item, "apron_item": apron_item, "slug": storefront["slug"]}


def _csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _add(client, shop, product, quantity=1):
    token = _csrf(client, f"/s/{shop['slug']}")
    return client.post(
        f"/s/{shop['slug']}/cart",
        data={"csrf_token": token, "product_id": product["id"], "quantity": quantity},
    )


def _checkout(client, shop, email="buyer@example.com", **fields):
    token = _csrf(client, f"/s/{shop['slug']}/cart")
    return client.post(f"/s/{shop['slug']}/checkout", data={"csrf_token": token, "email": email, **fields})


def test_storefront_page_shows_influencer_items_notes_stock_and_disclosure(client, shop):
    response = client.get(f"/s/{shop['slug']}")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for text in ("Maya&#39;s kitchen", "Maya Okafor", "Home cook.", "https://instagram.com/mayacooks", "48,200 followers",
                 "Everyday essentials", "Carbon pan", "$49.00", "In stock", "I cook eggs in it.", "Apron",
                 "Sold out", "Northwind"):
        assert text in page, text
    assert 'src="https://images.example/pan.jpg" alt="Carbon pan"' in page
    assert "Maya Okafor may earn a commission on purchases made through this storefront." in page


def test_item_page_shows_one_item(client, shop):
    response = client.get(f"/s/{shop['slug']}/p/{shop['pan_item']['id']}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1 id=\"product-title\">Carbon pan</h1>" in page
    assert "I cook eggs in it." in page and "may earn a commission" in page


def test_unknown_storefront_draft_and_removed_item_are_html_404s(client, make, shop):
    draft = make.storefront(published=False)
    for path in ("/s/no-such-shop", f"/s/{draft['slug']}", f"/s/{shop['slug']}/p/999999"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"
        assert "Not Found" in response.get_data(as_text=True)


def test_pages_send_security_headers_and_a_csp_allowing_stripe_js(client, app, shop):
    response = client.get(f"/s/{shop['slug']}")

    csp = response.headers["Content-Security-Policy"]
    emulator = app.config["STRIPE_API_BASE"]
    assert f"script-src 'self' {emulator}" in csp
    assert f"connect-src 'self' {emulator}" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_csp_names_stripe_itself_when_payments_are_not_emulated(app, shop):
    emulator = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = None
    try:
        response = app.test_client().get(f"/s/{shop['slug']}")
    finally:
        app.config["STRIPE_API_BASE"] = emulator
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in csp
    assert "frame-src https://js.stripe.com" in csp
    assert "connect-src 'self' https://api.stripe.com" in csp


def test_session_cookie_is_secure_outside_development(tmp_path):
    assert load_settings({"MARKETPLACE_ENV": "production"}, str(tmp_path))["SESSION_COOKIE_SECURE"] is True
    assert load_settings({}, str(tmp_path))["SESSION_COOKIE_SECURE"] is False


def test_page_forms_need_a_csrf_token_but_the_api_does_not(client, shop):
    refused = client.post(f"/s/{shop['slug']}/cart", data={"product_id": shop["pan"]["id"], "quantity": 1})

    assert refused.status_code == 400
    assert refused.mimetype == "text/html"
    assert "CSRF" in refused.get_data(as_text=True)
    api = client.post(
        f"{API}/orders",
        json={"storefront": shop["slug"], "items": [{"product_id": shop["pan"]["id"], "quantity": 1}],
              "email": "a@example.com"},
    )
    assert api.status_code == 201


def test_cart_then_checkout_places_the_order_and_opens_the_payment(client, app, shop):
    assert _add(client, shop, shop["pan"], quantity=2).status_code == 302
    cart = client.get(f"/s/{shop['slug']}/cart").get_data(as_text=True)
    assert "Carbon pan" in cart and 'value="2"' in cart
    assert "Cart <span class=\"badge\">(2 items)</span>" in cart

    placed = _checkout(client, shop)

    assert placed.status_code == 302
    pay_path = placed.headers["Location"]
    assert re.fullmatch(r"/orders/\d+/pay", pay_path)
    order_id = int(pay_path.split("/")[2])
    pay = client.get(pay_path)
    assert pay.status_code == 200
    page = pay.get_data(as_text=True)
    assert f"{app.config['STRIPE_API_BASE']}/js.stripe.com/v3/" in page
    assert re.search(r'data-client-secret="pi_\w+_secret_\w+"', page)
    assert "Pay $98.00" in page
    # The same order the API shows, reserved for this shopper, and the cart is empty again.
    token = re.search(r'token=(ord_[\w-]+)', client.get(f"/orders/{order_id}").get_data(as_text=True)).group(1)
    order = client.get(f"{API}/orders/{order_id}", query_string={"token": token}).get_json()
    assert order["status"] == "pending_payment" and order["lines"][0]["quantity"] == 2
    assert order["email"] == "buyer@example.com"
    assert "Your cart is empty" in client.get(f"/s/{shop['slug']}/cart").get_data(as_text=True)


def test_checkout_shows_field_errors_and_service_refusals(client, shop):
    _add(client, shop, shop["pan"], quantity=1)

    bad_email = _checkout(client, shop, email="not-an-email")
    assert bad_email.status_code == 422
    assert 'aria-invalid="true" aria-describedby="email-error"' in bad_email.get_data(as_text=True)

    bad_code = _checkout(client, shop, discount_code="NOPE")
    assert bad_code.status_code == 422
    assert 'id="discount-error"' in bad_code.get_data(as_text=True)

    token = _csrf(client, f"/s/{shop['slug']}/cart")
    client.post(f"/s/{shop['slug']}/cart/update",
                data={"csrf_token": token, "product_id": shop["pan"]["id"], "quantity": 9})
    too_many = _checkout(client, shop)
    assert too_many.status_code == 409
    assert "not enough stock" in too_many.get_data(as_text=True)


def test_sold_out_items_cannot_be_added(client, shop):
    page = client.get(f"/s/{shop['slug']}").get_data(as_text=True)
    apron_form = page[page.index(f'name="product_id" value="{shop["apron"]["id"]}"'):]
    assert "disabled" in apron_form[: apron_form.index("</form>")]


def test_order_page_needs_its_token_and_shows_status(client, shop):
    order = client.post(
        f"{API}/orders",
        json={"storefront": shop["slug"], "items": [{"product_id": shop["pan"]["id"], "quantity": 1}],
              "email": "a@example.com"},
    ).get_json()

    assert client.get(f"/orders/{order['id']}").status_code == 404
    assert client.get(f"/orders/{order['id']}", query_string={"token": "ord_wrong"}).status_code == 404
    found = client.get("/orders", query_string={"order_id": order["id"], "token": order["access_token"]})
    assert found.status_code == 302
    page = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "Waiting for payment" in page and "Carbon pan" in page and "$49.00" in page


def test_a_visitor_from_a_share_link_gets_their_own_reshare_link(client, app, shop):
    link = client.post(f"{API}/links", json={"storefront": shop["slug"], "channel": "instagram"},
                       headers=shop["storefront"]["owner"].headers).get_json()
    landing = client.get(f"/r/{link['code']}")
    assert landing.headers["Location"] == f"/s/{shop['slug']}?via={link['code']}"
    token = _csrf(client, landing.headers["Location"])

    shared = client.post(f"/s/{shop['slug']}/share", data={"csrf_token": token})

    assert shared.status_code == 302 and shared.headers["Location"].endswith("#share")
    page = client.get(shared.headers["Location"]).get_data(as_text=True)
    url = re.search(r'id="share-url" type="url" value="([^"]+)"', page).group(1)
    code = url.rsplit("/r/", 1)[1]
    with app.app_context():
        reshare = db.session.scalar(select(ShareLink).where(ShareLink.code == code))
        assert reshare.depth == 1 and reshare.parent_id is not None
        assert reshare.created_by_visitor == client.get_cookie("mp_visitor").value


def test_privacy_page_signs_in_exports_and_deletes(client, make, shop):
    shopper = make.actor("shopper", email="ada@example.com")
    client.post(f"{API}/orders", headers=shopper.headers,
                json={"storefront": shop["slug"], "items": [{"product_id": shop["pan"]["id"], "quantity": 1}],
                      "email": "ada@example.com"})
    assert client.get("/account/privacy").headers["Location"] == "/account/sign-in?next=/account/privacy"
    token = _csrf(client, "/account/sign-in")
    wrong = client.post("/account/sign-in", data={"csrf_token": token, "email": "ada@example.com", "password": "nope"})
    assert wrong.status_code == 401 and "email or password is wrong" in wrong.get_data(as_text=True)

    signed_in = client.post("/account/sign-in", data={"csrf_token": token, "email": "ada@example.com", "password": PASSWORD})
    assert signed_in.headers["Location"] == "/account/privacy"
    page = client.get("/account/privacy").get_data(as_text=True)
    assert "ada@example.com" in page
    assert '<label for="confirm-delete">' in page

    export = client.get("/account/privacy/export")
    assert export.mimetype == "application/json"
    assert "attachment" in export.headers["Content-Disposition"]
    data = export.get_json()
    assert data["account"]["email"] == "ada@example.com" and len(data["orders"]) == 1
    assert data == client.get(f"{API}/me/export", headers=shopper.headers).get_json()

    token = _csrf(client, "/account/privacy")
    not_confirmed = client.post("/account/privacy/delete", data={"csrf_token": token})
    assert not_confirmed.headers["Location"] == "/account/privacy"
    deleted = client.post("/account/privacy/delete", data={"csrf_token": token, "confirm": "yes"})
    assert deleted.headers["Location"] == "/account/sign-in"
    assert client.get("/account/privacy").headers["Location"] == "/account/sign-in?next=/account/privacy"
    assert client.get(f"{API}/me", headers=shopper.headers).status_code == 401


def test_the_emulator_payment_route_needs_csrf_the_shoppers_order_and_localstripe(client, app, shop):
    _add(client, shop, shop["pan"])
    pay_path = _checkout(client, shop).headers["Location"]
    csrf_token = _csrf(client, pay_path)
    body = {"card_token": "tok_notreal"}

    no_csrf = client.post(f"{pay_path}/emulator", json=body)
    assert no_csrf.status_code == 400 and no_csrf.is_json and "CSRF" in no_csrf.get_json()["message"]
    stranger = app.test_client()
    stranger_token = _csrf(stranger, f"/s/{shop['slug']}")
    other_browser = stranger.post(f"{pay_path}/emulator", json=body, headers={"X-CSRFToken": stranger_token})
    assert other_browser.status_code == 404 and other_browser.is_json
    bad_token = client.post(f"{pay_path}/emulator", json={"card_token": "4242424242424242"},
                            headers={"X-CSRFToken": csrf_token})
    assert bad_token.status_code == 422 and "card_token" in bad_token.get_json()["errors"]

    emulator = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = None
    try:
        with_stripe = client.post(f"{pay_path}/emulator", json=body, headers={"X-CSRFToken": csrf_token})
    finally:
        app.config["STRIPE_API_BASE"] = emulator
    assert with_stripe.status_code == 404


def test_a_card_token_localstripe_never_issued_is_a_declined_card_not_a_502(client, shop):
    """Regression: the emulator's unknown token was reported as the provider being down (502)."""
    _add(client, shop, shop["pan"])
    pay_path = _checkout(client, shop).headers["Location"]

    response = client.post(f"{pay_path}/emulator", json={"card_token": "tok_nevertokenised"},
                           headers={"X-CSRFToken": _csrf(client, pay_path)})

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "paid": False, "message": "This card could not be read. The order is not paid; you can try another card."}


def test_pages_refuse_deeply_nested_json_and_text_the_database_cannot_store(client, shop):
    """Regressions: the payment call's nested JSON was a 500; a NUL in the sign-in form, or in
    the storefront page's ``via``, a 500 on PostgreSQL."""
    _add(client, shop, shop["pan"])
    pay_path = _checkout(client, shop).headers["Location"]

    nested = client.post(f"{pay_path}/emulator", data="[" * 100_000, content_type="application/json",
                         headers={"X-CSRFToken": _csrf(client, pay_path)})
    sign_in = client.post("/account/sign-in", data={"csrf_token": _csrf(client, "/account/sign-in"),
                                                    "email": "a\x00@example.com", "password": "x"})
    via = client.get(f"/s/{shop['slug']}?via=a%00b")

    assert nested.status_code == 422 and nested.get_json()["errors"] == {"card_token": ["Missing data for required field."]}
    assert sign_in.status_code == 422 and "cannot be stored" in sign_in.get_data(as_text=True)
    assert via.status_code == 422 and via.mimetype == "text/html"
