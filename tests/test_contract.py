"""Contract test: schemathesis against the app's own /api/openapi.json, in-process through WSGI.

Every operation of the document is called with generated requests, valid and invalid, as each
role (anonymous, shopper, influencer, brand member, admin). Path parameters are the ids of a
small world built through the API half of the time, so the requests reach the services rather
than stopping at a 404. Each response must be no 5xx, carry a status the operation documents
explicitly (``default`` does not count), and match the documented content type and schema.

``CONTRACT_EXAMPLES`` sets the examples per operation (CI: the default below); the longer run
for the figures in docs/reliability.md is::

    CONTRACT_EXAMPLES=300 CONTRACT_REPORT=contract.json .venv/bin/pytest tests/test_contract.py -p no:randomly
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import given
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from tests.conftest import Actor, openapi_document

API = "/api/v1"
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "12"))
STATEFUL_SCENARIOS = 4
ROLES = ("anonymous", "shopper", "influencer", "brand", "admin")


@dataclass
class World:
    actors: dict[str, Actor | None]
    path_values: dict[str, Any]  # path parameter name -> a value that exists


_report: dict[str, Counter] = defaultdict(Counter)


@pytest.fixture
def contract_world(make, client, redis) -> World:
    brand_owner = make.actor("brand")
    brand = make.brand(brand_owner)
    product = make.product(brand)
    influencer = make.influencer()
    shop = make.storefront(influencer)
    collection = make.collection(shop)
    item = make.item(shop, product)
    link = client.post(f"{API}/links", json={"storefront": shop["slug"], "channel": "instagram"}, headers=influencer.headers)
    code = client.post(
        f"{API}/me/discount-codes",
        json={"code": "CONTRACT10", "brand_id": brand["id"], "percent_off_bps": 1000},
        headers=influencer.headers,
    )
    order = client.post(
        f"{API}/orders",
        json={"storefront": shop["slug"], "items": [{"product_id": product["id"], "quantity": 1}], "email": "c@example.com"},
    )
    me = client.get(f"{API}/me/influencer", headers=influencer.headers).get_json()
    assert link.status_code == code.status_code == order.status_code == 201
    return World(
        actors={
            "anonymous": None,
            "shopper": make.actor("shopper"),
            "influencer": influencer,
            "brand": brand_owner,
            "admin": make.actor("admin"),
        },
        path_values={
            "brand_id": brand["id"],
            "product_id": product["id"],
            "slug": shop["slug"],
            "collection_id": collection["id"],
            "item_id": item["id"],
            "code": link.get_json()["code"],
            "code_id": code.get_json()["id"],
            "order_id": order.get_json()["id"],
            "handle": me["handle"],
            "influencer_id": me["id"],
            "user_id": brand_owner.id,
            "line_id": 1,
        },
    )


HTTP_METHODS = {"get", "head", "post", "put", "patch", "delete"}
OPERATIONS = [(method.upper(), path) for path, item in openapi_document()["paths"].items()
              for method in item if method in HTTP_METHODS]


def documented_status(ctx, response, case) -> bool | None:
    """The status is one the operation lists itself: ``default`` is no documentation."""
    documented = {int(code) for code in case.operation.definition.raw["responses"] if code.isdigit()}
    if response.status_code not in documented:
        raise AssertionError(
            f"{case.operation.label}: {response.status_code} is not documented (documents {sorted(documented)}): "
            f"{response.text[:300]}"
        )
    return None


def error_payload(ctx, response, case) -> bool | None:
    """Every 4xx/5xx is JSON with a code and a message (422s also name the offending fields)."""
    if response.status_code < 400 or case.method == "HEAD":
        return None
    body = json.loads(response.text)
    assert body["code"] == response.status_code and body["message"], body
    if response.status_code == 422 and body.get("reason") in (None, "invalid"):
        assert body.get("errors"), body
    return None


CHECKS = [
    not_a_server_error,
    documented_status,
    error_payload,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_keeps_its_contract(schema, contract_world, method, path):
    operation = schema[path][method]
    known = {p.name: contract_world.path_values[p.name] for p in operation.path_parameters if p.name in contract_world.path_values}
    strategies = {
        (mode, use_world): operation.as_strategy(mode, path_parameters=known if use_world else None)
        for mode in GenerationMode
        for use_world in (False, True)
    }

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported as found
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def run(data):
        key = (data.draw(st.sampled_from(list(GenerationMode)), label="mode"), data.draw(st.booleans(), label="world"))
        case = data.draw(strategies[key])
        role = data.draw(st.sampled_from(ROLES), label="role")
        actor = contract_world.actors[role]
        if actor is not None:  # the role's token replaces any Authorization header generated
            case.headers = {**(case.headers or {}), **actor.headers}
        headers = case.headers or {}
        response = case.call()
        _report[f"{method} {path}"][response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def teardown_module(module):
    path = os.environ.get("CONTRACT_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump({label: dict(sorted(counts.items())) for label, counts in sorted(_report.items())}, out, indent=1)


@pytest.mark.parametrize("role", ROLES)
def test_workflows_through_the_documents_links_keep_the_contract(schema, contract_world, role):
    """Stateful: schemathesis chains operations by the links it infers between them (an id a
    response returns, then used in a path), as one role throughout, with the same checks."""
    actor = contract_world.actors[role]

    class Workflow(schema.as_state_machine()):
        def before_call(self, case):
            if actor is not None:
                case.headers = {**(case.headers or {}), **actor.headers}

        def after_call(self, response, case):
            _report[f"{case.method} {case.path} (stateful)"][response.status_code] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    # Scenarios share the database, so a scenario hypothesis replays can meet other answers than the
    # first time (FlakyStrategyDefinition): kept to a few scenarios per role, in the long run too.
    Workflow.run(settings=settings(max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, deadline=None,
                                   phases=[Phase.generate], suppress_health_check=list(HealthCheck),
                                   derandomize=True))
