"""Storefronts, their collections and curated items."""

import pytest

API = "/api/v1"


# ------------------------------------------------------------------ helpers


def url(storefront, *parts):
    return "/".join([f"{API}/storefronts/{storefront['slug']}", *map(str, parts)])


def view(client, storefront, headers=None):
    response = client.get(url(storefront), headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def placed(items):
    """``[(item id, position), ...]`` in the order given."""
    return [(i["id"], i["position"]) for i in items]


def contiguous(*ids):
    return [(item_id, n) for n, item_id in enumerate(ids)]


def collection_view(body, collection_id):
    return next(c for c in body["collections"] if c["id"] == collection_id)


def add_item(client, storefront, product, headers=None, **fields):
    headers = headers or storefront["owner"].headers
    return client.post(url(storefront, "items"), json={"product_id": product["id"], **fields}, headers=headers)


def patch_item(client, storefront, item, headers=None, **changes):
    headers = headers or storefront["owner"].headers
    return client.patch(url(storefront, "items", item["id"]), json=changes, headers=headers)


def patch_collection(client, storefront, collection, headers=None, **changes):
    headers = headers or storefront["owner"].headers
    return client.patch(url(storefront, "collections", collection["id"]), json=changes, headers=headers)


@pytest.fixture
def brand(make):
    return make.brand()


@pytest.fixture
def shop(make):
    return make.storefront()


@pytest.fixture
def products(make, brand):
    return [make.product(brand) for _ in range(4)]


# ------------------------------------------------------------------ create


def test_post_creates_storefront(client, make):
    owner = make.influencer("ada")

    response = client.post(
        f"{API}/storefronts", json={"slug": "ada-picks", "title": "Ada's picks"}, headers=owner.headers
    )

    assert response.status_code == 201
    body = response.get_json()
    assert (body["slug"], body["title"], body["description"]) == ("ada-picks", "Ada's picks", "")
    assert body["published"] is True
    assert body["influencer_handle"] == "ada"
    assert client.get(f"{API}/storefronts/ada-picks").get_json()["id"] == body["id"]


def test_post_without_profile_is_404_no_profile(client, make):
    actor = make.actor("influencer")

    response = client.post(f"{API}/storefronts", json={"slug": "mine", "title": "Mine"}, headers=actor.headers)

    assert response.status_code == 404
    assert response.get_json()["reason"] == "no_profile"
    assert client.get(f"{API}/storefronts/mine").status_code == 404


def test_post_taken_slug_is_409(client, make):
    make.storefront(slug="picks")
    other = make.influencer()

    response = client.post(f"{API}/storefronts", json={"slug": "picks", "title": "Mine"}, headers=other.headers)

    assert response.status_code == 409
    body = response.get_json()
    assert body["reason"] == "slug_taken"
    assert "slug" in body["errors"]


@pytest.mark.parametrize("slug", ["Upper-Case", "two  spaces", "-leading", "trailing-", "a--b", "x"])
def test_post_bad_slug_is_422(client, make, slug):
    owner = make.influencer()

    response = client.post(f"{API}/storefronts", json={"slug": slug, "title": "T"}, headers=owner.headers)

    assert response.status_code == 422
    assert "slug" in response.get_json()["errors"]["json"]


def test_post_by_shopper_is_403(client, make):
    response = client.post(f"{API}/storefronts", json={"slug": "s", "title": "T"}, headers=make.actor().headers)

    assert response.status_code == 403


# ------------------------------------------------------------------ public view


def test_get_view_orders_collections_by_position_with_their_items(client, make, shop, products):
    first = make.collection(shop, name="Gifts")
    second = make.collection(shop, name="Travel", position=0)
    a = make.item(shop, products[0], collection=first["id"])
    b = make.item(shop, products[1], collection=second["id"])
    c = make.item(shop, products[2], collection=second["id"])

    body = view(client, shop)

    assert [(col["name"], col["position"]) for col in body["collections"]] == [("Travel", 0), ("Gifts", 1)]
    assert placed(body["collections"][0]["items"]) == contiguous(b["id"], c["id"])
    assert placed(body["collections"][1]["items"]) == contiguous(a["id"])
    assert body["items"] == []


def test_get_view_puts_loose_items_in_items(client, make, shop, products):
    collection = make.collection(shop)
    loose = make.item(shop, products[0], note="love it")
    make.item(shop, products[1], collection=collection["id"])

    body = view(client, shop)

    assert placed(body["items"]) == contiguous(loose["id"])
    assert body["items"][0]["note"] == "love it"
    assert body["items"][0]["collection_id"] is None
    assert body["items"][0]["product"]["id"] == products[0]["id"]


def test_get_view_shows_product_price_currency_and_stock(client, make, shop, brand):
    product = make.product(brand, price=4999, currency="EUR", stock=3)
    make.item(shop, product)

    shown = view(client, shop)["items"][0]["product"]

    assert shown["price"] == 4999
    assert shown["currency"] == "EUR"
    assert shown["in_stock"] is True
    assert shown["title"] == product["title"]
    assert shown["brand_id"] == brand["id"]
    assert shown["brand_name"] == brand["name"]


def test_get_view_hides_deactivated_product(client, make, shop, brand, products):
    kept = make.item(shop, products[0])
    make.item(shop, products[1])

    response = client.delete(f"{API}/products/{products[1]['id']}", headers=brand["owner"].headers)

    assert response.status_code == 204
    assert [i["id"] for i in view(client, shop)["items"]] == [kept["id"]]


def test_get_view_keeps_out_of_stock_product(client, make, shop, brand):
    product = make.product(brand, stock=0)
    item = make.item(shop, product)

    items = view(client, shop)["items"]

    assert [i["id"] for i in items] == [item["id"]]
    assert items[0]["product"]["in_stock"] is False


def test_get_view_shows_brand_price_change(client, make, shop, brand, products):
    make.item(shop, products[0])

    response = client.patch(f"{API}/products/{products[0]['id']}", json={"price": 1234}, headers=brand["owner"].headers)

    assert response.status_code == 200
    assert view(client, shop)["items"][0]["product"]["price"] == 1234


def test_get_view_disclosure_names_influencer(client, make):
    owner = make.actor("influencer")
    client.put(f"{API}/me/influencer", json={"handle": "zed", "display_name": "Zed Zebra"}, headers=owner.headers)
    shop = make.storefront(owner)

    body = view(client, shop)

    assert "Zed Zebra" in body["disclosure"]
    assert body["influencer"]["handle"] == "zed"


def test_get_unknown_storefront_is_404(client):
    response = client.get(f"{API}/storefronts/nope")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


# ------------------------------------------------------------------ drafts and lists


def test_get_draft_is_404_for_anonymous_and_other_influencer(client, make):
    draft = make.storefront(published=False)

    assert client.get(url(draft)).status_code == 404
    assert client.get(url(draft), headers=make.influencer().headers).status_code == 404


def test_get_draft_is_visible_to_owner(client, make):
    draft = make.storefront(published=False)

    body = view(client, draft, headers=draft["owner"].headers)

    assert body["id"] == draft["id"]
    assert body["published"] is False


def test_list_omits_drafts(client, make):
    published = make.storefront()
    make.storefront(published=False)

    body = client.get(f"{API}/storefronts").get_json()

    assert [s["slug"] for s in body["items"]] == [published["slug"]]
    assert body["meta"]["total"] == 1


def test_list_filters_by_influencer_handle(client, make):
    ada = make.influencer("ada")
    mine = [make.storefront(ada), make.storefront(ada)]
    make.storefront()

    body = client.get(f"{API}/storefronts?influencer=ADA").get_json()

    assert [s["slug"] for s in body["items"]] == [mine[1]["slug"], mine[0]["slug"]]
    assert {s["influencer_handle"] for s in body["items"]} == {"ada"}
    assert body["meta"]["total"] == 2


def test_list_unknown_influencer_is_empty(client, make):
    make.storefront()

    body = client.get(f"{API}/storefronts?influencer=nobody").get_json()

    assert body["items"] == []
    assert body["meta"] == {"page": 1, "page_size": 20, "total": 0, "pages": 0}


def test_list_paginates_newest_first_with_meta(client, make):
    shops = [make.storefront() for _ in range(3)]

    first = client.get(f"{API}/storefronts?page=1&page_size=2").get_json()
    second = client.get(f"{API}/storefronts?page=2&page_size=2").get_json()

    assert first["meta"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}
    assert second["meta"] == {"page": 2, "page_size": 2, "total": 3, "pages": 2}
    slugs = [s["slug"] for s in first["items"] + second["items"]]
    assert slugs == [s["slug"] for s in reversed(shops)]


def test_list_refuses_bad_page_size(client):
    response = client.get(f"{API}/storefronts?page_size=0")

    assert response.status_code == 422
    assert "page_size" in response.get_json()["errors"]["query"]


def test_get_me_storefronts_lists_own_including_drafts(client, make):
    owner = make.influencer()
    mine = [make.storefront(owner), make.storefront(owner, published=False)]
    make.storefront()

    response = client.get(f"{API}/me/storefronts", headers=owner.headers)

    assert response.status_code == 200
    assert [(s["slug"], s["published"]) for s in response.get_json()] == [
        (mine[0]["slug"], True),
        (mine[1]["slug"], False),
    ]


def test_get_me_storefronts_refuses_shopper(client, make):
    assert client.get(f"{API}/me/storefronts", headers=make.actor().headers).status_code == 403


def test_get_me_storefronts_without_profile_is_empty(client, make):
    response = client.get(f"{API}/me/storefronts", headers=make.actor("influencer").headers)

    assert response.status_code == 200
    assert response.get_json() == []


# ------------------------------------------------------------------ update storefront


def test_patch_storefront_changes_only_named_fields(client, make):
    shop = make.storefront(description="About me", published=False)

    response = client.patch(url(shop), json={"title": "New title"}, headers=shop["owner"].headers)

    assert response.status_code == 200
    body = view(client, shop, headers=shop["owner"].headers)
    assert (body["title"], body["description"], body["published"]) == ("New title", "About me", False)


def test_patch_storefront_publishes_draft(client, make):
    shop = make.storefront(published=False)

    response = client.patch(url(shop), json={"published": True}, headers=shop["owner"].headers)

    assert response.status_code == 200
    assert view(client, shop)["published"] is True
    assert [s["slug"] for s in client.get(f"{API}/storefronts").get_json()["items"]] == [shop["slug"]]


def test_patch_storefront_by_other_influencer_is_403(client, make, shop):
    response = client.patch(url(shop), json={"title": "Hijacked"}, headers=make.influencer().headers)

    assert response.status_code == 403
    assert response.get_json()["reason"] == "not_owner"
    assert view(client, shop)["title"] == shop["title"]


def test_patch_other_influencers_draft_is_404(client, make):
    draft = make.storefront(published=False)

    response = client.patch(url(draft), json={"title": "Hijacked"}, headers=make.influencer().headers)

    assert response.status_code == 404


def test_patch_storefront_slug_moves_it(client, make, shop):
    response = client.patch(url(shop), json={"slug": "renamed"}, headers=shop["owner"].headers)

    assert response.status_code == 200
    assert response.get_json()["slug"] == "renamed"
    assert client.get(url(shop)).status_code == 404
    assert client.get(f"{API}/storefronts/renamed").get_json()["id"] == shop["id"]


def test_patch_storefront_taken_slug_is_409(client, make, shop):
    other = make.storefront()

    response = client.patch(url(shop), json={"slug": other["slug"]}, headers=shop["owner"].headers)

    assert response.status_code == 409
    assert "slug" in response.get_json()["errors"]
    assert view(client, shop)["id"] == shop["id"]


# ------------------------------------------------------------------ collections


def collection_positions(client, shop):
    return [(c["id"], c["position"]) for c in view(client, shop)["collections"]]


def test_post_collection_appends_by_default(client, make, shop):
    a = make.collection(shop)
    b = make.collection(shop)

    assert (a["position"], b["position"]) == (0, 1)
    assert collection_positions(client, shop) == contiguous(a["id"], b["id"])


def test_post_collection_with_position_inserts_and_renumbers(client, make, shop):
    a = make.collection(shop)
    b = make.collection(shop)

    c = make.collection(shop, position=1)
    d = make.collection(shop, position=50)

    assert (c["position"], d["position"]) == (1, 3)
    assert collection_positions(client, shop) == contiguous(a["id"], c["id"], b["id"], d["id"])


def test_post_collection_duplicate_name_is_409(client, make, shop):
    make.collection(shop, name="Gifts")

    response = client.post(url(shop, "collections"), json={"name": "Gifts"}, headers=shop["owner"].headers)

    assert response.status_code == 409
    assert "name" in response.get_json()["errors"]
    assert len(view(client, shop)["collections"]) == 1


def test_post_collection_same_name_in_other_storefront_is_allowed(client, make, shop):
    make.collection(shop, name="Gifts")

    assert make.collection(make.storefront(), name="Gifts")["name"] == "Gifts"


def test_post_collection_float_position_is_422(client, shop):
    response = client.post(url(shop, "collections"), json={"name": "X", "position": 1.5}, headers=shop["owner"].headers)

    assert response.status_code == 422
    assert "position" in response.get_json()["errors"]["json"]


def test_post_collection_by_other_influencer_is_403(client, make, shop):
    response = client.post(url(shop, "collections"), json={"name": "X"}, headers=make.influencer().headers)

    assert response.status_code == 403
    assert view(client, shop)["collections"] == []


def test_patch_collection_rename_to_taken_name_is_409(client, make, shop):
    make.collection(shop, name="Gifts")
    travel = make.collection(shop, name="Travel")

    response = patch_collection(client, shop, travel, name="Gifts")

    assert response.status_code == 409
    assert response.get_json()["reason"] == "collection_name_taken"
    assert [c["name"] for c in view(client, shop)["collections"]] == ["Gifts", "Travel"]


def test_patch_collection_renames(client, make, shop):
    travel = make.collection(shop, name="Travel")

    response = patch_collection(client, shop, travel, name="Trips")

    assert response.status_code == 200
    assert response.get_json()["name"] == "Trips"
    assert collection_view(view(client, shop), travel["id"])["name"] == "Trips"


def test_patch_collection_position_reorders(client, make, shop):
    a, b, c = (make.collection(shop) for _ in range(3))

    response = patch_collection(client, shop, c, position=0)

    assert response.status_code == 200
    assert response.get_json()["position"] == 0
    assert collection_positions(client, shop) == contiguous(c["id"], a["id"], b["id"])

    patch_collection(client, shop, c, position=2)

    assert collection_positions(client, shop) == contiguous(a["id"], b["id"], c["id"])


def test_patch_collection_of_other_storefront_is_404(client, make, shop):
    foreign = make.collection(make.storefront())

    response = patch_collection(client, shop, foreign, name="Mine")

    assert response.status_code == 404


def test_delete_collection_moves_items_after_loose_ones(client, make, shop, products):
    gifts = make.collection(shop)
    loose = [make.item(shop, products[0]), make.item(shop, products[1])]
    moved = [make.item(shop, products[2], collection=gifts["id"]), make.item(shop, products[3], collection=gifts["id"])]

    response = client.delete(url(shop, "collections", gifts["id"]), headers=shop["owner"].headers)

    assert response.status_code == 204
    body = view(client, shop)
    assert body["collections"] == []
    assert placed(body["items"]) == contiguous(*(i["id"] for i in loose + moved))
    assert {i["collection_id"] for i in body["items"]} == {None}


def test_delete_collection_renumbers_remaining_collections(client, make, shop):
    a, b, c = (make.collection(shop) for _ in range(3))

    client.delete(url(shop, "collections", b["id"]), headers=shop["owner"].headers)

    assert collection_positions(client, shop) == contiguous(a["id"], c["id"])
    response = patch_collection(client, shop, b, name="Back")
    assert response.status_code == 404


def test_delete_collection_by_other_influencer_is_403(client, make, shop):
    gifts = make.collection(shop)

    response = client.delete(url(shop, "collections", gifts["id"]), headers=make.influencer().headers)

    assert response.status_code == 403
    assert collection_positions(client, shop) == contiguous(gifts["id"])


# ------------------------------------------------------------------ items: add


def test_post_item_appends_at_end(client, make, shop, products):
    a = make.item(shop, products[0])
    b = make.item(shop, products[1])
    c = make.item(shop, products[2])

    assert [a["position"], b["position"], c["position"]] == [0, 1, 2]
    assert placed(view(client, shop)["items"]) == contiguous(a["id"], b["id"], c["id"])


def test_post_item_at_position_zero_goes_first(client, make, shop, products):
    a = make.item(shop, products[0])
    b = make.item(shop, products[1])

    c = make.item(shop, products[2], position=0)

    assert c["position"] == 0
    assert placed(view(client, shop)["items"]) == contiguous(c["id"], a["id"], b["id"])


def test_post_item_in_collection_is_placed_in_that_list(client, make, shop, products):
    gifts = make.collection(shop)
    loose = make.item(shop, products[0])
    a = make.item(shop, products[1], collection=gifts["id"])
    b = make.item(shop, products[2], collection=gifts["id"], position=0)

    body = view(client, shop)

    assert placed(collection_view(body, gifts["id"])["items"]) == contiguous(b["id"], a["id"])
    assert placed(body["items"]) == contiguous(loose["id"])
    assert a["collection_id"] == gifts["id"]


def test_post_item_same_product_twice_in_list_is_409(client, make, shop, products):
    first = make.item(shop, products[0])

    response = add_item(client, shop, products[0])

    assert response.status_code == 409
    assert response.get_json()["reason"] == "already_curated"
    assert placed(view(client, shop)["items"]) == contiguous(first["id"])


def test_post_item_same_product_twice_in_collection_is_409(client, make, shop, products):
    gifts = make.collection(shop)
    make.item(shop, products[0], collection=gifts["id"])

    response = add_item(client, shop, products[0], collection=gifts["id"])

    assert response.status_code == 409
    assert response.get_json()["reason"] == "already_curated"


def test_post_item_same_product_in_other_collection_is_allowed(client, make, shop, products):
    gifts = make.collection(shop)
    loose = make.item(shop, products[0])

    response = add_item(client, shop, products[0], collection=gifts["id"])

    assert response.status_code == 201
    body = view(client, shop)
    assert placed(body["items"]) == contiguous(loose["id"])
    assert placed(collection_view(body, gifts["id"])["items"]) == contiguous(response.get_json()["id"])


def test_post_item_inactive_product_is_422(client, make, shop, brand, products):
    client.delete(f"{API}/products/{products[0]['id']}", headers=brand["owner"].headers)

    response = add_item(client, shop, products[0])

    assert response.status_code == 422
    assert "product_id" in response.get_json()["errors"]
    assert view(client, shop)["items"] == []


def test_post_item_unknown_product_is_422(client, shop):
    response = add_item(client, shop, {"id": 999_999})

    assert response.status_code == 422
    assert "product_id" in response.get_json()["errors"]


def test_post_item_collection_of_other_storefront_is_422(client, make, shop, products):
    foreign = make.collection(make.storefront())

    response = add_item(client, shop, products[0], collection=foreign["id"])

    assert response.status_code == 422
    assert "collection" in response.get_json()["errors"]
    assert view(client, shop)["items"] == []


@pytest.mark.parametrize("product_id", [1.5, "1", None, 0])
def test_post_item_bad_product_id_is_422(client, shop, products, product_id):
    response = client.post(url(shop, "items"), json={"product_id": product_id}, headers=shop["owner"].headers)

    assert response.status_code == 422
    assert "product_id" in response.get_json()["errors"]["json"]


def test_post_item_by_other_influencer_is_403(client, make, shop, products):
    response = add_item(client, shop, products[0], headers=make.influencer().headers)

    assert response.status_code == 403
    assert response.get_json()["reason"] == "not_owner"
    assert view(client, shop)["items"] == []


def test_post_item_without_token_is_401(client, shop, products):
    response = client.post(url(shop, "items"), json={"product_id": products[0]["id"]})

    assert response.status_code == 401


# ------------------------------------------------------------------ items: update


def test_patch_item_note(client, make, shop, products):
    item = make.item(shop, products[0], note="old")

    response = patch_item(client, shop, item, note="new note")

    assert response.status_code == 200
    assert response.get_json()["note"] == "new note"
    assert view(client, shop)["items"][0]["note"] == "new note"


def test_patch_item_note_keeps_place_and_collection(client, make, shop, products):
    gifts = make.collection(shop)
    a = make.item(shop, products[0], collection=gifts["id"])
    b = make.item(shop, products[1], collection=gifts["id"])

    patch_item(client, shop, b, note="still second")

    assert placed(collection_view(view(client, shop), gifts["id"])["items"]) == contiguous(a["id"], b["id"])


def test_patch_item_position_reorders(client, make, shop, products):
    a, b, c = (make.item(shop, p) for p in products[:3])

    response = patch_item(client, shop, a, position=2)

    assert response.status_code == 200
    assert response.get_json()["position"] == 2
    assert placed(view(client, shop)["items"]) == contiguous(b["id"], c["id"], a["id"])

    patch_item(client, shop, c, position=0)

    assert placed(view(client, shop)["items"]) == contiguous(c["id"], b["id"], a["id"])


def test_patch_item_moves_into_collection_and_renumbers_source(client, make, shop, products):
    gifts = make.collection(shop)
    a, b, c = (make.item(shop, p) for p in products[:3])
    d = make.item(shop, products[3], collection=gifts["id"])

    response = patch_item(client, shop, a, collection=gifts["id"])

    assert response.status_code == 200
    assert response.get_json()["collection_id"] == gifts["id"]
    body = view(client, shop)
    assert placed(body["items"]) == contiguous(b["id"], c["id"])
    assert placed(collection_view(body, gifts["id"])["items"]) == contiguous(d["id"], a["id"])


def test_patch_item_moves_into_collection_at_position(client, make, shop, products):
    gifts = make.collection(shop)
    a = make.item(shop, products[0])
    d = make.item(shop, products[1], collection=gifts["id"])

    patch_item(client, shop, a, collection=gifts["id"], position=0)

    assert placed(collection_view(view(client, shop), gifts["id"])["items"]) == contiguous(a["id"], d["id"])


def test_patch_item_moves_between_collections(client, make, shop, products):
    gifts, travel = make.collection(shop), make.collection(shop)
    a = make.item(shop, products[0], collection=gifts["id"])
    b = make.item(shop, products[1], collection=gifts["id"])

    response = patch_item(client, shop, a, collection=travel["id"])

    assert response.status_code == 200
    body = view(client, shop)
    assert placed(collection_view(body, gifts["id"])["items"]) == contiguous(b["id"])
    assert placed(collection_view(body, travel["id"])["items"]) == contiguous(a["id"])


def test_patch_item_collection_null_moves_it_to_loose_items(client, make, shop, products):
    gifts = make.collection(shop)
    loose = make.item(shop, products[0])
    a = make.item(shop, products[1], collection=gifts["id"])
    b = make.item(shop, products[2], collection=gifts["id"])

    response = patch_item(client, shop, a, collection=None)

    assert response.status_code == 200
    assert response.get_json()["collection_id"] is None
    body = view(client, shop)
    assert placed(body["items"]) == contiguous(loose["id"], a["id"])
    assert placed(collection_view(body, gifts["id"])["items"]) == contiguous(b["id"])


def test_patch_item_into_list_already_holding_product_is_409(client, make, shop, products):
    gifts = make.collection(shop)
    loose = make.item(shop, products[0])
    make.item(shop, products[0], collection=gifts["id"])

    response = patch_item(client, shop, loose, collection=gifts["id"])

    assert response.status_code == 409
    assert response.get_json()["reason"] == "already_curated"
    assert placed(view(client, shop)["items"]) == contiguous(loose["id"])


def test_patch_item_collection_of_other_storefront_is_422(client, make, shop, products):
    item = make.item(shop, products[0])
    foreign = make.collection(make.storefront())

    response = patch_item(client, shop, item, collection=foreign["id"])

    assert response.status_code == 422
    assert "collection" in response.get_json()["errors"]
    assert view(client, shop)["items"][0]["collection_id"] is None


def test_patch_item_refuses_product_id(client, make, shop, products):
    item = make.item(shop, products[0])

    response = patch_item(client, shop, item, product_id=products[1]["id"])

    assert response.status_code == 422
    assert "product_id" in response.get_json()["errors"]["json"]


def test_patch_item_by_other_influencer_is_403(client, make, shop, products):
    item = make.item(shop, products[0], note="mine")

    response = patch_item(client, shop, item, headers=make.influencer().headers, note="theirs")

    assert response.status_code == 403
    assert view(client, shop)["items"][0]["note"] == "mine"


def test_patch_item_of_other_storefront_is_404(client, make, shop, products):
    other = make.storefront()
    foreign = make.item(other, products[0])

    response = patch_item(client, shop, foreign, note="x")

    assert response.status_code == 404


# ------------------------------------------------------------------ items: delete


def test_delete_item_then_it_is_gone(client, make, shop, products):
    item = make.item(shop, products[0])

    response = client.delete(url(shop, "items", item["id"]), headers=shop["owner"].headers)

    assert response.status_code == 204
    assert patch_item(client, shop, item, note="back?").status_code == 404
    assert client.delete(url(shop, "items", item["id"]), headers=shop["owner"].headers).status_code == 404
    assert view(client, shop)["items"] == []


def test_delete_item_renumbers_its_list(client, make, shop, products):
    a, b, c = (make.item(shop, p) for p in products[:3])

    client.delete(url(shop, "items", b["id"]), headers=shop["owner"].headers)

    assert placed(view(client, shop)["items"]) == contiguous(a["id"], c["id"])


def test_delete_item_lets_product_be_curated_again(client, make, shop, products):
    item = make.item(shop, products[0])
    client.delete(url(shop, "items", item["id"]), headers=shop["owner"].headers)

    response = add_item(client, shop, products[0])

    assert response.status_code == 201
    assert placed(view(client, shop)["items"]) == contiguous(response.get_json()["id"])


def test_delete_item_by_other_influencer_is_403(client, make, shop, products):
    item = make.item(shop, products[0])

    response = client.delete(url(shop, "items", item["id"]), headers=make.influencer().headers)

    assert response.status_code == 403
    assert placed(view(client, shop)["items"]) == contiguous(item["id"])
