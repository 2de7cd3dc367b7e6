"""Errors, limits and the OpenAPI document: the contract every route shares."""

import json
import logging
import re

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from marketplace.brands.models import Brand, BrandMember
from marketplace.db import db


def test_unknown_url_is_json_404(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["code"] == 404
    assert response.get_json()["message"]


def test_wrong_method_is_json_405_with_allow_header(client):
    response = client.put("/api/v1/products/1")

    assert response.status_code == 405
    assert response.get_json()["code"] == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


def test_unexpected_error_is_json_500_without_internals(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # TESTING would re-raise

    def broken():
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("marketplace.brands.services.list_brands", broken)

    response = client.get("/api/v1/brands")

    assert response.status_code == 500
    body = response.get_json()
    assert body == {"code": 500, "status": "Internal Server Error", "message": "Internal server error"}
    assert "secret" not in response.get_data(as_text=True)


def test_malformed_json_is_400(client, make):
    owner = make.actor("brand")

    response = client.post(
        "/api/v1/brands", data='{"name": "x",', content_type="application/json", headers=owner.headers
    )

    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_oversized_body_is_413(client, make, app):
    owner = make.actor("brand")
    body = '{"name": "' + "x" * app.config["MAX_CONTENT_LENGTH"] + '"}'

    response = client.post("/api/v1/brands", data=body, content_type="application/json", headers=owner.headers)

    assert response.status_code == 413
    assert response.get_json()["code"] == 413


@pytest.mark.parametrize("value", [12.0, 12.5, "12", True])
def test_integers_are_strict_in_bodies(client, make, value):
    owner = make.actor("brand")

    response = client.post(
        "/api/v1/brands", json={"name": "Acme", "default_commission_bps": value}, headers=owner.headers
    )

    assert response.status_code == 422
    assert "default_commission_bps" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("path", ["/api/v1/products/2147483648", "/api/v1/products/" + "9" * 40, "/api/v1/products/0"])
def test_out_of_range_ids_are_404_not_500(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.is_json


def test_failed_request_writes_nothing(client, make, app):
    """The brand and its owner membership are one transaction: a slug clash leaves neither."""
    first = make.brand(slug="acme")
    other = make.actor("brand")

    response = client.post(
        "/api/v1/brands", json={"name": "Acme", "slug": "acme", "default_commission_bps": 5}, headers=other.headers
    )

    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Brand)) == 1
        assert db.session.scalar(select(func.count()).select_from(BrandMember)) == 1
        assert db.session.get(Brand, first["id"]).slug == "acme"


def test_request_id_is_echoed_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = client.get("/healthz")

    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(made.headers["X-Request-ID"]) == 32


def test_json_log_lines_are_one_object_with_a_utc_time_and_the_request_id(app, capsys):
    from datetime import datetime, timedelta, timezone

    from marketplace.logs import configure_logging

    root, stripe_logger = logging.getLogger(), logging.getLogger("stripe")
    saved = root.handlers[:], root.level, stripe_logger.level
    try:
        configure_logging("INFO", "json")  # its handler writes to the captured stderr, until restored
        with app.test_request_context(headers={"X-Request-ID": "req-7"}):
            app.preprocess_request()  # the before-request hooks: the request id
            logging.getLogger("marketplace.test").info("paid %s", "order 5", extra={"order_id": 5})
    finally:  # as the session's app set them (the captured stream closes after the test)
        root.handlers[:], root.level, stripe_logger.level = saved

    [line] = [json.loads(text) for text in capsys.readouterr().err.splitlines() if '"marketplace.test"' in text]
    assert {k: line[k] for k in ("level", "logger", "message", "request_id", "order_id")} == {
        "level": "INFO", "logger": "marketplace.test", "message": "paid order 5", "request_id": "req-7", "order_id": 5}
    assert line["time"].endswith("+00:00")
    assert abs(datetime.fromisoformat(line["time"]) - datetime.now(timezone.utc)) < timedelta(seconds=30)


def test_openapi_document_is_valid_and_lists_every_route(client, app):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    documented = {
        (path, method.upper()) for path, operations in spec["paths"].items() for method in operations
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api-docs.", "api_docs_assets.", "web.")):
            continue  # the docs themselves and the shopper's HTML pages are not API routes
        path = re.sub(r"<(?:[^<>]*:)?([^<>:]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {rule.rule} is not documented"


def test_openapi_documents_schemas_and_bearer_auth(client):
    spec = client.get("/api/openapi.json").get_json()

    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = spec["paths"]["/api/v1/brands/{brand_id}/products"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert "$ref" in create["requestBody"]["content"]["application/json"]["schema"]
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    product = spec["components"]["schemas"]["Product"]
    assert product["properties"]["price"]["type"] == "integer"
    assert {"title", "price", "currency", "sku", "stock"} <= set(product["required"])


def test_interactive_docs_are_served_with_their_assets(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        served = client.get(f"/api/docs/assets/{asset}")
        assert served.status_code == 200, asset
        assert len(served.data) > 1000
        served.close()


def test_openapi_documents_what_routing_and_body_parsing_answer_before_the_view(client):
    """Regression (found by tests/test_contract.py): a path with parameters can be a 404 from the
    router (an id out of range), and a JSON body a 400 (not JSON) or a 413 (too large); each
    operation documented only ``default`` for them."""
    spec = client.get("/api/openapi.json").get_json()

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = set(operation["responses"])
            if "{" in path:
                assert "404" in responses, f"{method} {path}"
            if "requestBody" in operation:
                assert {"400", "413"} <= responses, f"{method} {path}"
    members = spec["paths"]["/api/v1/brands/{brand_id}/members"]["get"]["responses"]
    assert members["404"] == {"$ref": "#/components/responses/NOT_FOUND"}


def test_a_router_404_and_a_body_400_match_the_documented_error_schema(client, make):
    brand = make.actor("brand")

    not_found = client.get("/api/v1/brands/0/members", headers=brand.headers)
    not_json = client.post("/api/v1/brands", data="{", content_type="application/json", headers=brand.headers)

    assert (not_found.status_code, not_found.get_json()["code"]) == (404, 404)
    assert (not_json.status_code, not_json.get_json()["code"]) == (400, 400)
    assert not_json.get_json()["errors"] == {"json": ["Invalid JSON body."]}


# ------------------------------------------------- bad input (found by tests/test_bad_input.py)


def test_json_nested_too_deeply_is_a_400_not_a_500(client):
    """Regression: the JSON parser's RecursionError escaped as a 500."""
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        response = client.post("/api/v1/auth/token", data=body, content_type="application/json")

        assert response.status_code == 400
        assert response.get_json()["errors"] == {"json": ["Invalid JSON body."]}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415_not_ignored(client, make, content_type):
    """Regression: webargs ignored a body of another type, so a PATCH changed nothing and answered 200."""
    brand = make.brand(name="Acme")

    response = client.patch(f"/api/v1/brands/{brand['id']}", data='{"name": "Renamed"}', content_type=content_type,
                            headers=brand["owner"].headers)

    assert response.status_code == 415, response.get_json()
    assert response.get_json()["code"] == 415 and "application/json" in response.get_json()["message"]
    assert client.get(f"/api/v1/brands/{brand['id']}").get_json()["name"] == "Acme"


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_text_the_database_cannot_store_is_422_naming_where_it_is(client, make, text):
    """Regression: PostgreSQL refuses NUL characters (and UTF-8 lone surrogates): each was a 500
    there, from a JSON body, a query parameter or a path segment."""
    owner = make.actor("brand")

    body = client.post("/api/v1/brands", json={"name": text, "default_commission_bps": 5}, headers=owner.headers)
    nested = client.post("/api/v1/brands", json={"name": "ok", "default_commission_bps": 5, "website": None,
                                                 "x": [text]}, headers=owner.headers)
    query = client.get("/api/v1/products", query_string={"q": "a\x00b"})
    path = client.get("/api/v1/storefronts/a%00b")

    assert body.status_code == 422 and "name" in body.get_json()["errors"]["json"]
    assert nested.status_code == 422 and "x" in nested.get_json()["errors"]["json"]
    assert query.status_code == 422 and query.get_json()["errors"] == {
        "query": {"q": ["Text must not contain NUL characters or lone surrogates."]}}
    assert path.status_code == 422 and "path" in path.get_json()["errors"]
