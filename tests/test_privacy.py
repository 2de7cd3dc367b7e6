"""A shopper's personal data: exported as JSON, and erased with the account while orders stay for the books."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

API = "/api/v1"


@pytest.fixture
def shop(make):
    brand = make.brand()
    product = make.product(brand, price=4900, stock=10)
    storefront = make.storefront()
    make.item(storefront, product)
    return {"brand": brand, "product": product, "storefront": storefront}


def _order(client, shop, email, headers=None, quantity=1):
    response = client.post(
        f"{API}/orders",
        json={
            "storefront": shop["storefront"]["slug"],
            "items": [{"product_id": shop["product"]["id"], "quantity": quantity}],
            "email": email,
        },
        headers=headers or {},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_export_lists_the_account_and_orders_placed_signed_in_or_with_its_email(client, make, shop):
    shopper = make.actor("shopper", email="ada@example.com")
    signed_in = _order(client, shop, "ada@example.com", headers=shopper.headers, quantity=2)
    anonymous = _order(client, shop, "ADA@example.com")
    _order(client, shop, "someone-else@example.com")

    response = client.get(f"{API}/me/export", headers=shopper.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["account"]["email"] == "ada@example.com"
    assert body["account"]["role"] == "shopper"
    assert [order["id"] for order in body["orders"]] == [signed_in["id"], anonymous["id"]]
    assert body["orders"][0]["lines"][0]["quantity"] == 2
    assert "password_hash" not in str(body)


def test_export_needs_a_token(client):
    response = client.get(f"{API}/me/export")

    assert response.status_code == 401
    assert response.get_json()["reason"] == "authentication_required"


def test_delete_erases_personal_data_keeps_orders_and_ends_every_session(client, make, shop):
    shopper = make.actor("shopper", email="ada@example.com")
    order = _order(client, shop, "ada@example.com", headers=shopper.headers, quantity=3)
    other_token = client.post(f"{API}/auth/token", json={"email": "ada@example.com", "password": PASSWORD}).get_json()

    response = client.delete(f"{API}/me", headers=shopper.headers)

    assert response.status_code == 204
    for token in (shopper.token, other_token["access_token"]):
        me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
    login = client.post(f"{API}/auth/token", json={"email": "ada@example.com", "password": PASSWORD})
    assert login.status_code == 401
    # The brand still sees the sale, without the shopper's email.
    brand_view = client.get(f"{API}/orders/{order['id']}", headers=shop["brand"]["owner"].headers).get_json()
    assert brand_view["lines"][0]["quantity"] == 3
    assert brand_view["total"] == 3 * 4900
    assert "ada" not in brand_view["email"]
    # The email is free again: the person may sign up anew, with nothing of the old account.
    again = client.post(f"{API}/auth/signup", json={"email": "ada@example.com", "password": PASSWORD, "role": "shopper"})
    assert again.status_code == 201
    new_token = client.post(f"{API}/auth/token", json={"email": "ada@example.com", "password": PASSWORD}).get_json()
    export = client.get(f"{API}/me/export", headers={"Authorization": f"Bearer {new_token['access_token']}"})
    assert export.get_json()["orders"] == []


def test_delete_also_erases_orders_placed_anonymously_with_the_email(client, make, shop):
    shopper = make.actor("shopper", email="ada@example.com")
    anonymous = _order(client, shop, "ada@example.com")

    assert client.delete(f"{API}/me", headers=shopper.headers).status_code == 204

    brand_view = client.get(f"{API}/orders/{anonymous['id']}", headers=shop["brand"]["owner"].headers).get_json()
    assert "ada" not in brand_view["email"]
    # The order's own access token still reads it: the shopper can still follow a delivery.
    mine = client.get(f"{API}/orders/{anonymous['id']}", query_string={"token": anonymous["access_token"]})
    assert mine.status_code == 200


def test_delete_refuses_influencer_and_brand_accounts(client, make):
    for role in ("influencer", "brand"):
        actor = make.actor(role)

        response = client.delete(f"{API}/me", headers=actor.headers)

        assert response.status_code == 409
        assert response.get_json()["reason"] == "not_a_shopper_account"
        assert client.get(f"{API}/me", headers=actor.headers).status_code == 200
