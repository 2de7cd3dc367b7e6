import marshmallow as ma
from flask import request

from marketplace.http import Blueprint, Schema
from marketplace.payments import services

blp = Blueprint("webhooks", __name__, description="Payment provider webhooks")


class WebhookAckSchema(Schema):
    received = ma.fields.String(metadata={"description": "The event id"})
    duplicate = ma.fields.Boolean()


@blp.route("/webhooks/stripe", methods=["POST"])
@blp.response(200, WebhookAckSchema)
@blp.alt_response(400, response="BAD_REQUEST", description="Bad payload or signature: nothing stored")
def stripe_webhook():
    """Stripe events, verified against the Stripe-Signature header and processed by a job"""
    event_id, new = services.receive_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return {"received": event_id, "duplicate": not new}
