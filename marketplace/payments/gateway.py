"""The payment gateway boundary: what the marketplace asks of a payment provider.

``StripeGateway`` is the real implementation on the official SDK (``StripeClient``).
It talks to Stripe, or to localstripe when ``STRIPE_API_BASE`` points there. Tests
that need what localstripe cannot do use a recording fake with the same methods.
"""

from __future__ import annotations

import json

from dataclasses import dataclass
from typing import Any

import stripe
from flask import Flask, current_app


class CardDeclined(Exception):
    """The card was refused; ``str(exc)`` is the provider's message for the cardholder."""


class PaymentProviderError(Exception):
    """The provider could not be reached or refused the request.

    ``definitive`` is True when Stripe answered and refused (nothing happened); False
    when the outcome is unknown (network failure, a 5xx, rate limiting): the request may
    have taken effect, so it must be retried with the same idempotency key.
    """

    def __init__(self, message: str, definitive: bool = True):
        super().__init__(message)
        self.definitive = definitive


def _provider_error(exc: stripe.StripeError) -> PaymentProviderError:
    unknown = isinstance(exc, (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)) or (
        (exc.http_status or 0) >= 500
    )
    return PaymentProviderError(str(exc), definitive=not unknown)


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount: int
    currency: str
    client_secret: str | None = None
    amount_received: int = 0


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class ConnectedAccount:
    id: str
    details_submitted: bool = False
    payouts_enabled: bool = False
    transfers_active: bool = False


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    currency: str
    destination: str
    transfer_group: str | None = None


def connected_account(obj: Any) -> ConnectedAccount:
    """The readiness of a Connect account, from the SDK object or an event's ``data.object``."""
    get = obj.get if isinstance(obj, dict) else lambda key, default=None: getattr(obj, key, default)
    capabilities = get("capabilities") or {}
    transfers = capabilities.get("transfers") if isinstance(capabilities, dict) else getattr(capabilities, "transfers", None)
    return ConnectedAccount(
        id=get("id"),
        details_submitted=bool(get("details_submitted", False)),
        payouts_enabled=bool(get("payouts_enabled", False)),
        transfers_active=transfers == "active",
    )


def _transfer(obj: Any) -> Transfer:
    return Transfer(obj.id, obj.amount, obj.currency.upper(), obj.destination, getattr(obj, "transfer_group", None))


def _intent(obj: Any) -> PaymentIntent:
    return PaymentIntent(
        id=obj.id,
        status=obj.status,
        amount=obj.amount,
        currency=obj.currency.upper(),
        client_secret=getattr(obj, "client_secret", None),
        amount_received=getattr(obj, "amount_received", 0) or 0,
    )


class StripeGateway:
    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None, timeout: float = 8):
        # The SDK waits 80 s for an answer by default: a slow Stripe would hold a web worker past
        # gunicorn's 30 s timeout and get it killed mid-request. Three tries of ``timeout`` (8 s)
        # plus the SDK's backoff stay under it; the caller then answers a 502 and nothing is lost
        # (every call that changes something carries an idempotency key).
        options: dict[str, Any] = {"max_network_retries": 2, "http_client": stripe.RequestsClient(timeout=timeout)}
        if api_base:
            options["base_addresses"] = {"api": api_base}
        self.client = stripe.StripeClient(secret_key, **options)
        self.webhook_secret = webhook_secret

    def create_payment_intent(
        self, *, amount: int, currency: str, idempotency_key: str, metadata: dict[str, str]
    ) -> PaymentIntent:
        try:
            obj = self.client.v1.payment_intents.create(
                params={"amount": amount, "currency": currency.lower(), "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(str(exc)) from exc
        return _intent(obj)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        try:
            return _intent(self.client.v1.payment_intents.retrieve(payment_intent_id))
        except stripe.StripeError as exc:
            raise PaymentProviderError(str(exc)) from exc

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> None:
        try:
            self.client.v1.payment_intents.cancel(payment_intent_id, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise PaymentProviderError(str(exc)) from exc

    def confirm_with_card_token(self, payment_intent_id: str, card_token: str) -> PaymentIntent:
        """Pay a PaymentIntent with a card tokenised by localstripe's Stripe.js stand-in.

        Only for localstripe (``STRIPE_API_BASE``): its stand-in for ``stripe.confirmCardPayment``
        cannot send a card, so the pages tokenise the card in the browser (``stripe.createToken``)
        and the server attaches the token's card and confirms, as the real Stripe.js does itself.
        The result reaches the order through the webhook, as with Stripe.
        """
        try:
            token = self.client.v1.tokens.retrieve(card_token)
        except stripe.InvalidRequestError as exc:  # a token it never issued: the browser's, not the provider's fault
            raise CardDeclined("This card could not be read.") from exc
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        try:
            self.client.v1.payment_intents.update(payment_intent_id, params={"payment_method": token.card.id})
            return _intent(self.client.v1.payment_intents.confirm(payment_intent_id))
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "the card was declined") from exc
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc

    def refund(self, payment_intent_id: str, *, amount: int, idempotency_key: str, metadata: dict[str, str]) -> Refund:
        try:
            obj = self.client.v1.refunds.create(
                params={"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(str(exc)) from exc
        return Refund(id=obj.id, status=obj.status, amount=obj.amount)

    # Stripe Connect: influencers' and brands' Express accounts, and transfers to them.

    def create_connected_account(self, *, email: str, idempotency_key: str, metadata: dict[str, str]) -> ConnectedAccount:
        try:
            obj = self.client.v1.accounts.create(
                params={
                    "type": "express",
                    "email": email,
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": metadata,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return connected_account(obj)

    def create_account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """A single-use onboarding URL (links expire after minutes, so none is stored)."""
        try:
            obj = self.client.v1.account_links.create(
                params={"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"}
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return obj.url

    def create_transfer(
        self, *, amount: int, currency: str, destination: str, transfer_group: str, idempotency_key: str,
        metadata: dict[str, str],
    ) -> Transfer:
        try:
            obj = self.client.v1.transfers.create(
                params={
                    "amount": amount,
                    "currency": currency.lower(),
                    "destination": destination,
                    "transfer_group": transfer_group,
                    "metadata": metadata,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return _transfer(obj)

    def find_transfer(self, transfer_group: str) -> Transfer | None:
        """The transfer made for a group, if any: how a payout whose outcome was lost is
        recovered even after Stripe has forgotten its idempotency key (24 hours)."""
        try:
            page = self.client.v1.transfers.list(params={"transfer_group": transfer_group, "limit": 1})
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return _transfer(page.data[0]) if page.data else None

    def parse_webhook(self, payload: bytes, signature_header: str) -> dict[str, Any]:
        """The verified event as plain JSON; ValueError for a bad payload or signature, or JSON that is
        not an event. (Not the SDK's ``construct_event``: its ``to_dict`` leaves the objects inside
        lists as StripeObjects, which cannot be stored as JSON.)"""
        try:
            stripe.WebhookSignature.verify_header(payload, signature_header, self.webhook_secret,
                                                  stripe.Webhook.DEFAULT_TOLERANCE)
        except stripe.SignatureVerificationError as exc:
            raise ValueError(f"bad signature: {exc.user_message or exc}") from exc
        event = json.loads(payload, parse_constant=_refuse_constant)
        if not (
            isinstance(event, dict)
            and isinstance(event.get("id"), str) and 0 < len(event["id"]) <= 255
            and isinstance(event.get("type"), str) and 0 < len(event["type"]) <= 100
            and isinstance(event.get("data"), dict) and isinstance(event["data"].get("object"), dict)
        ):
            raise ValueError("not an event: an id, a type and a data.object are required")
        return event


def _refuse_constant(name: str) -> None:
    """NaN and Infinity are not JSON: Python reads them, PostgreSQL refuses to store them."""
    raise ValueError(f"{name} is not JSON")


def init_app(app: Flask) -> None:
    cfg = app.config
    app.extensions["payment_gateway"] = StripeGateway(
        cfg["STRIPE_SECRET_KEY"], cfg["STRIPE_WEBHOOK_SECRET"], cfg["STRIPE_API_BASE"], cfg["STRIPE_TIMEOUT_SECONDS"]
    )


def get_gateway() -> StripeGateway:
    return current_app.extensions["payment_gateway"]
