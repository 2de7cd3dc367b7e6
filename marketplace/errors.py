"""Domain errors raised by services; the HTTP layer maps each to a status code."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every business-rule failure. ``reason`` is a stable machine-readable slug."""

    status_code = 400
    reason = "bad_request"
    retry_after_seconds: int | None = None  # sent as Retry-After: the client may try again then

    def __init__(self, message: str, *, reason: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.errors = errors


class NotFound(DomainError):
    status_code = 404
    reason = "not_found"


class Unauthorized(DomainError):
    status_code = 401
    reason = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    reason = "forbidden"


class Conflict(DomainError):
    status_code = 409
    reason = "conflict"


class Invalid(DomainError):
    """Input that is well-formed but breaks a rule; ``errors`` names the offending fields."""

    status_code = 422
    reason = "invalid"


class DatabaseUnavailable(DomainError):
    """The database could not be reached or dropped the connection (a restart, a failover):
    the transaction in flight was rolled back, and the request may be sent again."""

    status_code = 503
    reason = "database_unavailable"
    retry_after_seconds = 5
