"""Discount codes: an influencer proposes a code for a brand, the brand approves it, and
shoppers get percent off that brand's lines at checkout.

The discount of a line is ``line subtotal × percent`` rounded half up to a minor unit;
a use is counted when the order is placed and given back if it is canceled, expires or
its payment fails, with conditional UPDATEs so a usage limit holds under concurrency.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select, update

from marketplace.accounts.models import User
from marketplace.brands.services import get_brand, require_member
from marketplace.db import commit_or_raise, db, utcnow
from marketplace.discounts.models import CodeStatus, DiscountCode
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.influencers.services import require_profile

# Which status a brand may set, from which.
BRAND_DECISIONS = {
    CodeStatus.APPROVED: {CodeStatus.PENDING, CodeStatus.REJECTED},
    CodeStatus.REJECTED: {CodeStatus.PENDING},
    CodeStatus.REVOKED: {CodeStatus.APPROVED},
}


def propose_code(user: User, data: dict[str, Any]) -> DiscountCode:
    profile = require_profile(user)
    brand = get_brand(data["brand_id"])
    code = DiscountCode(
        code=data["code"].upper(),
        brand_id=brand.id,
        influencer_id=profile.id,
        percent_off_bps=data["percent_off_bps"],
        expires_at=data.get("expires_at"),
        usage_limit=data.get("usage_limit"),
    )
    db.session.add(code)
    commit_or_raise(Conflict("this code is taken", reason="code_taken", errors={"code": ["already taken"]}))
    return code


def codes_of_influencer(user: User) -> Select:
    profile = require_profile(user)
    return select(DiscountCode).where(DiscountCode.influencer_id == profile.id).order_by(DiscountCode.id.desc())


def codes_of_brand(user: User, brand_id: int) -> Select:
    require_member(user, brand_id)
    return select(DiscountCode).where(DiscountCode.brand_id == brand_id).order_by(DiscountCode.id.desc())


def decide(user: User, brand_id: int, code_id: int, status: CodeStatus) -> DiscountCode:
    require_member(user, brand_id)
    code = db.session.get(DiscountCode, code_id)
    if code is None or code.brand_id != brand_id:
        raise NotFound("discount code not found")
    if code.status not in BRAND_DECISIONS[status]:
        raise Conflict(f"a {code.status.value} code cannot become {status.value}", reason="illegal_transition")
    code.status = status
    db.session.commit()
    return code


def usable_code(text: str) -> DiscountCode:
    """The approved, unexpired code for checkout, or a 422 naming ``discount_code``."""
    code = db.session.scalar(select(DiscountCode).where(DiscountCode.code == text.strip().upper()))
    problem = None
    if code is None or code.status != CodeStatus.APPROVED:
        problem = "no such active code"
    elif code.expires_at is not None and code.expires_at <= utcnow():
        problem = "this code has expired"
    elif code.usage_limit is not None and code.times_used >= code.usage_limit:
        problem = "this code has been used up"
    if problem:
        raise Invalid(problem, reason="invalid_discount_code", errors={"discount_code": [problem]})
    return code


def discount_for(subtotal: int, code: DiscountCode) -> int:
    """``subtotal × percent`` rounded half up to a whole minor unit (exact integer arithmetic)."""
    return (subtotal * code.percent_off_bps + 5_000) // 10_000


def use(code_id: int) -> bool:
    """Count one use; False if the limit was reached meanwhile."""
    result = db.session.execute(
        update(DiscountCode)
        .where(
            DiscountCode.id == code_id,
            DiscountCode.status == CodeStatus.APPROVED,
            or_(DiscountCode.usage_limit.is_(None), DiscountCode.times_used < DiscountCode.usage_limit),
        )
        .values(times_used=DiscountCode.times_used + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def give_back(code_id: int) -> None:
    db.session.execute(
        update(DiscountCode)
        .where(DiscountCode.id == code_id, DiscountCode.times_used > 0)
        .values(times_used=DiscountCode.times_used - 1)
        .execution_options(synchronize_session=False)
    )
