"""Influencer profiles: PUT/GET /me/influencer and the public GET /influencers/{handle}."""

ME = "/api/v1/me/influencer"


def profile_body(handle="ada_makes", **fields):
    return {"handle": handle, "display_name": "Ada Makes", **fields}


def put_profile(client, actor, **fields):
    return client.put(ME, json=profile_body(**fields), headers=actor.headers)


def json_errors(response):
    return response.get_json()["errors"]["json"]


# ------------------------------------------------------------------ PUT


def test_put_creates_profile_with_201(client, make):
    actor = make.actor("influencer")
    socials = [{"channel": "instagram", "url": "https://instagram.com/ada", "followers": 1200}]

    response = put_profile(client, actor, bio="I make things", socials=socials)

    assert response.status_code == 201
    body = response.get_json()
    assert body["handle"] == "ada_makes"
    assert body["display_name"] == "Ada Makes"
    assert body["bio"] == "I make things"
    assert body["avatar_url"] is None
    assert body["socials"] == socials
    assert client.get(ME, headers=actor.headers).get_json()["id"] == body["id"]


def test_put_replaces_existing_profile_with_200(client, make):
    actor = make.actor("influencer")
    created = put_profile(client, actor, bio="old bio").get_json()

    response = client.put(ME, json={"handle": "ada2", "display_name": "Ada Two"}, headers=actor.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == created["id"]
    assert (body["handle"], body["display_name"], body["bio"]) == ("ada2", "Ada Two", "")
    assert client.get(ME, headers=actor.headers).get_json()["handle"] == "ada2"


def test_put_replaces_socials_instead_of_appending(client, make):
    actor = make.actor("influencer")
    old = [
        {"channel": "instagram", "url": "https://instagram.com/ada", "followers": 10},
        {"channel": "tiktok", "url": "https://tiktok.com/@ada", "followers": None},
    ]
    new = [{"channel": "youtube", "url": "https://youtube.com/@ada", "followers": 99}]
    assert put_profile(client, actor, socials=old).status_code == 201

    response = put_profile(client, actor, socials=new)

    assert response.status_code == 200
    assert response.get_json()["socials"] == new
    assert client.get(ME, headers=actor.headers).get_json()["socials"] == new
    assert client.get("/api/v1/influencers/ada_makes").get_json()["socials"] == new


def test_put_keeps_socials_in_given_order(client, make):
    actor = make.actor("influencer")
    channels = ["youtube", "blog", "instagram"]
    socials = [{"channel": c, "url": f"https://example.com/{c}"} for c in channels]

    put_profile(client, actor, socials=socials)

    stored = client.get(ME, headers=actor.headers).get_json()["socials"]
    assert [s["channel"] for s in stored] == channels


def test_put_stores_handle_lower_case(client, make):
    actor = make.actor("influencer")

    response = put_profile(client, actor, handle="Ada_Makes")

    assert response.status_code == 201
    assert response.get_json()["handle"] == "ada_makes"
    assert client.get(ME, headers=actor.headers).get_json()["handle"] == "ada_makes"


def test_put_refuses_handle_taken_in_another_case(client, make):
    assert put_profile(client, make.actor("influencer"), handle="ada_makes").status_code == 201
    other = make.actor("influencer")

    response = put_profile(client, other, handle="ADA_Makes")

    assert response.status_code == 409
    body = response.get_json()
    assert body["reason"] == "handle_taken"
    assert "handle" in body["errors"]
    assert client.get(ME, headers=other.headers).status_code == 404


def test_put_refuses_taking_handle_on_replace_and_keeps_old_profile(client, make):
    put_profile(client, make.actor("influencer"), handle="taken")
    actor = make.actor("influencer")
    put_profile(client, actor, handle="mine")

    response = put_profile(client, actor, handle="TAKEN")

    assert response.status_code == 409
    assert "handle" in response.get_json()["errors"]
    assert client.get(ME, headers=actor.headers).get_json()["handle"] == "mine"


def test_put_allows_own_handle_in_another_case(client, make):
    actor = make.actor("influencer")
    put_profile(client, actor, handle="ada_makes")

    response = put_profile(client, actor, handle="ADA_MAKES")

    assert response.status_code == 200
    assert response.get_json()["handle"] == "ada_makes"


def test_put_refuses_unknown_social_channel(client, make):
    socials = [{"channel": "myspace", "url": "https://myspace.com/ada"}]

    response = put_profile(client, make.actor("influencer"), socials=socials)

    assert response.status_code == 422
    assert "channel" in json_errors(response)["socials"]["0"]


def test_put_refuses_bad_social_url(client, make):
    socials = [
        {"channel": "blog", "url": "https://ada.example.com"},
        {"channel": "instagram", "url": "javascript:alert(1)"},
    ]

    response = put_profile(client, make.actor("influencer"), socials=socials)

    assert response.status_code == 422
    errors = json_errors(response)["socials"]
    assert list(errors) == ["1"]
    assert "url" in errors["1"]


def test_put_refuses_float_followers(client, make):
    socials = [{"channel": "instagram", "url": "https://instagram.com/ada", "followers": 12.5}]

    response = put_profile(client, make.actor("influencer"), socials=socials)

    assert response.status_code == 422
    assert "followers" in json_errors(response)["socials"]["0"]


def test_put_refuses_bad_handle_and_avatar_url(client, make):
    actor = make.actor("influencer")

    response = put_profile(client, actor, handle="no spaces!", avatar_url="ftp://x.example.com/a.png")

    assert response.status_code == 422
    assert set(json_errors(response)) == {"handle", "avatar_url"}


def test_put_refuses_shopper_and_brand(client, make):
    for role in ("shopper", "brand"):
        actor = make.actor(role)

        response = put_profile(client, actor)

        assert response.status_code == 403, role
        assert response.get_json()["reason"] == "wrong_role"
    assert client.get("/api/v1/influencers/ada_makes").status_code == 404


def test_put_without_token_is_401(client):
    response = client.put(ME, json=profile_body())

    assert response.status_code == 401
    assert response.get_json()["reason"] == "authentication_required"
    assert response.headers["WWW-Authenticate"] == "Bearer"


# ------------------------------------------------------------------ GET


def test_get_own_profile_is_404_before_creation(client, make):
    response = client.get(ME, headers=make.actor("influencer").headers)

    assert response.status_code == 404
    assert response.get_json()["reason"] == "no_profile"


def test_get_own_profile_refuses_shopper_and_anonymous(client, make):
    assert client.get(ME, headers=make.actor("shopper").headers).status_code == 403
    assert client.get(ME).status_code == 401


def test_get_public_profile_by_handle_in_any_case(client, make):
    actor = make.actor("influencer")
    put_profile(client, actor, handle="Ada_Makes", bio="hello")

    response = client.get("/api/v1/influencers/ADA_makes")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["handle"], body["display_name"], body["bio"]) == ("ada_makes", "Ada Makes", "hello")
    assert "user_id" not in body


def test_get_public_profile_unknown_handle_is_404(client, make):
    make.influencer("someone")

    response = client.get("/api/v1/influencers/nobody")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404
