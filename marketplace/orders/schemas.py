import marshmallow as ma

from marketplace.http import Id, PageArgsSchema, Schema, StrictInt
from marketplace.money import MAX_AMOUNT
from marketplace.orders.models import OrderStatus, RefundStatus

MAX_QUANTITY = 100
MAX_LINES = 50


class OrderItemRequestSchema(Schema):
    product_id = Id(required=True)
    quantity = StrictInt(required=True, validate=ma.validate.Range(min=1, max=MAX_QUANTITY))
    unit_price = StrictInt(
        validate=ma.validate.Range(min=0, max=MAX_AMOUNT),
        metadata={"description": "The price the shopper saw; a different current price is a 409"},
    )


class OrderCreateSchema(Schema):
    storefront = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80), metadata={"description": "Slug"})
    items = ma.fields.List(
        ma.fields.Nested(OrderItemRequestSchema), required=True, validate=ma.validate.Length(min=1, max=MAX_LINES)
    )
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=320))
    discount_code = ma.fields.String(
        validate=ma.validate.Length(min=1, max=32), metadata={"description": "An influencer's approved code"}
    )


class OrderLineSchema(Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    brand_id = ma.fields.Integer()
    storefront_item_id = ma.fields.Integer()
    title = ma.fields.String()
    sku = ma.fields.String()
    unit_price = ma.fields.Integer(metadata={"description": "Minor units"})
    currency = ma.fields.String()
    quantity = ma.fields.Integer()
    discount_amount = ma.fields.Integer(metadata={"description": "The discount code's share of this line"})
    line_total = ma.fields.Integer(metadata={"description": "unit_price × quantity - discount_amount"})
    commission_bps = ma.fields.Integer(metadata={"description": "Commission rate in force when ordered"})
    refunded_quantity = ma.fields.Integer()
    refunded_amount = ma.fields.Integer()


class OrderEventSchema(Schema):
    from_status = ma.fields.Enum(OrderStatus, by_value=True, allow_none=True)
    to_status = ma.fields.Enum(OrderStatus, by_value=True)
    cause = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class OrderSchema(Schema):
    id = ma.fields.Integer()
    status = ma.fields.Enum(OrderStatus, by_value=True)
    storefront_id = ma.fields.Integer()
    influencer_id = ma.fields.Integer()
    email = ma.fields.String()
    currency = ma.fields.String()
    total = ma.fields.Integer(metadata={"description": "Minor units"})
    discount_code_id = ma.fields.Integer(allow_none=True)
    discount_total = ma.fields.Integer()
    refunded_total = ma.fields.Integer()
    reserved_until = ma.fields.AwareDateTime()
    paid_at = ma.fields.AwareDateTime(allow_none=True)
    needs_refund = ma.fields.Boolean()
    payment_intent_id = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema))
    events = ma.fields.List(ma.fields.Nested(OrderEventSchema))
    created_at = ma.fields.AwareDateTime()


class PaymentSchema(Schema):
    provider = ma.fields.String(metadata={"example": "stripe"})
    payment_intent_id = ma.fields.String()
    client_secret = ma.fields.String(metadata={"description": "For Stripe.js; shown once"})
    publishable_key = ma.fields.String()


class OrderCreatedSchema(OrderSchema):
    access_token = ma.fields.String(
        metadata={"description": "Reads this order without an account (?token= or Bearer); shown once"}
    )
    payment = ma.fields.Nested(PaymentSchema)


class OrderTokenArgsSchema(Schema):
    token = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "The order's access token"})


class BrandOrderQueryArgsSchema(PageArgsSchema):
    status = ma.fields.Enum(OrderStatus, by_value=True)
    from_ = ma.fields.AwareDateTime(data_key="from", attribute="from", metadata={"description": "Inclusive"})
    to = ma.fields.AwareDateTime(metadata={"description": "Exclusive"})


class RefundLineRequestSchema(Schema):
    line_id = Id(required=True, metadata={"description": "An order line id"})
    quantity = StrictInt(validate=ma.validate.Range(min=1, max=MAX_QUANTITY), metadata={"description": "Units returned"})
    amount = StrictInt(validate=ma.validate.Range(min=1, max=MAX_AMOUNT), metadata={"description": "Minor units"})

    @ma.validates_schema
    def _quantity_or_amount(self, data, **_kwargs):
        if ("quantity" in data) == ("amount" in data):
            raise ma.ValidationError("give either quantity or amount", field_name="quantity")


class RefundCreateSchema(Schema):
    lines = ma.fields.List(
        ma.fields.Nested(RefundLineRequestSchema), required=True, validate=ma.validate.Length(min=1, max=MAX_LINES)
    )
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class RefundLineSchema(Schema):
    order_line_id = ma.fields.Integer()
    quantity = ma.fields.Integer()
    amount = ma.fields.Integer()


class RefundSchema(Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    status = ma.fields.Enum(RefundStatus, by_value=True)
    amount = ma.fields.Integer(metadata={"description": "Minor units"})
    currency = ma.fields.String()
    reason = ma.fields.String()
    provider_refund_id = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(RefundLineSchema))
    created_at = ma.fields.AwareDateTime()
