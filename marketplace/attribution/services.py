"""Attribution: credit each paid order line to the relationships that earned it.

Runs in a job once the order is paid. It reads the shopper's counted clicks (humans,
repeats within the hour once) within each brand's attribution window before the
order, splits each line under the configured model (``rules.py``), and stores the
credits with their explanation. A discount code of the line's brand wins over clicks
(code beats cookie). Re-shared links carry their originating influencer, who keeps
the credit. Running it again for an order replaces its credits in one transaction,
under the order's row lock: one set of credits, whatever is retried.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from marketplace.accounts.models import User
from marketplace.attribution.models import AttributionCredit, AttributionTouchpoint, OrderAttribution
from marketplace.attribution.rules import PPM, Touchpoint, allocate
from marketplace.brands.models import Brand
from marketplace.brands.services import is_member
from marketplace.commissions.services import record_for_order as record_commissions
from marketplace.db import db, utcnow
from marketplace.discounts.models import DiscountCode
from marketplace.errors import NotFound
from marketplace.influencers.models import InfluencerProfile
from marketplace.links.clicks import drain_clicks
from marketplace.links.models import Click, ShareLink
from marketplace.orders.models import Order, OrderLine, OrderStatus

ATTRIBUTABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})


def _touchpoints(order: Order, longest_window: timedelta) -> list[Touchpoint]:
    """The visitor's counted clicks before the order, within the longest window of its brands."""
    if not order.visitor_id:
        return []
    rows = db.session.execute(
        select(Click.occurred_at, Click.link_id, ShareLink.influencer_id)
        .join(ShareLink, ShareLink.id == Click.link_id)
        .where(
            Click.visitor_id == order.visitor_id,
            Click.counted.is_(True),
            Click.occurred_at <= order.created_at,
            Click.occurred_at >= order.created_at - longest_window,
        )
        .order_by(Click.occurred_at, Click.id)
    ).all()
    return [Touchpoint(row.influencer_id, row.occurred_at, row.link_id) for row in rows]


def _is_self_referral(order: Order, influencer_id: int) -> bool:
    user = db.session.scalar(
        select(User).join(InfluencerProfile, InfluencerProfile.user_id == User.id).where(InfluencerProfile.id == influencer_id)
    )
    return user is not None and (user.id == order.shopper_user_id or user.email == order.email)


def attribute_order(order_id: int, model: str | None = None) -> str:
    """Compute (or recompute) the credits of a paid order. Idempotent."""
    model = model or current_app.config["ATTRIBUTION_MODEL"]
    drain_clicks()  # the shopper's last clicks may still be in the buffer
    half_life = timedelta(days=current_app.config["TIME_DECAY_HALF_LIFE_DAYS"])
    session = db.session
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.status not in ATTRIBUTABLE:
        session.rollback()
        return f"ignored: order {order_id} is not paid"
    windows = {
        brand.id: timedelta(days=brand.attribution_window_days)
        for brand in session.scalars(select(Brand).where(Brand.id.in_({line.brand_id for line in order.lines})))
    }
    touchpoints = _touchpoints(order, max(windows.values()))
    code = session.get(DiscountCode, order.discount_code_id) if order.discount_code_id else None

    session.execute(delete(AttributionCredit).where(AttributionCredit.order_id == order.id))
    credited_lines = 0
    for line in order.lines:
        credits = _line_credits(order, line, model, windows[line.brand_id], touchpoints, code, half_life)
        session.add_all(credits)
        credited_lines += bool(credits)
    summary = f"{credited_lines} of {len(order.lines)} lines credited under {model}"
    attribution = session.get(OrderAttribution, order.id) or OrderAttribution(order_id=order.id)
    attribution.model, attribution.computed_at, attribution.summary = model, utcnow(), summary
    session.add(attribution)
    record_commissions(order)  # in the same transaction: credits and their commissions agree
    session.commit()
    return f"order {order.id}: {summary}"


def _line_credits(order, line: OrderLine, model, window, touchpoints, code, half_life) -> list[AttributionCredit]:
    def credit(influencer_id: int, ppm: int, rule: str, **fields) -> AttributionCredit:
        return AttributionCredit(
            order_id=order.id,
            order_line_id=line.id,
            influencer_id=influencer_id,
            fraction_ppm=ppm,
            rule=rule,
            model=model,
            window_days=window.days,
            self_referral=_is_self_referral(order, influencer_id),
            **fields,
        )

    if code is not None and code.brand_id == line.brand_id:
        return [credit(code.influencer_id, PPM, "discount_code", discount_code_id=code.id)]
    in_window = [t for t in touchpoints if t.at >= order.created_at - window]
    earned = {id(t): ppm for t, ppm in allocate(model, in_window, order.created_at, half_life)}
    by_influencer: dict[int, list[AttributionTouchpoint]] = {}
    for t in in_window:  # every click of a credited influencer is kept, even one the model gave nothing
        by_influencer.setdefault(t.influencer_id, []).append(
            AttributionTouchpoint(link_id=t.link_id, clicked_at=t.at, weight_ppm=earned.get(id(t), 0))
        )
    return [
        credit(influencer_id, sum(t.weight_ppm for t in used), model, touchpoints=used)
        for influencer_id, used in sorted(by_influencer.items())
        if any(t.weight_ppm for t in used)
    ]


def _credit_view(credit: AttributionCredit) -> dict[str, Any]:
    """A credit with what it rests on: the discount code, or each click's link and share."""
    if credit.discount_code_id is not None:
        used = [{"discount_code": db.session.get(DiscountCode, credit.discount_code_id).code}]
    else:
        links = {
            link.id: link
            for link in db.session.scalars(
                select(ShareLink).where(ShareLink.id.in_({t.link_id for t in credit.touchpoints}))
            )
        }
        used = [
            {
                "link_code": links[t.link_id].code,
                "channel": links[t.link_id].channel,
                "campaign": links[t.link_id].campaign,
                "reshare_depth": links[t.link_id].depth,
                "clicked_at": t.clicked_at.isoformat(),
                "weight_ppm": t.weight_ppm,
            }
            for t in credit.touchpoints
        ]
    return {
        "influencer_id": credit.influencer_id,
        "fraction_ppm": credit.fraction_ppm,
        "rule": credit.rule,
        "model": credit.model,
        "window_days": credit.window_days,
        "touchpoints": used,
        "self_referral": credit.self_referral,
    }


def explain(order_id: int, viewer: User) -> dict[str, Any]:
    """The order's credits as a brand (its lines), a credited influencer (their credits) or an admin sees them."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("order not found")
    attribution = db.session.get(OrderAttribution, order.id)
    credits = db.session.scalars(
        select(AttributionCredit).where(AttributionCredit.order_id == order.id).order_by(AttributionCredit.id)
    ).all()
    own_influencer = db.session.scalar(select(InfluencerProfile.id).where(InfluencerProfile.user_id == viewer.id))
    lines = []
    for line in order.lines:
        line_credits = [c for c in credits if c.order_line_id == line.id]
        if viewer.is_admin or is_member(viewer, line.brand_id):
            visible = line_credits
        else:
            visible = [c for c in line_credits if c.influencer_id == own_influencer]
            if not visible:
                continue
        lines.append({"order_line_id": line.id, "brand_id": line.brand_id, "title": line.title,
                      "line_total": line.line_total, "organic": not line_credits,
                      "credits": [_credit_view(c) for c in visible]})
    if not lines:
        raise NotFound("order not found")
    return {
        "order_id": order.id,
        "model": attribution.model if attribution else None,
        "computed_at": attribution.computed_at if attribution else None,
        "lines": lines,
    }


def orders_to_rebuild(brand_id: int, since, until) -> list[int]:
    return list(
        db.session.scalars(
            select(Order.id)
            .where(
                Order.id.in_(select(OrderLine.order_id).where(OrderLine.brand_id == brand_id)),
                Order.status.in_(ATTRIBUTABLE),
                Order.created_at >= since,
                Order.created_at < until,
            )
            .order_by(Order.id)
        )
    )
