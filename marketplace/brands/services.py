"""Brands and their members. Only members (or admins) change a brand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.brands.models import Brand, BrandMember
from marketplace.db import commit_or_raise, db
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.slugs import slugify


def get_brand(brand_id: int) -> Brand:
    brand = db.session.get(Brand, brand_id)
    if brand is None:
        raise NotFound("brand not found")
    return brand


def is_member(user: User | None, brand_id: int) -> bool:
    if user is None:
        return False
    if user.is_admin:
        return True
    return db.session.get(BrandMember, (brand_id, user.id)) is not None


def require_member(user: User, brand_id: int) -> Brand:
    """The brand, if ``user`` may manage it; brands are public, so a stranger gets a 403."""
    brand = get_brand(brand_id)
    if not is_member(user, brand_id):
        raise Forbidden("you are not a member of this brand", reason="not_brand_member")
    return brand


def brands_of(user: User) -> list[Brand]:
    """The brands ``user`` is a member of, by name (every brand for an admin)."""
    query = select(Brand).order_by(Brand.name, Brand.id)
    if not user.is_admin:
        query = query.join(BrandMember).where(BrandMember.user_id == user.id)
    return list(db.session.scalars(query))


def require_owner(user: User, brand_id: int) -> Brand:
    """The brand, if ``user`` is one of its owners (or an admin): owners manage membership."""
    brand = require_member(user, brand_id)
    if not user.is_admin and db.session.get(BrandMember, (brand_id, user.id)).role != "owner":
        raise Forbidden("only the brand's owners manage its members", reason="not_brand_owner")
    return brand


def _slug_taken() -> Conflict:
    return Conflict("this brand slug is taken", reason="slug_taken", errors={"slug": ["already taken"]})


def _free_slug(base: str) -> str:
    taken = set(db.session.scalars(select(Brand.slug).where(Brand.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_brand(user: User, data: dict[str, Any]) -> Brand:
    explicit_slug = data.pop("slug", None)
    brand = Brand(slug=explicit_slug or _free_slug(slugify(data["name"])), **data)
    brand.members.append(BrandMember(user_id=user.id, role="owner"))
    db.session.add(brand)
    commit_or_raise(_slug_taken())
    return brand


def update_brand(user: User, brand_id: int, changes: dict[str, Any]) -> Brand:
    brand = require_member(user, brand_id)
    for key, value in changes.items():
        setattr(brand, key, value)
    commit_or_raise(_slug_taken())
    return brand


def list_brands():
    return select(Brand).order_by(Brand.name, Brand.id)


def list_members(user: User, brand_id: int) -> list[dict[str, Any]]:
    require_member(user, brand_id)
    rows = db.session.execute(
        select(BrandMember, User.email)
        .join(User, User.id == BrandMember.user_id)
        .where(BrandMember.brand_id == brand_id)
        .order_by(BrandMember.created_at, BrandMember.user_id)
    ).all()
    return [{"user_id": m.user_id, "email": email, "role": m.role, "created_at": m.created_at} for m, email in rows]


def add_member(user: User, brand_id: int, email: str) -> dict[str, Any]:
    require_owner(user, brand_id)
    invitee = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if invitee is None or invitee.role != Role.BRAND:
        raise Invalid("no brand account has this email", errors={"email": ["must belong to a brand account"]})
    if db.session.get(BrandMember, (brand_id, invitee.id)) is not None:
        raise Conflict("already a member of this brand", reason="already_member")
    member = BrandMember(brand_id=brand_id, user_id=invitee.id, role="member")
    db.session.add(member)
    db.session.commit()
    return {"user_id": invitee.id, "email": invitee.email, "role": member.role, "created_at": member.created_at}


def remove_member(user: User, brand_id: int, member_user_id: int) -> None:
    """Owners remove anyone (the last owner stays); a member may leave."""
    if member_user_id == user.id:
        require_member(user, brand_id)
    else:
        require_owner(user, brand_id)
    member = db.session.get(BrandMember, (brand_id, member_user_id))
    if member is None:
        raise NotFound("no such member")
    owners = db.session.scalar(
        select(func.count()).where(BrandMember.brand_id == brand_id, BrandMember.role == "owner")
    )
    if member.role == "owner" and owners <= 1:
        raise Conflict("a brand keeps at least one owner", reason="last_owner")
    db.session.delete(member)
    db.session.commit()
