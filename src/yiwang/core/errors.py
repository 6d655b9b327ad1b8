"""Errors raised by domain services.

Services raise these; the API's exception handler and the pages turn them into
one error shape: ``{"code": ..., "message": ..., "fields": {...}}``. Messages are
translatable (Chinese first, English through gettext).
"""

from __future__ import annotations


class ServiceError(Exception):
    """A domain rule refused the request. Nothing was changed."""

    status = 400
    code = "invalid"

    def __init__(self, message, *, code: str | None = None, fields: dict | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        # field name -> list of messages
        self.fields = {k: v if isinstance(v, list) else [v] for k, v in (fields or {}).items()}

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {k: [str(m) for m in v] for k, v in self.fields.items()},
        }


class ValidationFailed(ServiceError):
    status = 400
    code = "invalid"


class NotFound(ServiceError):
    """Also raised for objects outside the actor's scope: out of scope is
    indistinguishable from absent."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """The object changed under the actor (someone else acted first), or the
    move is not allowed from its current state."""

    status = 409
    code = "conflict"


class TooManyAttempts(ServiceError):
    """Too many failed attempts from one source: refused for ``retry_after``
    seconds (the API sends it as ``Retry-After``)."""

    status = 429
    code = "throttled"

    def __init__(self, message, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after
