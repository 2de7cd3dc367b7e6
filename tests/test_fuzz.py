"""Hypothesis fuzz of the parsers we own: share-link codes (the redirect's path and the visitor
cookie), discount codes, the CSV export and the Stripe webhook's payload handling.

Each property is one the rest of the app relies on; the examples are bounded so the file runs in
seconds (``FUZZ_EXAMPLES`` raises them for a longer run).
"""

from __future__ import annotations

import csv
import io
import json
import os
import string
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.discounts.models import DiscountCode
from marketplace.discounts.services import discount_for
from marketplace.links.hot_path import _REDIRECT_PATH
from marketplace.links.services import _new_code, valid_visitor_id
from marketplace.payments.models import StripeEvent
from marketplace.reports.export import FORMULA_STARTS, csv_response
from tests.stripe_events import deliver, event_for, sign

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
API = "/api/v1"

# ------------------------------------------------------------- share-link codes


@fuzz
@given(st.text(min_size=0, max_size=40))
def test_the_hot_path_takes_exactly_the_paths_the_redirect_route_matches(app, segment):
    """The middleware answers ``/r/{code}`` before Flask: it must claim no path that Flask would
    route elsewhere (or refuse), and miss none of the route's (else the hot path is skipped)."""
    path = "/r/" + segment
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, args = adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - any refusal (404, 405, redirect) means "not the redirect"
        endpoint, args = None, {}
    # WSGI's PATH_INFO carries the path's bytes as latin-1: what the middleware matches against.
    match = _REDIRECT_PATH.fullmatch(path.encode("utf-8").decode("latin-1"))

    if match is not None:
        assert endpoint == "redirects.follow" and args["code"].encode("utf-8").decode("latin-1") == match[1]
    elif segment.isascii():
        assert endpoint != "redirects.follow"


@fuzz
@given(st.integers(min_value=0, max_value=10_000))
def test_new_codes_are_eight_url_safe_characters_the_route_and_hot_path_accept(app, _):
    code = _new_code()

    assert len(code) == 8 and set(code) <= set(string.ascii_letters + string.digits + "-_")
    assert _REDIRECT_PATH.fullmatch(f"/r/{code}")
    assert app.url_map.bind("localhost").match(f"/r/{code}")[1] == {"code": code}


@fuzz
@given(st.one_of(st.none(), st.text(max_size=80), st.from_regex(r"\A[0-9a-f]{16,64}\Z")))
def test_a_visitor_cookie_is_kept_only_if_we_could_have_set_it(value):
    kept = valid_visitor_id(value)

    if kept is not None:
        assert kept == value and 16 <= len(kept) <= 64 and kept.isascii() and kept.isalnum()
    else:
        assert not (value and 16 <= len(value) <= 64 and value.isascii() and value.isalnum())


# ---------------------------------------------------------------- discount codes

CODE_CHARS = string.ascii_letters + string.digits + "-_"


@pytest.fixture
def coded_shop(make, client):
    """A storefront with an approved code, the parts a checkout needs."""
    brand = make.brand()
    product = make.product(brand, price=10_000, stock=10_000)
    influencer = make.influencer()
    shop = make.storefront(influencer)
    make.item(shop, product)
    code = client.post(f"{API}/me/discount-codes", headers=influencer.headers,
                       json={"code": "Fuzz-10", "brand_id": brand["id"], "percent_off_bps": 1000}).get_json()
    decided = client.patch(f"{API}/brands/{brand['id']}/discount-codes/{code['id']}", json={"status": "approved"},
                           headers=brand["owner"].headers)
    assert decided.status_code == 200
    return {"slug": shop["slug"], "product": product["id"], "code": code["code"]}


def _checkout(client, shop, discount_code: str):
    body = {"storefront": shop["slug"], "items": [{"product_id": shop["product"], "quantity": 1}],
            "email": "fuzz@example.com", "discount_code": discount_code}
    return client.post(f"{API}/orders", json=body)


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=40))
def test_a_checkout_code_applies_only_when_it_is_the_code_in_any_case(client, coded_shop, typed):
    """Codes are case-insensitive and trimmed; anything else is a 422 naming ``discount_code``."""
    response = _checkout(client, coded_shop, typed)

    matches = typed.strip().isascii() and typed.strip().upper() == coded_shop["code"]
    if matches:
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["discount_total"] == 1_000
    else:
        assert response.status_code == 422, response.get_json()
        assert "discount_code" in str(response.get_json()["errors"])


@fuzz
@given(st.text(alphabet=CODE_CHARS, min_size=3, max_size=32), st.sampled_from([str.lower, str.upper, str.swapcase]))
def test_a_proposed_code_is_stored_upper_case_and_found_again_in_any_case(app, make, client, code, case):
    influencer = make.influencer()
    brand = make.brand()

    proposed = client.post(f"{API}/me/discount-codes", headers=influencer.headers,
                           json={"code": case(code), "brand_id": brand["id"], "percent_off_bps": 500})

    assert proposed.status_code in (201, 409), proposed.get_json()  # 409: drawn before, in another case
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(DiscountCode.code == code.upper())) == 1


@fuzz
@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=1, max_value=9000))
def test_a_discount_is_the_exact_percentage_rounded_half_up_and_never_more_than_the_subtotal(subtotal, bps):
    amount = discount_for(subtotal, DiscountCode(percent_off_bps=bps))

    exact = Fraction(subtotal * bps, 10_000)
    assert 0 <= amount <= subtotal
    assert amount - exact < Fraction(1, 2) + Fraction(1, 10**9) and exact - amount <= Fraction(1, 2)


# ----------------------------------------------------------------- CSV export

cell = st.one_of(st.none(), st.integers(), st.booleans(), st.text(max_size=30),
                 st.lists(st.text(max_size=10), max_size=3))
rows = st.lists(  # as a report's schema dumps them: fields in order, a nested object flattened
    st.tuples(cell, cell, cell, cell).map(lambda c: {"name": c[0], "count": c[1], "nested": {"a": c[2], "b": c[3]}}),
    max_size=5,
)


@fuzz
@given(rows)
def test_the_csv_export_round_trips_and_never_starts_a_cell_with_a_formula(app, data):
    with app.test_request_context():
        response = csv_response(data, "report.csv")
    text = response.get_data(as_text=True)

    parsed = list(csv.reader(io.StringIO(text, newline="")))
    if not data:
        assert parsed == [[]] or parsed == []
        return
    assert parsed[0] == ["name", "count", "nested_a", "nested_b"]
    assert len(parsed) == len(data) + 1
    for row, cells in zip(data, parsed[1:]):
        values = [row["name"], row["count"], row["nested"]["a"], row["nested"]["b"]]
        for value, got in zip(values, cells):
            expected = "" if value is None else ";".join(map(str, value)) if isinstance(value, list) else str(value)
            if isinstance(value, (str, list)) and expected.startswith(FORMULA_STARTS):
                expected = "'" + expected
            assert got == expected
            assert not (isinstance(value, (str, list)) and got.startswith(FORMULA_STARTS))


# ------------------------------------------------------------------- webhooks

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=15,
)


@fuzz
@given(body=st.binary(max_size=300),  # a header carries latin-1 text without line breaks
       signature=st.one_of(st.none(), st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=80)))
def test_an_unsigned_or_badly_signed_webhook_is_a_400_and_stores_nothing(app, client, body, signature):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature

    response = client.post("/webhooks/stripe", data=body, headers=headers)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["code"] == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


@fuzz
@given(payload=json_values)
def test_a_signed_payload_of_any_shape_is_answered_not_a_500(app, client, payload):
    """Signed by our secret (so past the signature) but not the event we expect: 200 (stored,
    ignored or applied) or 400 (refused), never a 500."""
    body = json.dumps(payload)

    response = deliver(client, app, body, signature=sign(app, body))

    assert response.status_code in (200, 400), response.get_data(as_text=True)


@fuzz
@given(obj=st.dictionaries(st.sampled_from(["id", "amount", "amount_received", "status", "metadata", "object"]),
                           json_values, max_size=6),
       event_type=st.sampled_from(["payment_intent.succeeded", "payment_intent.payment_failed", "refund.updated",
                                   "account.updated", "charge.dispute.created"]))
def test_a_signed_event_with_a_malformed_object_is_answered_not_a_500(app, client, obj, event_type):
    body = event_for(event_type, obj)

    response = deliver(client, app, body)

    assert response.status_code in (200, 400), response.get_data(as_text=True)
