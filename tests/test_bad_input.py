"""Bad input on every operation of the OpenAPI document, and hostile text on the pages.

For each operation with a JSON body: malformed bodies (not JSON, nested too deeply, invalid
UTF-8, too large, another content type, not an object); every integer field set to negative,
huge and mistyped numbers; every text field set to SQL and HTML injection strings, very long
and exotic text. Query parameters get the same numbers and strings, path segments the strings.
Each answer must be a clean 4xx or a success: never a 5xx, every error JSON with its ``code``
and a ``message``, and a 422 naming the field at fault. The caller is the first of admin,
influencer, brand member, shopper and anonymous that the route lets past its access check, so
what is tested is the input, not the role. Then stored text must come back escaped on the pages.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import openapi_document

SPEC = openapi_document()
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = [(method.upper(), path, op) for path, item in SPEC["paths"].items() for method, op in item.items()
              if method in METHODS]
BODY_OPERATIONS = [(method, path, op) for method, path, op in OPERATIONS if "requestBody" in op]
QUERY_OPERATIONS = [(method, path, op) for method, path, op in OPERATIONS
                    if any(p["in"] == "query" for p in op.get("parameters", []))]

HUGE = [2**31, 2**63, 10**30]
MISTYPED = [1.5, "7", True]
HOSTILE_TEXT = [
    "Robert'); DROP TABLE users;-- ' OR '1'='1",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "{{7*7}}${7*7}%s%n \u202egnp.exe\u0301\ufeff",
    "😀" * 300 + "x" * 5000,
]


def _body_schema(operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema


def _fields(schema: dict[str, Any], kind: str) -> list[str]:
    return [name for name, prop in schema.get("properties", {}).items()
            if prop.get("type") == kind and not prop.get("readOnly")]


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _assert_clean(response, where: str) -> dict[str, Any] | None:
    """No 5xx; an error is JSON with its code and a message. Returns the error body, if any."""
    assert response.status_code < 500, (where, response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code < 400:
        return None
    body = response.get_json()
    assert body is not None, (where, response.status_code, response.get_data(as_text=True)[:300])
    assert body["code"] == response.status_code and body["message"], (where, body)
    return body


def _names(body: dict[str, Any] | None, location: str, field: str) -> bool:
    return body is not None and field in body.get("errors", {}).get(location, {})


@pytest.fixture
def callers(make) -> list[dict[str, str]]:
    brand = make.brand()
    return [make.actor("admin").headers, make.influencer().headers, brand["owner"].headers,
            make.actor("shopper").headers, {}]


def _caller(client, callers, method: str, url: str) -> dict[str, str]:
    """The first caller the route lets past authentication and its role check."""
    for headers in callers:
        if client.open(url, method=method, json={}, headers=headers).status_code not in (401, 403):
            return headers
    return {}


# ------------------------------------------------------------------ bodies

MALFORMED = {  # kind: (body, content type, status)
    "not JSON": (b'{"name": ', "application/json", 400),
    "nested too deeply": (b"[" * 50_000 + b"]" * 50_000, "application/json", 400),
    "invalid UTF-8": (b'{"name": "\xff\xfe"}', "application/json", 400),
    "another content type": (b'{"name": "x"}', "text/plain", 415),
    "a form": (b"name=x", "application/x-www-form-urlencoded", 415),
    "not an object": (b"[1, 2]", "application/json", 422),
}


@pytest.mark.parametrize("kind", [*MALFORMED, "too large"])
def test_a_malformed_body_is_a_clean_4xx_on_every_operation(app, client, callers, kind):
    if kind == "too large":
        body, content_type, status = b'{"name": "' + b"x" * app.config["MAX_CONTENT_LENGTH"] + b'"}', "application/json", 413
    else:
        body, content_type, status = MALFORMED[kind]
    wrong = []
    for method, path, operation in BODY_OPERATIONS:
        url = _url(path)
        response = client.open(url, method=method, data=body, content_type=content_type,
                               headers=_caller(client, callers, method, url))
        error = _assert_clean(response, f"{method} {path}")
        if response.status_code != status or (status == 422 and not _names(error, "json", "_schema")):
            wrong.append((method, path, response.status_code, error))
        assert str(status) in operation["responses"], f"{method} {path} does not document its {status}"

    assert wrong == []


def test_negative_huge_and_mistyped_numbers_are_refused_naming_the_field(client, callers):
    checked = 0
    for method, path, operation in BODY_OPERATIONS:
        url = _url(path)
        headers = _caller(client, callers, method, url)
        for field in _fields(_body_schema(operation), "integer"):
            for value in [-1, *HUGE, *MISTYPED]:
                error = _assert_clean(client.open(url, method=method, json={field: value}, headers=headers),
                                      f"{method} {path} {field}={value!r}")
                checked += 1
                if value not in (-1, 2**31):  # (valid values of a few fields; the others are out of every range)
                    assert _names(error, "json", field), (method, path, field, value, error)

    assert checked > 100


def test_hostile_text_in_every_text_field_is_stored_or_refused_cleanly(client, callers):
    checked = 0
    for method, path, operation in BODY_OPERATIONS:
        url = _url(path)
        headers = _caller(client, callers, method, url)
        for field in _fields(_body_schema(operation), "string"):
            for text in HOSTILE_TEXT:
                error = _assert_clean(client.open(url, method=method, json={field: text}, headers=headers),
                                      f"{method} {path} {field}")
                checked += 1
                if error and error["code"] == 422 and "errors" in error:
                    assert "json" in error["errors"], error  # the fields at fault, by name

    assert checked > 150


def test_query_parameters_and_path_segments_take_hostile_values_cleanly(client, callers):
    checked = path_checks = 0
    for method, path, operation in QUERY_OPERATIONS:
        url = _url(path)
        headers = _caller(client, callers, method, url)
        for parameter in (p for p in operation["parameters"] if p["in"] == "query"):
            kind = parameter["schema"].get("type")
            values = [-1, 10**30, "abc"] if kind == "integer" else HOSTILE_TEXT[1:]
            for value in values:
                error = _assert_clean(client.open(url, method=method, query_string={parameter["name"]: value},
                                                  headers=headers), f"{method} {path} {parameter['name']}")
                checked += 1
                if kind == "integer" and value in (10**30, "abc"):
                    assert _names(error, "query", parameter["name"]), (method, path, parameter["name"], value, error)
    for method, path, operation in OPERATIONS:
        parameters = SPEC["paths"][path].get("parameters", []) + operation.get("parameters", [])  # path-level first
        for parameter in (p for p in parameters if p["in"] == "path" and p["schema"].get("type") == "string"):
            for text in HOSTILE_TEXT[1:]:
                url = path.replace("{" + parameter["name"] + "}", quote(text, safe=""))
                _assert_clean(client.open(_url(url), method=method, headers=callers[0]), f"{method} {url}")
                checked += 1
                path_checks += 1

    assert path_checks >= 36  # 12 text path segments × 3
    assert checked > 100


# ------------------------------------------------------------------- pages

XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_stored_text_is_rendered_escaped_on_the_pages(client, make):
    brand = make.brand(name=f"Brand {XSS}")
    product = make.product(brand, title=f"Pan {XSS}", description=f"Iron {XSS}")
    influencer = make.influencer()
    response = client.put("/api/v1/me/influencer", headers=influencer.headers, json={
        "handle": "escaped", "display_name": f"Maya {XSS}", "bio": f"Cook {XSS}",
        "socials": [{"channel": "instagram", "url": "https://instagram.com/x?<script>", "followers": 1}],
    })
    assert response.status_code == 200, response.get_json()
    shop = make.storefront(influencer, title=f"Kitchen {XSS}", description=f"Picks {XSS}")
    collection = make.collection(shop, name=f"Essentials {XSS}")
    item = make.item(shop, product, note=f"Eggs {XSS}", collection=collection["id"])

    pages = [client.get(f"/s/{shop['slug']}"), client.get(f"/s/{shop['slug']}/p/{item['id']}"),
             client.get(f"/s/{shop['slug']}/cart")]

    for page in pages:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    storefront_page = pages[0].get_data(as_text=True)
    for stored in ("Maya ", "Cook ", "Kitchen ", "Picks ", "Essentials ", "Eggs ", "Pan "):
        assert stored + "&lt;script&gt;" in storefront_page, stored
