import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from itsdangerous.encoding import base64_decode
from sqlalchemy import select

from marketplace.accounts.models import AuthSession, User
from marketplace.db import db
from tests.conftest import PASSWORD


def signup(client, email="ada@example.com", password=PASSWORD, role="shopper"):
    return client.post("/api/v1/auth/signup", json={"email": email, "password": password, "role": role})


def login(client, email="ada@example.com", password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_signup_creates_account_with_hashed_password(client, app):
    response = signup(client, email="Ada@Example.com", role="influencer")

    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "ada@example.com"
    assert body["role"] == "influencer"
    assert "password" not in body
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_signup_refuses_email_taken_in_another_case(client):
    assert signup(client, email="ada@example.com").status_code == 201

    response = signup(client, email="ADA@example.COM")

    assert response.status_code == 409
    assert response.get_json()["reason"] == "email_taken"


def test_signup_refuses_admin_role(client):
    response = signup(client, role="admin")

    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]["json"]


def test_signup_names_each_invalid_field(client):
    response = client.post("/api/v1/auth/signup", json={"email": "not-an-email", "password": "short"})

    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert set(errors) == {"email", "password", "role"}


def test_signup_refuses_unknown_fields(client):
    response = client.post(
        "/api/v1/auth/signup", json={"email": "a@example.com", "password": PASSWORD, "role": "shopper", "admin": True}
    )

    assert response.status_code == 422
    assert "admin" in response.get_json()["errors"]["json"]


def test_token_is_issued_for_right_password_and_opens_me(client):
    signup(client, email="ada@example.com", role="brand")

    response = login(client, email="ADA@example.com")

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "ada@example.com"
    assert me.get_json()["role"] == "brand"
    assert me.get_json()["brand_ids"] == []


def test_token_refused_for_wrong_password_and_unknown_email_alike(client):
    signup(client)

    wrong_password = login(client, password="not the password")
    unknown_email = login(client, email="nobody@example.com")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.get_json()["reason"] == "invalid_credentials"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_me_needs_a_token(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_logout_revokes_only_that_token(client, app):
    signup(client)
    first = login(client).get_json()["access_token"]
    second = login(client).get_json()["access_token"]

    response = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"})

    assert response.status_code == 204
    revoked = client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"})
    assert revoked.status_code == 401
    assert revoked.get_json()["reason"] == "token_revoked"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuthSession).where(AuthSession.revoked_at.is_not(None))) is not None


def test_token_signed_with_another_secret_is_refused(client, app):
    from itsdangerous import URLSafeTimedSerializer

    signup(client)
    token = login(client).get_json()["access_token"]
    with app.app_context():
        sid = db.session.scalar(select(AuthSession.id))
    forged = URLSafeTimedSerializer("another-secret", salt="marketplace.auth-token").dumps({"sid": sid})

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401
    assert response.get_json()["reason"] == "invalid_token"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_deactivated_account_cannot_use_its_token_or_log_in(client, app):
    signup(client)
    token = login(client).get_json()["access_token"]
    with app.app_context():
        db.session.scalar(select(User)).is_active = False
        db.session.commit()

    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(client).status_code == 401


def test_signup_and_login_are_rate_limited(client, app):
    app.config["AUTH_RATE_LIMIT"] = "3 per minute"
    try:
        responses = [signup(client, email=f"u{i}@example.com") for i in range(4)]
        other_route = login(client, email="u0@example.com")
    finally:
        app.config["AUTH_RATE_LIMIT"] = "10000 per minute"

    assert [r.status_code for r in responses] == [201, 201, 201, 429]
    assert responses[-1].get_json()["code"] == 429
    assert "Retry-After" in responses[-1].headers
    assert other_route.status_code == 200  # each route has its own budget


def test_change_password_revokes_other_tokens_and_keeps_this_one(client):
    signup(client)
    this = login(client).get_json()["access_token"]
    other = login(client).get_json()["access_token"]

    response = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
        headers={"Authorization": f"Bearer {this}"},
    )

    assert response.status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {this}"}).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).get_json()["reason"] == "token_revoked"
    assert login(client).status_code == 401
    assert login(client, password="a brand new secret").status_code == 200


def test_change_password_needs_the_current_one(client):
    signup(client)
    token = login(client).get_json()["access_token"]

    response = client.post(
        "/api/v1/me/password",
        json={"current_password": "wrong guess", "new_password": "a brand new secret"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 422
    assert "current_password" in response.get_json()["errors"]
    assert login(client).status_code == 200


def test_change_password_refuses_short_new_password(client):
    signup(client)
    token = login(client).get_json()["access_token"]

    response = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 422
    assert "new_password" in response.get_json()["errors"]["json"]


def _decoded(token: str) -> list[bytes] | None:
    try:
        return [base64_decode(part) for part in token.split(".")]
    except Exception:  # noqa: BLE001 - not base64 at all: certainly another token
        return None


@pytest.fixture
def signed_in(make):
    return make.actor("shopper")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_token_changed_in_any_one_character_is_refused(client, signed_in, data):
    """Tampering: a bearer token with any one character replaced is a 401, never someone's session."""
    token = signed_in.token
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_.").filter(
        lambda c: c != token[position]))

    tampered = f"{token[:position]}{replacement}{token[position + 1:]}"
    assume(_decoded(tampered) != _decoded(token))  # base64's unused low bits: the same bytes, the same token

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tampered}"})

    assert response.status_code == 401, response.get_json()
    assert response.get_json()["reason"] in ("invalid_token", "token_expired", "token_revoked")
