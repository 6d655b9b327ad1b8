"""Request context for the audit trail (and the progress lookup's guard):
who acts, from where."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from django.conf import settings


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


def client_ip(meta) -> str:
    """The address a request came from. Behind reverse proxies listed in
    ``YIWANG_TRUSTED_PROXIES``, the proxies' own addresses are stepped over
    in ``X-Forwarded-For`` from the right (the part a client cannot forge);
    otherwise ``REMOTE_ADDR``, whatever the headers say."""
    ip = meta.get("REMOTE_ADDR", "")
    trusted = settings.YIWANG_TRUSTED_PROXIES
    if ip in trusted:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        while hops and ip in trusted:
            ip = hops.pop()
    return ip


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = client_ip(request.META)
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
