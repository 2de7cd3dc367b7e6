"""Brands: creation, the public directory, changes and members."""

import pytest

from tests.conftest import assert_422_names

API = "/api/v1"


# ------------------------------------------------------------------ helpers


def create(client, actor, **fields):
    body = {"name": "Acme", "default_commission_bps": 1500, **fields}
    return client.post(f"{API}/brands", json=body, headers=actor.headers)


def get_brand(client, brand_id):
    response = client.get(f"{API}/brands/{brand_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def members_url(brand, *parts):
    return "/".join([f"{API}/brands/{brand['id']}/members", *map(str, parts)])


def member_ids(client, brand, actor):
    response = client.get(members_url(brand), headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return [m["user_id"] for m in response.get_json()]


def my_brand_ids(client, actor):
    response = client.get(f"{API}/me", headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["brand_ids"]


@pytest.fixture
def owner(make):
    return make.actor("brand")


@pytest.fixture
def brand(make, owner):
    return make.brand(owner, name="Acme", default_commission_bps=1200)


# ------------------------------------------------------------------ create


def test_post_creates_brand_owned_by_creator(client, owner):
    response = create(client, owner, name="Acme Corp", website="https://acme.example", default_commission_bps=1500)

    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "Acme Corp"
    assert body["slug"] == "acme-corp"
    assert body["website"] == "https://acme.example"
    assert body["default_commission_bps"] == 1500
    assert isinstance(body["id"], int)
    assert my_brand_ids(client, owner) == [body["id"]]
    assert get_brand(client, body["id"])["name"] == "Acme Corp"

    members = client.get(f"{API}/brands/{body['id']}/members", headers=owner.headers).get_json()
    assert [(m["user_id"], m["email"], m["role"]) for m in members] == [(owner.id, owner.email, "owner")]


def test_post_defaults_attribution_window_and_hold_days(client, owner):
    response = create(client, owner)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["attribution_window_days"], body["hold_days"]) == (30, 30)
    assert get_brand(client, body["id"])["hold_days"] == 30


def test_post_keeps_explicit_terms(client, owner):
    response = create(client, owner, attribution_window_days=7, hold_days=0)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["attribution_window_days"], body["hold_days"]) == (7, 0)


def test_post_derives_slug_from_name(client, owner):
    response = create(client, owner, name="  Café Olé & Sons!  ")

    assert response.status_code == 201
    assert response.get_json()["slug"] == "cafe-ole-sons"


def test_post_same_name_gets_deduplicated_slug(client, make):
    first = create(client, make.actor("brand"), name="Acme Corp")
    second = create(client, make.actor("brand"), name="Acme Corp")
    third = create(client, make.actor("brand"), name="ACME corp")

    assert [r.status_code for r in (first, second, third)] == [201, 201, 201]
    assert [r.get_json()["slug"] for r in (first, second, third)] == ["acme-corp", "acme-corp-2", "acme-corp-3"]


def test_post_prefix_of_other_slug_is_not_deduplicated(client, owner):
    create(client, owner, name="Acme Corp")

    response = create(client, owner, name="Acme")

    assert response.status_code == 201
    assert response.get_json()["slug"] == "acme"


def test_post_explicit_slug_is_used(client, owner):
    response = create(client, owner, name="Acme", slug="the-acme")

    assert response.status_code == 201
    assert response.get_json()["slug"] == "the-acme"


def test_post_taken_explicit_slug_is_409(client, make, brand):
    other = make.actor("brand")

    response = create(client, other, name="Something else", slug=brand["slug"])

    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == 409
    assert body["status"] == "Conflict"
    assert body["reason"] == "slug_taken"
    assert "slug" in body["errors"]
    assert my_brand_ids(client, other) == []
    listing = client.get(f"{API}/brands").get_json()
    assert listing["meta"]["total"] == 1


def test_post_invalid_slug_is_422(client, owner):
    assert_422_names(create(client, owner, slug="Not A Slug"), "json", "slug")


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_post_bps_out_of_range_is_422(client, owner, bps):
    assert_422_names(create(client, owner, default_commission_bps=bps), "json", "default_commission_bps")


@pytest.mark.parametrize("bps", [0, 10_000])
def test_post_bps_bounds_are_accepted(client, owner, bps):
    response = create(client, owner, default_commission_bps=bps)

    assert response.status_code == 201
    assert response.get_json()["default_commission_bps"] == bps


def test_post_float_bps_is_422(client, owner):
    assert_422_names(create(client, owner, default_commission_bps=12.5), "json", "default_commission_bps")


def test_post_integral_float_bps_is_422(client, owner):
    assert_422_names(create(client, owner, default_commission_bps=1500.0), "json", "default_commission_bps")


def test_post_string_bps_is_422(client, owner):
    assert_422_names(create(client, owner, default_commission_bps="1500"), "json", "default_commission_bps")


def test_post_unknown_field_is_422(client, owner):
    assert_422_names(create(client, owner, colour="red"), "json", "colour")
    assert client.get(f"{API}/brands").get_json()["meta"]["total"] == 0


def test_post_missing_name_is_422(client, owner):
    response = client.post(f"{API}/brands", json={"default_commission_bps": 100}, headers=owner.headers)

    assert_422_names(response, "json", "name")


@pytest.mark.parametrize(("field", "value"), [("attribution_window_days", 0), ("hold_days", 366), ("hold_days", -1)])
def test_post_terms_out_of_range_is_422(client, owner, field, value):
    assert_422_names(create(client, owner, **{field: value}), "json", field)


def test_post_anonymous_is_401(client):
    response = client.post(f"{API}/brands", json={"name": "Acme", "default_commission_bps": 1})

    assert response.status_code == 401
    assert client.get(f"{API}/brands").get_json()["meta"]["total"] == 0


def test_post_shopper_is_403(client, make):
    shopper = make.actor("shopper")

    response = create(client, shopper)

    assert response.status_code == 403
    assert response.get_json()["reason"] == "wrong_role"
    assert client.get(f"{API}/brands").get_json()["meta"]["total"] == 0


# ------------------------------------------------------------------ list


def test_get_list_is_public_and_ordered_by_name(client, make):
    for name in ["Charlie", "Alpha", "Bravo"]:
        make.brand(name=name)

    response = client.get(f"{API}/brands")

    assert response.status_code == 200
    body = response.get_json()
    assert [b["name"] for b in body["items"]] == ["Alpha", "Bravo", "Charlie"]
    assert body["meta"] == {"page": 1, "page_size": 20, "total": 3, "pages": 1}


def test_get_list_paginates(client, make):
    names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    for name in reversed(names):
        make.brand(name=name)

    pages = [client.get(f"{API}/brands?page={n}&page_size=2").get_json() for n in (1, 2, 3)]

    assert [[b["name"] for b in p["items"]] for p in pages] == [["Alpha", "Bravo"], ["Charlie", "Delta"], ["Echo"]]
    assert [p["meta"] for p in pages] == [
        {"page": n, "page_size": 2, "total": 5, "pages": 3} for n in (1, 2, 3)
    ]


def test_get_list_page_beyond_end_is_empty(client, make):
    make.brand()

    response = client.get(f"{API}/brands?page=5&page_size=10")

    assert response.status_code == 200
    assert response.get_json() == {"items": [], "meta": {"page": 5, "page_size": 10, "total": 1, "pages": 1}}


def test_get_list_empty(client):
    response = client.get(f"{API}/brands")

    assert response.status_code == 200
    assert response.get_json() == {"items": [], "meta": {"page": 1, "page_size": 20, "total": 0, "pages": 0}}


@pytest.mark.parametrize(("param", "value"), [("page", 0), ("page", 10**12), ("page_size", 0), ("page_size", 1000)])
def test_get_list_bad_paging_is_422(client, param, value):
    assert_422_names(client.get(f"{API}/brands?{param}={value}"), "query", param)


# ------------------------------------------------------------------ get


def test_get_one_is_public(client, brand):
    response = client.get(f"{API}/brands/{brand['id']}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == brand["id"]
    assert (body["name"], body["slug"], body["default_commission_bps"]) == ("Acme", "acme", 1200)


def test_get_one_unknown_is_404(client, brand):
    response = client.get(f"{API}/brands/{brand['id'] + 1000}")

    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404
    assert body["status"] == "Not Found"


@pytest.mark.parametrize("brand_id", [2**31, 2**63, 10**30, 0])
def test_get_one_out_of_range_id_is_404(client, brand_id):
    response = client.get(f"{API}/brands/{brand_id}")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_get_one_largest_id_is_404_not_500(client):
    response = client.get(f"{API}/brands/{2**31 - 1}")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


# ------------------------------------------------------------------ update


def test_patch_changes_only_named_fields(client, brand, owner):
    before = get_brand(client, brand["id"])

    response = client.patch(f"{API}/brands/{brand['id']}", json={"hold_days": 14}, headers=owner.headers)

    assert response.status_code == 200
    after = get_brand(client, brand["id"])
    assert after["hold_days"] == 14
    assert response.get_json()["hold_days"] == 14
    unchanged = {k: v for k, v in before.items() if k not in ("hold_days", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged


def test_patch_does_not_reset_defaults(client, make, owner):
    brand = make.brand(owner, attribution_window_days=90, hold_days=10)

    response = client.patch(f"{API}/brands/{brand['id']}", json={"name": "Renamed"}, headers=owner.headers)

    assert response.status_code == 200
    after = get_brand(client, brand["id"])
    assert (after["name"], after["attribution_window_days"], after["hold_days"]) == ("Renamed", 90, 10)
    assert after["slug"] == brand["slug"]


def test_patch_several_fields(client, brand, owner):
    changes = {"default_commission_bps": 0, "website": "https://new.example/shop", "slug": "acme-new"}

    response = client.patch(f"{API}/brands/{brand['id']}", json=changes, headers=owner.headers)

    assert response.status_code == 200
    after = get_brand(client, brand["id"])
    assert {k: after[k] for k in changes} == changes


def test_patch_website_to_null(client, make, owner):
    brand = make.brand(owner, website="https://acme.example")

    response = client.patch(f"{API}/brands/{brand['id']}", json={"website": None}, headers=owner.headers)

    assert response.status_code == 200
    assert get_brand(client, brand["id"])["website"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("default_commission_bps", 10_001),
        ("default_commission_bps", 10.5),
        ("default_commission_bps", "100"),
        ("default_commission_bps", None),
        ("hold_days", 400),
        ("attribution_window_days", 0),
        ("name", ""),
        ("slug", "Bad Slug"),
        ("website", "ftp://acme.example"),
        ("id", 5),
        ("unknown", 1),
    ],
)
def test_patch_invalid_is_422(client, brand, owner, field, value):
    before = get_brand(client, brand["id"])

    response = client.patch(f"{API}/brands/{brand['id']}", json={field: value}, headers=owner.headers)

    assert_422_names(response, "json", field)
    assert get_brand(client, brand["id"]) == before


def test_patch_taken_slug_is_409(client, make, brand, owner):
    other = make.brand(name="Other")

    response = client.patch(f"{API}/brands/{brand['id']}", json={"slug": other["slug"]}, headers=owner.headers)

    assert response.status_code == 409
    assert "slug" in response.get_json()["errors"]
    assert get_brand(client, brand["id"])["slug"] == "acme"


def test_patch_by_non_member_is_403(client, make, brand):
    stranger = make.actor("brand")

    response = client.patch(f"{API}/brands/{brand['id']}", json={"name": "Hijacked"}, headers=stranger.headers)

    assert response.status_code == 403
    assert response.get_json()["reason"] == "not_brand_member"
    assert get_brand(client, brand["id"])["name"] == "Acme"


def test_patch_by_admin_is_allowed(client, make, brand):
    admin = make.actor("admin")

    response = client.patch(f"{API}/brands/{brand['id']}", json={"name": "Moderated"}, headers=admin.headers)

    assert response.status_code == 200
    assert get_brand(client, brand["id"])["name"] == "Moderated"


def test_patch_anonymous_is_401(client, brand):
    response = client.patch(f"{API}/brands/{brand['id']}", json={"name": "Anon"})

    assert response.status_code == 401
    assert get_brand(client, brand["id"])["name"] == "Acme"


@pytest.mark.parametrize("brand_id", [2**31, 10**30])
def test_patch_out_of_range_id_is_404(client, owner, brand_id):
    response = client.patch(f"{API}/brands/{brand_id}", json={"name": "Nope"}, headers=owner.headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_patch_unknown_brand_is_404(client, owner):
    response = client.patch(f"{API}/brands/999", json={"name": "Nope"}, headers=owner.headers)

    assert response.status_code == 404


# ------------------------------------------------------------------ members


def test_get_members_lists_owner(client, brand, owner):
    response = client.get(members_url(brand), headers=owner.headers)

    assert response.status_code == 200
    [member] = response.get_json()
    assert (member["user_id"], member["email"], member["role"]) == (owner.id, owner.email, "owner")
    assert member["created_at"]


def test_get_members_by_non_member_is_403(client, make, brand):
    stranger = make.actor("brand")

    response = client.get(members_url(brand), headers=stranger.headers)

    assert response.status_code == 403


def test_get_members_anonymous_is_401(client, brand):
    assert client.get(members_url(brand)).status_code == 401


def test_post_member_adds_brand_account_case_insensitively(client, make, brand, owner):
    colleague = make.actor("brand", email="colleague@example.com")

    response = client.post(members_url(brand), json={"email": "Colleague@EXAMPLE.com"}, headers=owner.headers)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["user_id"], body["email"], body["role"]) == (colleague.id, "colleague@example.com", "member")
    assert member_ids(client, brand, owner) == [owner.id, colleague.id]
    assert my_brand_ids(client, colleague) == [brand["id"]]


def test_post_member_can_then_patch_brand(client, make, brand, owner):
    colleague = make.actor("brand")
    assert client.patch(f"{API}/brands/{brand['id']}", json={"name": "X"}, headers=colleague.headers).status_code == 403
    client.post(members_url(brand), json={"email": colleague.email}, headers=owner.headers)

    response = client.patch(f"{API}/brands/{brand['id']}", json={"name": "Colleague's"}, headers=colleague.headers)

    assert response.status_code == 200
    assert get_brand(client, brand["id"])["name"] == "Colleague's"


def test_post_member_with_shopper_email_is_422(client, make, brand, owner):
    shopper = make.actor("shopper")

    response = client.post(members_url(brand), json={"email": shopper.email}, headers=owner.headers)

    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]
    assert member_ids(client, brand, owner) == [owner.id]


def test_post_member_with_unknown_email_is_422(client, brand, owner):
    response = client.post(members_url(brand), json={"email": "nobody@example.com"}, headers=owner.headers)

    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]
    assert member_ids(client, brand, owner) == [owner.id]


def test_post_member_malformed_email_is_422(client, brand, owner):
    response = client.post(members_url(brand), json={"email": "not-an-email"}, headers=owner.headers)

    assert_422_names(response, "json", "email")


def test_post_member_twice_is_409(client, make, brand, owner):
    colleague = make.actor("brand")
    first = client.post(members_url(brand), json={"email": colleague.email}, headers=owner.headers)

    second = client.post(members_url(brand), json={"email": colleague.email.upper()}, headers=owner.headers)

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.get_json()["reason"] == "already_member"
    assert member_ids(client, brand, owner) == [owner.id, colleague.id]


def test_post_member_owner_again_is_409(client, brand, owner):
    response = client.post(members_url(brand), json={"email": owner.email}, headers=owner.headers)

    assert response.status_code == 409
    assert member_ids(client, brand, owner) == [owner.id]


def test_post_member_by_non_member_is_403(client, make, brand, owner):
    stranger = make.actor("brand")

    response = client.post(members_url(brand), json={"email": stranger.email}, headers=stranger.headers)

    assert response.status_code == 403
    assert member_ids(client, brand, owner) == [owner.id]


@pytest.mark.parametrize("brand_id", [2**31, 10**30])
def test_post_member_out_of_range_brand_id_is_404(client, owner, brand_id):
    response = client.post(f"{API}/brands/{brand_id}/members", json={"email": owner.email}, headers=owner.headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_delete_member_is_204(client, make, brand, owner):
    colleague = make.actor("brand")
    client.post(members_url(brand), json={"email": colleague.email}, headers=owner.headers)

    response = client.delete(members_url(brand, colleague.id), headers=owner.headers)

    assert response.status_code == 204
    assert response.data == b""
    assert member_ids(client, brand, owner) == [owner.id]
    assert my_brand_ids(client, colleague) == []
    patch = client.patch(f"{API}/brands/{brand['id']}", json={"name": "X"}, headers=colleague.headers)
    assert patch.status_code == 403


def test_delete_last_owner_is_409(client, brand, owner):
    response = client.delete(members_url(brand, owner.id), headers=owner.headers)

    assert response.status_code == 409
    assert response.get_json()["reason"] == "last_owner"
    assert member_ids(client, brand, owner) == [owner.id]


def test_delete_owner_by_member_is_403(client, make, brand, owner):
    colleague = make.actor("brand")
    client.post(members_url(brand), json={"email": colleague.email}, headers=owner.headers)

    response = client.delete(members_url(brand, owner.id), headers=colleague.headers)

    assert response.status_code == 403
    assert response.get_json()["reason"] == "not_brand_owner"
    assert member_ids(client, brand, owner) == [owner.id, colleague.id]


def test_post_member_by_plain_member_is_403(client, make, brand, owner):
    colleague, invitee = make.actor("brand"), make.actor("brand")
    client.post(members_url(brand), json={"email": colleague.email}, headers=owner.headers)

    response = client.post(members_url(brand), json={"email": invitee.email}, headers=colleague.headers)

    assert response.status_code == 403
    assert response.get_json()["reason"] == "not_brand_owner"
    assert member_ids(client, brand, owner) == [owner.id, colleague.id]


def test_delete_self_lets_member_leave(client, make, brand, owner):
    colleague = make.actor("brand")
    client.post(members_url(brand), json={"email": colleague.email}, headers=owner.headers)

    response = client.delete(members_url(brand, colleague.id), headers=colleague.headers)

    assert response.status_code == 204
    assert member_ids(client, brand, owner) == [owner.id]
    assert my_brand_ids(client, colleague) == []


def test_delete_non_member_is_404(client, make, brand, owner):
    stranger = make.actor("brand")

    response = client.delete(members_url(brand, stranger.id), headers=owner.headers)

    assert response.status_code == 404
    assert member_ids(client, brand, owner) == [owner.id]


def test_delete_member_by_non_member_is_403(client, make, brand, owner):
    colleague = make.actor("brand")
    client.post(members_url(brand), json={"email": colleague.email}, headers=owner.headers)
    stranger = make.actor("brand")

    response = client.delete(members_url(brand, colleague.id), headers=stranger.headers)

    assert response.status_code == 403
    assert member_ids(client, brand, owner) == [owner.id, colleague.id]
