"""Sign-up, password checks and bearer tokens (signed, expiring, revocable)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select, update

from marketplace.accounts.models import SIGNUP_ROLES, AuthSession, Role, User
from marketplace.db import commit_or_raise, db, utcnow
from marketplace.errors import Conflict, Invalid, Unauthorized

TOKEN_SALT = "marketplace.auth-token"


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def password_hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher(cfg["PASSWORD_HASH_TIME_COST"], cfg["PASSWORD_HASH_MEMORY_COST_KIB"])


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(email: str, password: str, role: Role) -> User:
    user = User(email=normalize_email(email), password_hash=password_hasher().hash(password), role=role)
    db.session.add(user)
    commit_or_raise(Conflict("an account with this email already exists", reason="email_taken"))
    return user


def sign_up(email: str, password: str, role: str) -> User:
    if role not in SIGNUP_ROLES:
        raise Invalid("role is not open to sign-up", errors={"role": [f"must be one of {', '.join(SIGNUP_ROLES)}"]})
    return create_user(email, password, Role(role))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def issue_token(email: str, password: str) -> tuple[str, int]:
    """Check the credentials and return ``(token, lifetime_seconds)``."""
    hasher = password_hasher()
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as for a real account so timing does not reveal which emails exist.
        _verify(hasher, _dummy_hash(hasher), password)
        raise Unauthorized("email or password is wrong", reason="invalid_credentials")
    if not _verify(hasher, user.password_hash, password) or not user.is_active:
        raise Unauthorized("email or password is wrong", reason="invalid_credentials")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)

    ttl = current_app.config["AUTH_TOKEN_TTL_SECONDS"]
    auth_session = AuthSession(id=secrets.token_hex(16), user_id=user.id, expires_at=utcnow() + timedelta(seconds=ttl))
    db.session.add(auth_session)
    db.session.commit()
    return _serializer().dumps({"sid": auth_session.id}), ttl


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def _session_for_token(token: str) -> AuthSession:
    ttl = current_app.config["AUTH_TOKEN_TTL_SECONDS"]
    try:
        data = _serializer().loads(token, max_age=ttl)
    except SignatureExpired:
        raise Unauthorized("the token has expired", reason="token_expired") from None
    except BadSignature:
        raise Unauthorized("the token is not valid", reason="invalid_token") from None
    sid = data.get("sid") if isinstance(data, dict) else None
    auth_session = db.session.get(AuthSession, sid) if isinstance(sid, str) else None
    if auth_session is None:
        raise Unauthorized("the token is not valid", reason="invalid_token")
    if auth_session.revoked_at is not None:
        raise Unauthorized("the token has been revoked", reason="token_revoked")
    if auth_session.expires_at <= utcnow():
        raise Unauthorized("the token has expired", reason="token_expired")
    return auth_session


def authenticate_bearer(token: str) -> User:
    auth_session = _session_for_token(token)
    user = db.session.get(User, auth_session.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the account is disabled", reason="account_disabled")
    return user


def revoke_token(token: str) -> None:
    auth_session = _session_for_token(token)
    auth_session.revoked_at = utcnow()
    db.session.commit()


def change_password(user: User, current_token: str, current_password: str, new_password: str) -> None:
    """Set a new password and revoke every other token of the account (sessions elsewhere end)."""
    hasher = password_hasher()
    if not _verify(hasher, user.password_hash, current_password):
        raise Invalid("the current password is wrong", errors={"current_password": ["is wrong"]})
    keep = _session_for_token(current_token).id
    user.password_hash = hasher.hash(new_password)
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.id != keep, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()


def prune_auth_sessions(grace: timedelta = timedelta(days=7)) -> int:
    """Delete tokens that expired or were revoked more than ``grace`` ago; returns how many."""
    cutoff = utcnow() - grace
    result = db.session.execute(
        delete(AuthSession).where(or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff))
    )
    db.session.commit()
    return result.rowcount


def describe_user(user: User) -> dict:
    """The user with the brands they belong to and their influencer handle, for ``/me``."""
    from marketplace.brands.models import BrandMember
    from marketplace.influencers.models import InfluencerProfile

    brand_ids = db.session.scalars(
        select(BrandMember.brand_id).where(BrandMember.user_id == user.id).order_by(BrandMember.brand_id)
    ).all()
    handle = db.session.scalar(select(InfluencerProfile.handle).where(InfluencerProfile.user_id == user.id))
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "created_at": user.created_at,
        "brand_ids": list(brand_ids),
        "influencer_handle": handle,
        "share_with_influencers": user.share_with_influencers,
    }


def update_me(user: User, share_with_influencers: bool) -> dict:
    """The signed-in user's own settings: for now, whether influencers may see who they are."""
    user.share_with_influencers = share_with_influencers
    db.session.commit()
    return describe_user(user)


# ------------------------------------------------------------- personal data

ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: can never receive mail


def export_user_data(user: User) -> dict:
    """Everything the marketplace keeps about ``user`` as a shopper: the account and its orders
    (those placed signed in, and those placed anonymously with the account's email)."""
    from marketplace.orders.services import order_view, orders_of_person

    return {
        "account": describe_user(user),
        "orders": [order_view(order, order.lines) for order in orders_of_person(user)],
    }


def delete_account(user: User) -> None:
    """Erase a shopper's personal data: the account is disabled and anonymised, every token
    revoked, and their orders keep their lines and amounts (the brands' books) without the
    email, the account or the browser's visitor id."""
    from marketplace.orders.services import anonymise_orders_of

    if user.role != Role.SHOPPER:
        # Influencers and brand members have storefronts, commissions and payouts that must stay
        # accounted for: their accounts are closed by the operators, not from here.
        raise Conflict(
            "only shopper accounts can be deleted here; contact support to close this account",
            reason="not_a_shopper_account",
        )
    anonymise_orders_of(user, ERASED_EMAIL_DOMAIN)
    user.email = f"erased-user-{user.id}@{ERASED_EMAIL_DOMAIN}"
    user.password_hash = "!erased"  # no password verifies against this: nobody can sign in
    user.is_active = False
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()
