"""A minimal Stripe Connect for localstripe, which has none: Express accounts, account
links, transfers, and ``account.updated`` events. Development only (``make run``); the
tests check Connect calls at the gateway boundary with a recording fake instead.

- ``POST /v1/accounts`` makes an account that is not ready;
- ``POST /v1/account_links`` answers a URL on this server; opening it in a browser
  "completes onboarding": the account becomes ready and an ``account.updated`` event is
  sent to the registered webhooks, as Stripe does;
- ``POST /v1/transfers`` (one transfer per ``Idempotency-Key``, as Stripe keeps them)
  and ``GET /v1/transfers?transfer_group=...``.
"""

from __future__ import annotations

import time

from aiohttp import web
from localstripe.resources import Event, StripeObject, store
from localstripe.server import get_post_data, json_response
from localstripe.webhooks import schedule_webhook

ONBOARDING_PATH = "/_config/connect/onboard/{id}"  # /_config/ needs no API key, like a browser visit


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, email=None, metadata=None, **_ignored):
        super().__init__()
        self.type = "express"
        self.email = email
        self.metadata = metadata or {}
        self.details_submitted = False
        self.payouts_enabled = False
        self.charges_enabled = False
        self.capabilities = {"transfers": "inactive"}


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, amount, currency, destination, transfer_group=None, metadata=None, **_ignored):
        super().__init__()
        self.amount = int(amount)
        self.currency = currency
        self.destination = destination
        self.transfer_group = transfer_group
        self.metadata = metadata or {}


_transfers_by_key: dict[str, str] = {}


async def create_account(request):
    return json_response(Account(**(await get_post_data(request) or {}))._export())


async def retrieve_account(request):
    account = store.get("account:" + request.match_info["id"])
    return json_response(account._export()) if account else _not_found("account")


async def create_account_link(request):
    data = await get_post_data(request) or {}
    if store.get("account:" + str(data.get("account"))) is None:
        return _not_found("account")
    url = f"{request.scheme}://{request.host}" + ONBOARDING_PATH.format(id=data["account"])
    return json_response({"object": "account_link", "url": url, "created": int(time.time()), "expires_at": int(time.time()) + 300})


async def onboard(request):
    account = store.get("account:" + request.match_info["id"])
    if account is None:
        return _not_found("account")
    account.details_submitted = account.payouts_enabled = account.charges_enabled = True
    account.capabilities = {"transfers": "active"}
    store["account:" + account.id] = account
    schedule_webhook(Event("account.updated", account))
    return web.Response(text=f"Onboarding of {account.id} complete: payouts can be sent to it.\n")


async def create_transfer(request):
    key = request.headers.get("Idempotency-Key")
    if key and key in _transfers_by_key:
        return json_response(store["transfer:" + _transfers_by_key[key]]._export())
    data = await get_post_data(request) or {}
    destination = store.get("account:" + str(data.get("destination")))
    if destination is None or not destination.payouts_enabled:
        return json_response({"error": {"type": "invalid_request_error", "message": "the destination cannot receive transfers"}}, status=400)
    transfer = Transfer(**data)
    if key:
        _transfers_by_key[key] = transfer.id
    return json_response(transfer._export())


async def list_transfers(request):
    group = request.query.get("transfer_group")
    found = [obj._export() for k, obj in list(store.items()) if k.startswith("transfer:") and (group is None or obj.transfer_group == group)]
    return json_response({"object": "list", "data": found, "has_more": False, "url": "/v1/transfers"})


def _not_found(kind: str):
    return json_response({"error": {"type": "invalid_request_error", "message": f"No such {kind}"}}, status=404)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/accounts", create_account)
    app.router.add_get("/v1/accounts/{id}", retrieve_account)
    app.router.add_post("/v1/account_links", create_account_link)
    app.router.add_get(ONBOARDING_PATH, onboard)
    app.router.add_post("/v1/transfers", create_transfer)
    app.router.add_get("/v1/transfers", list_transfers)
