"""Request context for the audit trail: who acts, from where."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str = ""
    user_agent: str = ""
    channel: str = "system"  # web, api, cli, worker, system


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "yiwang_request_context",
    default=RequestContext(),  # noqa: B039 - frozen, immutable
)


def current_context() -> RequestContext:
    return _current.get()


def set_context(ctx: RequestContext):
    """Set the context (CLI, worker); returns a token for ``reset_context``."""
    return _current.set(ctx)


def reset_context(token) -> None:
    _current.reset(token)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = request.META.get("REMOTE_ADDR", "")
        channel = "api" if request.path.startswith("/api/") else "web"
        token = _current.set(
            RequestContext(
                ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300], channel=channel
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
