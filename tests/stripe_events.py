"""Stripe webhook events built and signed by tests with Stripe's scheme
(HMAC-SHA256 over ``"{timestamp}.{body}"``), as Stripe sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid


def sign(app, body: str, timestamp: int | None = None, secret: str | None = None) -> str:
    timestamp = timestamp or int(time.time())
    secret = secret or app.config["STRIPE_WEBHOOK_SECRET"]
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event_body(event_type: str, order: dict, event_id: str | None = None, **fields) -> str:
    intent = {
        "id": order["payment"]["payment_intent_id"],
        "object": "payment_intent",
        "amount": order["total"],
        "amount_received": order["total"] if event_type == "payment_intent.succeeded" else 0,
        "currency": order["currency"].lower(),
        "metadata": {"order_id": str(order["id"])},
        **fields,
    }
    return event_for(event_type, intent, event_id)


def event_for(event_type: str, obj: dict, event_id: str | None = None) -> str:
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    return json.dumps(event)


def deliver(client, app, body: str, signature: str | None = "sign"):
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = sign(app, body)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", data=body, headers=headers)
