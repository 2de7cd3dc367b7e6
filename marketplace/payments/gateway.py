"""The payment gateway boundary: what the marketplace asks of a payment provider.

``StripeGateway`` is the real implementation on the official SDK (``StripeClient``).
It talks to Stripe, or to localstripe when ``STRIPE_API_BASE`` points there. Tests
that need what localstripe cannot do use a recording fake with the same methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from flask import Flask, current_app


class PaymentProviderError(Exception):
    """The provider could not be reached or refused the request."""


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
    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None):
        options: dict[str, Any] = {"max_network_retries": 2}
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

    def refund(self, payment_intent_id: str, *, amount: int, idempotency_key: str, metadata: dict[str, str]) -> Refund:
        try:
            obj = self.client.v1.refunds.create(
                params={"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(str(exc)) from exc
        return Refund(id=obj.id, status=obj.status, amount=obj.amount)

    def parse_webhook(self, payload: bytes, signature_header: str) -> dict[str, Any]:
        """The verified event as a dict; ValueError for a bad payload or signature."""
        try:
            event = stripe.Webhook.construct_event(payload, signature_header, self.webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise ValueError(f"bad signature: {exc.user_message or exc}") from exc
        return event.to_dict()


def init_app(app: Flask) -> None:
    cfg = app.config
    app.extensions["payment_gateway"] = StripeGateway(
        cfg["STRIPE_SECRET_KEY"], cfg["STRIPE_WEBHOOK_SECRET"], cfg["STRIPE_API_BASE"]
    )


def get_gateway() -> StripeGateway:
    return current_app.extensions["payment_gateway"]
