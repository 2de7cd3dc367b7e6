"""RQ job functions: thin wrappers that call domain services. Pass ids, never ORM objects."""

from __future__ import annotations

import logging

from marketplace.accounts.services import prune_auth_sessions

log = logging.getLogger(__name__)


def prune_tokens() -> int:
    """Delete bearer tokens that expired or were revoked long ago (idempotent)."""
    count = prune_auth_sessions()
    log.info("pruned %d auth sessions", count, extra={"job": "prune_tokens", "count": count})
    return count
