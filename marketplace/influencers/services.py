"""Influencer profiles: one per influencer account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import commit_or_raise, db
from marketplace.errors import Conflict, NotFound
from marketplace.influencers.models import InfluencerProfile, SocialProfile


def profile_of(user: User) -> InfluencerProfile | None:
    return db.session.scalar(select(InfluencerProfile).where(InfluencerProfile.user_id == user.id))


def require_profile(user: User) -> InfluencerProfile:
    profile = profile_of(user)
    if profile is None:
        raise NotFound("create your influencer profile first (PUT /api/v1/me/influencer)", reason="no_profile")
    return profile


def get_by_handle(handle: str) -> InfluencerProfile:
    profile = db.session.scalar(select(InfluencerProfile).where(InfluencerProfile.handle == handle.lower()))
    if profile is None:
        raise NotFound("influencer not found")
    return profile


def put_profile(user: User, data: dict[str, Any]) -> tuple[InfluencerProfile, bool]:
    """Create or replace the caller's profile; returns ``(profile, created)``."""
    profile = profile_of(user)
    created = profile is None
    if created:
        profile = InfluencerProfile(user_id=user.id)
        db.session.add(profile)
    profile.handle = data["handle"].lower()
    profile.display_name = data["display_name"]
    profile.bio = data.get("bio", "")
    profile.avatar_url = data.get("avatar_url")
    profile.socials = [SocialProfile(position=i, **social) for i, social in enumerate(data.get("socials", []))]
    commit_or_raise(Conflict("this handle is taken", reason="handle_taken", errors={"handle": ["already taken"]}))
    return profile, created
