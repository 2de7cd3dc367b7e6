"""A recording stand-in for the payment gateway, for what localstripe cannot exercise:
idempotency keys, provider failures, and refund events. Tests that use it say so."""

from __future__ import annotations

import itertools

from marketplace.payments.gateway import PaymentIntent, PaymentProviderError, Refund, StripeGateway


class RecordingGateway(StripeGateway):
    """Records each request as the real gateway would send it; answers like Stripe would.

    Webhook verification is inherited unchanged (it is local cryptography, no network).
    """

    def __init__(self, webhook_secret: str):
        self.webhook_secret = webhook_secret
        self.requests: list[tuple[str, dict]] = []
        self.fail_next: str | None = None
        self._ids = itertools.count(1)
        self._seen: dict[str, object] = {}  # idempotency key -> first answer, as Stripe keeps them
        self.intent_status: dict[str, str] = {}  # set by a test: what the provider says of an intent

    def _record(self, kind: str, **request):
        self.requests.append((kind, request))
        if self.fail_next == kind:
            self.fail_next = None
            raise PaymentProviderError(f"{kind} refused (recording gateway)")

    def create_payment_intent(self, *, amount, currency, idempotency_key, metadata):
        self._record("create_payment_intent", amount=amount, currency=currency, idempotency_key=idempotency_key, metadata=metadata)
        if idempotency_key not in self._seen:
            n = next(self._ids)
            self._seen[idempotency_key] = PaymentIntent(f"pi_fake{n}", "requires_payment_method", amount, currency, f"pi_fake{n}_secret_x")
        return self._seen[idempotency_key]

    def retrieve_payment_intent(self, payment_intent_id):
        self._record("retrieve_payment_intent", payment_intent_id=payment_intent_id)
        intent = next(i for i in self._seen.values() if getattr(i, "id", None) == payment_intent_id)
        status = self.intent_status.get(payment_intent_id, intent.status)
        received = intent.amount if status == "succeeded" else 0
        return PaymentIntent(intent.id, status, intent.amount, intent.currency, amount_received=received)

    def cancel_payment_intent(self, payment_intent_id, *, idempotency_key):
        self._record("cancel_payment_intent", payment_intent_id=payment_intent_id, idempotency_key=idempotency_key)

    def refund(self, payment_intent_id, *, amount, idempotency_key, metadata):
        self._record("refund", payment_intent_id=payment_intent_id, amount=amount, idempotency_key=idempotency_key, metadata=metadata)
        if idempotency_key not in self._seen:
            self._seen[idempotency_key] = Refund(f"re_fake{next(self._ids)}", "pending", amount)
        return self._seen[idempotency_key]
