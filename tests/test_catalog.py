"""The catalog: creating, browsing, changing and deactivating products."""

import pytest

from tests.conftest import assert_422_names

API = "/api/v1"


# ------------------------------------------------------------------ helpers


def product_body(**fields):
    return {"title": "Widget", "price": 2500, "currency": "USD", "sku": "W-1", "stock": 3, **fields}


def create(client, brand, headers=None, **fields):
    headers = headers or brand["owner"].headers
    return client.post(f"{API}/brands/{brand['id']}/products", json=product_body(**fields), headers=headers)


def search(client, query="", headers=None):
    response = client.get(f"{API}/products{'?' + query if query else ''}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(page):
    return [p["id"] for p in page["items"]]


def brand_products(client, brand, query="", headers=None):
    response = client.get(f"{API}/brands/{brand['id']}/products{'?' + query if query else ''}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def patch(client, product, headers, **changes):
    return client.patch(f"{API}/products/{product['id']}", json=changes, headers=headers)


def fetch(client, product, headers=None):
    return client.get(f"{API}/products/{product['id']}", headers=headers)


@pytest.fixture
def brand(make):
    return make.brand(default_commission_bps=1000)


@pytest.fixture
def other_brand(make):
    return make.brand(default_commission_bps=500)


def deactivate(client, brand, product):
    response = client.delete(f"{API}/products/{product['id']}", headers=brand["owner"].headers)
    assert response.status_code == 204, response.get_json()


# ------------------------------------------------------------------ create


def test_post_creates_product_with_brand_default_commission(client, brand):
    response = create(
        client, brand, description="A fine widget", image_urls=["https://img.example/w.png"], sku="W-42"
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["brand_id"] == brand["id"]
    assert body["brand_name"] == brand["name"]
    assert (body["title"], body["description"], body["sku"]) == ("Widget", "A fine widget", "W-42")
    assert (body["price"], body["currency"], body["stock"]) == (2500, "USD", 3)
    assert body["image_urls"] == ["https://img.example/w.png"]
    assert body["commission_bps"] is None
    assert body["effective_commission_bps"] == 1000
    assert body["active"] is True
    assert body["in_stock"] is True
    assert fetch(client, body).get_json() == body


def test_post_product_override_commission(client, brand):
    response = create(client, brand, commission_bps=2500)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["commission_bps"], body["effective_commission_bps"]) == (2500, 2500)


def test_post_product_zero_override_is_not_the_default(client, brand):
    response = create(client, brand, commission_bps=0)

    assert response.status_code == 201
    assert response.get_json()["effective_commission_bps"] == 0


def test_post_defaults_description_and_images(client, brand):
    response = create(client, brand, stock=0)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["description"], body["image_urls"], body["in_stock"]) == ("", [], False)


@pytest.mark.parametrize("currency", ["usd", "XYZ", "US", "USDD", "", 840])
def test_post_bad_currency_is_422(client, brand, currency):
    assert_422_names(create(client, brand, currency=currency), "json", "currency")
    assert brand_products(client, brand)["meta"]["total"] == 0


@pytest.mark.parametrize("currency", ["EUR", "JPY"])
def test_post_other_iso_currency_is_accepted(client, brand, currency):
    response = create(client, brand, currency=currency)

    assert response.status_code == 201
    assert response.get_json()["currency"] == currency


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 12.5),
        ("price", 12.0),
        ("price", "1250"),
        ("price", -1),
        ("price", 10**12 + 1),
        ("stock", -1),
        ("stock", 1.5),
        ("commission_bps", 10_001),
        ("commission_bps", -1),
        ("commission_bps", 12.5),
        ("title", ""),
        ("sku", ""),
        ("image_urls", ["not a url"]),
        ("image_urls", "https://img.example/a.png"),
        ("active", False),
        ("colour", "red"),
    ],
)
def test_post_invalid_field_is_422(client, brand, field, value):
    assert_422_names(create(client, brand, **{field: value}), "json", field)
    assert brand_products(client, brand, "include_inactive=true", brand["owner"].headers)["meta"]["total"] == 0


def test_post_missing_required_field_is_422(client, brand):
    body = product_body()
    del body["price"]

    response = client.post(f"{API}/brands/{brand['id']}/products", json=body, headers=brand["owner"].headers)

    assert_422_names(response, "json", "price")


def test_post_ten_images_is_accepted(client, brand):
    urls = [f"https://img.example/{n}.png" for n in range(10)]

    response = create(client, brand, image_urls=urls)

    assert response.status_code == 201
    assert response.get_json()["image_urls"] == urls


def test_post_eleven_images_is_422(client, brand):
    urls = [f"https://img.example/{n}.png" for n in range(11)]

    assert_422_names(create(client, brand, image_urls=urls), "json", "image_urls")
    assert brand_products(client, brand)["meta"]["total"] == 0


def test_post_max_price_is_accepted(client, brand):
    response = create(client, brand, price=10**12)

    assert response.status_code == 201
    assert fetch(client, response.get_json()).get_json()["price"] == 10**12


def test_post_duplicate_sku_in_brand_is_409(client, brand):
    first = create(client, brand, sku="DUP-1", title="First")

    second = create(client, brand, sku="DUP-1", title="Second")

    assert first.status_code == 201
    assert second.status_code == 409
    body = second.get_json()
    assert body["code"] == 409
    assert body["reason"] == "sku_taken"
    assert "sku" in body["errors"]
    assert [p["title"] for p in brand_products(client, brand)["items"]] == ["First"]


def test_post_same_sku_in_other_brand_is_fine(client, brand, other_brand):
    first = create(client, brand, sku="SHARED")

    second = create(client, other_brand, sku="SHARED")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get_json()["brand_id"] == other_brand["id"]
    assert second.get_json()["effective_commission_bps"] == 500
    assert search(client, "q=SHARED")["meta"]["total"] == 2


def test_post_duplicate_sku_of_deactivated_product_is_409(client, brand):
    product = create(client, brand, sku="OLD").get_json()
    deactivate(client, brand, product)

    assert create(client, brand, sku="OLD").status_code == 409


def test_post_by_non_member_is_403(client, make, brand):
    stranger = make.actor("brand")

    response = create(client, brand, headers=stranger.headers)

    assert response.status_code == 403
    assert brand_products(client, brand)["meta"]["total"] == 0


def test_post_by_shopper_is_403(client, make, brand):
    response = create(client, brand, headers=make.actor("shopper").headers)

    assert response.status_code == 403
    assert response.get_json()["reason"] == "wrong_role"


def test_post_anonymous_is_401(client, brand):
    response = client.post(f"{API}/brands/{brand['id']}/products", json=product_body())

    assert response.status_code == 401


def test_post_by_admin_is_allowed(client, make, brand):
    response = create(client, brand, headers=make.actor("admin").headers)

    assert response.status_code == 201
    assert response.get_json()["brand_id"] == brand["id"]


def test_post_unknown_brand_is_404(client, brand):
    url = f"{API}/brands/{brand['id'] + 100}/products"

    response = client.post(url, json=product_body(), headers=brand["owner"].headers)

    assert response.status_code == 404


# ------------------------------------------------------------------ search


def test_get_products_lists_only_active(client, make, brand, other_brand):
    kept = make.product(brand)
    gone = make.product(brand)
    elsewhere = make.product(other_brand)
    deactivate(client, brand, gone)

    page = search(client)

    assert sorted(ids(page)) == sorted([kept["id"], elsewhere["id"]])
    assert page["meta"]["total"] == 2
    assert all(p["active"] for p in page["items"])


def test_get_products_empty(client):
    assert search(client) == {"items": [], "meta": {"page": 1, "page_size": 20, "total": 0, "pages": 0}}


def test_get_products_q_matches_title_description_and_sku_case_insensitively(client, make, brand):
    by_title = make.product(brand, title="Blue Widget")
    by_description = make.product(brand, description="Hand-made WIDGETS from oak")
    by_sku = make.product(brand, sku="widget-07")
    make.product(brand, title="Gadget", description="no match here", sku="G-1")

    page = search(client, "q=wIdGeT")

    assert sorted(ids(page)) == sorted([by_title["id"], by_description["id"], by_sku["id"]])
    assert page["meta"]["total"] == 3


def test_get_products_q_treats_percent_literally(client, make, brand):
    literal = make.product(brand, title="50% off sale")
    make.product(brand, title="500 off sale")
    make.product(brand, title="Plain")

    assert ids(search(client, "q=0%25")) == [literal["id"]]
    assert ids(search(client, "q=%25")) == [literal["id"]]


def test_get_products_q_treats_underscore_literally(client, make, brand):
    literal = make.product(brand, sku="A_B")
    make.product(brand, sku="AXB")

    assert ids(search(client, "q=a_b")) == [literal["id"]]
    assert ids(search(client, "q=_")) == [literal["id"]]


def test_get_products_q_treats_backslash_literally(client, make, brand):
    literal = make.product(brand, title=r"C:\temp widget")
    make.product(brand, title="C:temp widget")

    assert ids(search(client, "q=C:%5Ctemp")) == [literal["id"]]


def test_get_products_q_without_match_is_empty(client, make, brand):
    make.product(brand, title="Widget")

    page = search(client, "q=nothing-like-this")

    assert page["items"] == []
    assert page["meta"]["total"] == 0


def test_get_products_filters_by_brand(client, make, brand, other_brand):
    mine = [make.product(brand), make.product(brand)]
    make.product(other_brand)

    page = search(client, f"brand={brand['id']}")

    assert sorted(ids(page)) == sorted(p["id"] for p in mine)
    assert {p["brand_id"] for p in page["items"]} == {brand["id"]}


def test_get_products_filters_by_currency(client, make, brand):
    euro = make.product(brand, currency="EUR")
    make.product(brand, currency="USD")

    assert ids(search(client, "currency=EUR")) == [euro["id"]]


def test_get_products_filters_by_price_range_inclusively(client, make, brand):
    by_price = {price: make.product(brand, price=price)["id"] for price in (100, 200, 300, 400)}

    assert sorted(ids(search(client, "min_price=200&max_price=300"))) == sorted([by_price[200], by_price[300]])
    assert sorted(ids(search(client, "min_price=300"))) == sorted([by_price[300], by_price[400]])
    assert ids(search(client, "max_price=100")) == [by_price[100]]
    assert ids(search(client, "min_price=301&max_price=399")) == []


def test_get_products_filters_by_stock(client, make, brand):
    stocked = make.product(brand, stock=5)
    sold_out = make.product(brand, stock=0)

    assert ids(search(client, "in_stock=true")) == [stocked["id"]]
    assert ids(search(client, "in_stock=false")) == [sold_out["id"]]
    assert sorted(ids(search(client))) == sorted([stocked["id"], sold_out["id"]])


def test_get_products_combines_filters(client, make, brand, other_brand):
    hit = make.product(brand, title="Red shoe", currency="EUR", price=5000, stock=1)
    make.product(brand, title="Red shoe", currency="EUR", price=5000, stock=0, sku="X-0")
    make.product(brand, title="Red shoe", currency="USD", price=5000, stock=1, sku="X-1")
    make.product(other_brand, title="Red shoe", currency="EUR", price=5000, stock=1)

    page = search(client, f"q=shoe&brand={brand['id']}&currency=EUR&min_price=4000&in_stock=true")

    assert ids(page) == [hit["id"]]


def test_get_products_default_sort_is_newest_first(client, make, brand):
    created = [make.product(brand)["id"] for _ in range(4)]

    assert ids(search(client)) == list(reversed(created))
    assert ids(search(client, "sort=newest")) == list(reversed(created))


def test_get_products_sort_by_price_ties_by_id(client, make, brand):
    a = make.product(brand, price=300)["id"]
    b = make.product(brand, price=100)["id"]
    c = make.product(brand, price=300)["id"]
    d = make.product(brand, price=200)["id"]

    assert ids(search(client, "sort=price")) == [b, d, a, c]
    assert ids(search(client, "sort=-price")) == [c, a, d, b]


def test_get_products_sort_by_title_ties_by_id(client, make, brand):
    cherry = make.product(brand, title="Cherry")["id"]
    apple_1 = make.product(brand, title="Apple")["id"]
    banana = make.product(brand, title="Banana")["id"]
    apple_2 = make.product(brand, title="Apple")["id"]

    assert ids(search(client, "sort=title")) == [apple_1, apple_2, banana, cherry]


def test_get_products_sort_is_stable_across_pages(client, make, brand):
    created = [make.product(brand, price=100)["id"] for _ in range(5)]

    pages = [ids(search(client, f"sort=price&page_size=2&page={n}")) for n in (1, 2, 3)]

    assert pages == [created[0:2], created[2:4], created[4:5]]


def test_get_products_paginates(client, make, brand):
    created = [make.product(brand)["id"] for _ in range(5)]

    first = search(client, "page_size=2")
    last = search(client, "page_size=2&page=3")

    assert ids(first) == [created[4], created[3]]
    assert first["meta"] == {"page": 1, "page_size": 2, "total": 5, "pages": 3}
    assert ids(last) == [created[0]]
    assert last["meta"] == {"page": 3, "page_size": 2, "total": 5, "pages": 3}


def test_get_products_page_beyond_end_is_empty(client, make, brand):
    for _ in range(3):
        make.product(brand)

    page = search(client, "page=4&page_size=2")

    assert page == {"items": [], "meta": {"page": 4, "page_size": 2, "total": 3, "pages": 2}}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page", 0),
        ("page", -1),
        ("page", 10**12),
        ("page", "two"),
        ("page_size", 0),
        ("page_size", 101),
        ("page_size", 1000),
        ("sort", "price_asc"),
        ("currency", "usd"),
        ("currency", "XYZ"),
        ("min_price", -1),
        ("max_price", 10**12 + 1),
        ("min_price", "1.5"),
        ("in_stock", "maybe"),
        ("brand", 0),
        ("brand", 2**31),
        ("q", ""),
    ],
)
def test_get_products_bad_query_is_422(client, param, value):
    assert_422_names(client.get(f"{API}/products?{param}={value}"), "query", param)


def test_get_products_unknown_query_param_is_422(client, make, brand):
    make.product(brand)

    assert_422_names(client.get(f"{API}/products?colour=red"), "query", "colour")


# ------------------------------------------------------------------ get one


def test_get_product_is_public(client, make, brand):
    product = make.product(brand, title="Lamp")

    response = fetch(client, product)

    assert response.status_code == 200
    assert response.get_json() == product


def test_get_product_unknown_is_404(client, make, brand):
    product = make.product(brand)

    response = client.get(f"{API}/products/{product['id'] + 100}")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


@pytest.mark.parametrize("product_id", [2**31, 10**30, 0])
def test_get_product_out_of_range_id_is_404(client, product_id):
    response = client.get(f"{API}/products/{product_id}")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_get_inactive_product_visibility(client, make, brand, other_brand):
    product = make.product(brand)
    deactivate(client, brand, product)

    assert fetch(client, product).status_code == 404
    assert fetch(client, product, make.actor("shopper").headers).status_code == 404
    assert fetch(client, product, other_brand["owner"].headers).status_code == 404
    member_view = fetch(client, product, brand["owner"].headers)
    assert member_view.status_code == 200
    assert member_view.get_json()["active"] is False
    assert fetch(client, product, make.actor("admin").headers).status_code == 200


def test_get_inactive_product_visible_to_added_member(client, make, brand):
    product = make.product(brand)
    deactivate(client, brand, product)
    colleague = make.actor("brand")
    assert fetch(client, product, colleague.headers).status_code == 404
    response = client.post(
        f"{API}/brands/{brand['id']}/members", json={"email": colleague.email}, headers=brand["owner"].headers
    )
    assert response.status_code == 201

    assert fetch(client, product, colleague.headers).status_code == 200


def test_get_product_with_bad_token_is_401(client, make, brand):
    product = make.product(brand)

    response = fetch(client, product, {"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401


# ------------------------------------------------------------------ update


def test_patch_changes_only_named_fields(client, make, brand):
    product = make.product(brand, description="Keep me", image_urls=["https://img.example/a.png"], commission_bps=700)

    response = patch(client, product, brand["owner"].headers, price=1999)

    assert response.status_code == 200
    after = fetch(client, product).get_json()
    assert after["price"] == 1999
    assert response.get_json()["price"] == 1999
    unchanged = {k: v for k, v in product.items() if k not in ("price", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged


def test_patch_several_fields(client, make, brand):
    product = make.product(brand)
    changes = {"title": "Renamed", "stock": 0, "currency": "EUR", "sku": "NEW-SKU", "image_urls": []}

    response = patch(client, product, brand["owner"].headers, **changes)

    assert response.status_code == 200
    after = fetch(client, product).get_json()
    assert {k: after[k] for k in changes} == changes
    assert after["in_stock"] is False


def test_patch_commission_null_falls_back_to_brand_default(client, make, brand):
    product = make.product(brand, commission_bps=2500)
    assert product["effective_commission_bps"] == 2500

    response = patch(client, product, brand["owner"].headers, commission_bps=None)

    assert response.status_code == 200
    assert (response.get_json()["commission_bps"], response.get_json()["effective_commission_bps"]) == (None, 1000)
    after = fetch(client, product).get_json()
    assert (after["commission_bps"], after["effective_commission_bps"]) == (None, 1000)


def test_patch_commission_override_is_set(client, make, brand):
    product = make.product(brand)

    response = patch(client, product, brand["owner"].headers, commission_bps=3000)

    assert response.status_code == 200
    assert fetch(client, product).get_json()["effective_commission_bps"] == 3000


def test_patch_brand_default_changes_effective_commission(client, make, brand):
    following = make.product(brand)
    overriding = make.product(brand, commission_bps=250)

    response = client.patch(
        f"{API}/brands/{brand['id']}", json={"default_commission_bps": 1800}, headers=brand["owner"].headers
    )

    assert response.status_code == 200
    assert fetch(client, following).get_json()["effective_commission_bps"] == 1800
    assert fetch(client, overriding).get_json()["effective_commission_bps"] == 250


def test_patch_reactivates_product(client, make, brand):
    product = make.product(brand)
    deactivate(client, brand, product)

    response = patch(client, product, brand["owner"].headers, active=True)

    assert response.status_code == 200
    assert response.get_json()["active"] is True
    assert fetch(client, product).status_code == 200
    assert ids(search(client)) == [product["id"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 12.5),
        ("price", -5),
        ("stock", -1),
        ("currency", "usd"),
        ("currency", "XYZ"),
        ("commission_bps", 10_001),
        ("title", None),
        ("image_urls", [f"https://img.example/{n}.png" for n in range(11)]),
        ("brand_id", 5),
        ("id", 5),
        ("colour", "red"),
    ],
)
def test_patch_invalid_is_422(client, make, brand, field, value):
    product = make.product(brand)

    response = patch(client, product, brand["owner"].headers, **{field: value})

    assert_422_names(response, "json", field)
    assert fetch(client, product).get_json() == product


def test_patch_duplicate_sku_is_409(client, make, brand):
    first = make.product(brand, sku="ONE")
    second = make.product(brand, sku="TWO")

    response = patch(client, second, brand["owner"].headers, sku="ONE")

    assert response.status_code == 409
    assert "sku" in response.get_json()["errors"]
    assert fetch(client, second).get_json()["sku"] == "TWO"
    assert fetch(client, first).get_json()["sku"] == "ONE"


def test_patch_by_other_brand_is_403(client, make, brand, other_brand):
    product = make.product(brand)

    response = patch(client, product, other_brand["owner"].headers, price=1)

    assert response.status_code == 403
    assert fetch(client, product).get_json()["price"] == product["price"]


def test_patch_inactive_by_other_brand_is_404(client, make, brand, other_brand):
    product = make.product(brand)
    deactivate(client, brand, product)

    response = patch(client, product, other_brand["owner"].headers, active=True)

    assert response.status_code == 404
    assert fetch(client, product).status_code == 404


def test_patch_anonymous_is_401(client, make, brand):
    product = make.product(brand)

    response = client.patch(f"{API}/products/{product['id']}", json={"price": 1})

    assert response.status_code == 401
    assert fetch(client, product).get_json()["price"] == product["price"]


@pytest.mark.parametrize("product_id", [2**31, 10**30])
def test_patch_out_of_range_id_is_404(client, brand, product_id):
    response = client.patch(f"{API}/products/{product_id}", json={"price": 1}, headers=brand["owner"].headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_patch_unknown_product_is_404(client, brand):
    response = client.patch(f"{API}/products/12345", json={"price": 1}, headers=brand["owner"].headers)

    assert response.status_code == 404


# ------------------------------------------------------------------ deactivate


def test_delete_deactivates_product(client, make, brand):
    product = make.product(brand)
    other = make.product(brand)

    response = client.delete(f"{API}/products/{product['id']}", headers=brand["owner"].headers)

    assert response.status_code == 204
    assert response.data == b""
    assert ids(search(client)) == [other["id"]]
    assert fetch(client, product).status_code == 404
    member_view = fetch(client, product, brand["owner"].headers).get_json()
    assert member_view["active"] is False
    assert {k: member_view[k] for k in ("title", "sku", "price")} == {k: product[k] for k in ("title", "sku", "price")}


def test_delete_then_reactivate_restores_listing(client, make, brand):
    product = make.product(brand)
    deactivate(client, brand, product)
    assert search(client)["meta"]["total"] == 0

    assert patch(client, product, brand["owner"].headers, active=True).status_code == 200

    assert ids(search(client)) == [product["id"]]
    assert fetch(client, product).get_json()["active"] is True


def test_delete_by_other_brand_is_403(client, make, brand, other_brand):
    product = make.product(brand)

    response = client.delete(f"{API}/products/{product['id']}", headers=other_brand["owner"].headers)

    assert response.status_code == 403
    assert fetch(client, product).get_json()["active"] is True


def test_delete_anonymous_is_401(client, make, brand):
    product = make.product(brand)

    assert client.delete(f"{API}/products/{product['id']}").status_code == 401
    assert fetch(client, product).status_code == 200


@pytest.mark.parametrize("product_id", [2**31, 10**30])
def test_delete_out_of_range_id_is_404(client, brand, product_id):
    response = client.delete(f"{API}/products/{product_id}", headers=brand["owner"].headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_delete_unknown_product_is_404(client, brand):
    response = client.delete(f"{API}/products/4242", headers=brand["owner"].headers)

    assert response.status_code == 404


# ------------------------------------------------------------------ brand products


def test_get_brand_products_public_sees_active_only(client, make, brand, other_brand):
    active = make.product(brand)
    hidden = make.product(brand)
    make.product(other_brand)
    deactivate(client, brand, hidden)

    page = brand_products(client, brand)

    assert ids(page) == [active["id"]]
    assert page["meta"]["total"] == 1


def test_get_brand_products_public_include_inactive_sees_active_only(client, make, brand):
    active = make.product(brand)
    deactivate(client, brand, make.product(brand))

    assert ids(brand_products(client, brand, "include_inactive=true")) == [active["id"]]


def test_get_brand_products_member_include_inactive_sees_all(client, make, brand):
    active = make.product(brand)
    hidden = make.product(brand)
    deactivate(client, brand, hidden)
    headers = brand["owner"].headers

    everything = brand_products(client, brand, "include_inactive=true", headers)
    default = brand_products(client, brand, "", headers)

    assert ids(everything) == [hidden["id"], active["id"]]
    assert everything["meta"]["total"] == 2
    assert [p["active"] for p in everything["items"]] == [False, True]
    assert ids(default) == [active["id"]]


def test_get_brand_products_non_member_include_inactive_sees_active_only(client, make, brand, other_brand):
    active = make.product(brand)
    deactivate(client, brand, make.product(brand))

    page = brand_products(client, brand, "include_inactive=true", other_brand["owner"].headers)

    assert ids(page) == [active["id"]]
    assert page["meta"]["total"] == 1


def test_get_brand_products_admin_include_inactive_sees_all(client, make, brand):
    active = make.product(brand)
    hidden = make.product(brand)
    deactivate(client, brand, hidden)

    page = brand_products(client, brand, "include_inactive=true", make.actor("admin").headers)

    assert ids(page) == [hidden["id"], active["id"]]


def test_get_brand_products_applies_filters_and_sort(client, make, brand):
    cheap = make.product(brand, price=100, title="Cheap widget")
    dear = make.product(brand, price=900, title="Dear widget")
    make.product(brand, price=500, title="Gadget")

    page = brand_products(client, brand, "q=widget&sort=-price")

    assert ids(page) == [dear["id"], cheap["id"]]


def test_get_brand_products_paginates(client, make, brand):
    created = [make.product(brand)["id"] for _ in range(3)]

    page = brand_products(client, brand, "page=2&page_size=2")

    assert ids(page) == [created[0]]
    assert page["meta"] == {"page": 2, "page_size": 2, "total": 3, "pages": 2}


def test_get_brand_products_unknown_brand_is_404(client, brand):
    response = client.get(f"{API}/brands/{brand['id'] + 100}/products")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


@pytest.mark.parametrize("brand_id", [0, 2**31, 10**30])
def test_get_brand_products_out_of_range_brand_id_is_404(client, brand_id):
    response = client.get(f"{API}/brands/{brand_id}/products")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_get_brand_products_unknown_query_param_is_422(client, brand, other_brand):
    response = client.get(f"{API}/brands/{brand['id']}/products?brand={other_brand['id']}")

    assert_422_names(response, "query", "brand")


@pytest.mark.parametrize(("param", "value"), [("page", 0), ("page_size", 1000), ("include_inactive", "perhaps")])
def test_get_brand_products_bad_query_is_422(client, brand, param, value):
    assert_422_names(client.get(f"{API}/brands/{brand['id']}/products?{param}={value}"), "query", param)
