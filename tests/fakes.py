"""A recording stand-in for the payment gateway, for what localstripe cannot exercise:
idempotency keys, provider failures, and refund events. Tests that use it say so."""

from __future__ import annotations

import itertools

from marketplace.payments.gateway import (
    ConnectedAccount,
    PaymentIntent,
    PaymentProviderError,
    Refund,
    StripeGateway,
    Transfer,
)


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
        self.transfers: list[Transfer] = []  # what Stripe would have moved, once per idempotency key
        self.unknown_next: str | None = None  # the next call of this kind times out after taking effect

    def _record(self, kind: str, **request):
        self.requests.append((kind, request))
        if self.fail_next == kind:
            self.fail_next = None
            raise PaymentProviderError(f"{kind} refused (recording gateway)")

    def _timeout_after_effect(self, kind: str):
        if self.unknown_next == kind:
            self.unknown_next = None
            raise PaymentProviderError(f"{kind}: connection lost (recording gateway)", definitive=False)

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

    # Stripe Connect, which localstripe does not emulate.

    def create_connected_account(self, *, email, idempotency_key, metadata):
        self._record("create_connected_account", email=email, idempotency_key=idempotency_key, metadata=metadata)
        if idempotency_key not in self._seen:
            self._seen[idempotency_key] = ConnectedAccount(f"acct_fake{next(self._ids)}")
        return self._seen[idempotency_key]

    def create_account_link(self, account_id, *, refresh_url, return_url):
        self._record("create_account_link", account_id=account_id, refresh_url=refresh_url, return_url=return_url)
        return f"https://connect.stripe.test/setup/{account_id}"

    def create_transfer(self, *, amount, currency, destination, transfer_group, idempotency_key, metadata):
        self._record("create_transfer", amount=amount, currency=currency, destination=destination,
                     transfer_group=transfer_group, idempotency_key=idempotency_key, metadata=metadata)
        if idempotency_key not in self._seen:
            transfer = Transfer(f"tr_fake{next(self._ids)}", amount, currency, destination, transfer_group)
            self._seen[idempotency_key] = transfer
            self.transfers.append(transfer)
        self._timeout_after_effect("create_transfer")
        return self._seen[idempotency_key]

    def find_transfer(self, transfer_group):
        self._record("find_transfer", transfer_group=transfer_group)
        return next((t for t in self.transfers if t.transfer_group == transfer_group), None)
