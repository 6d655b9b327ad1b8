"""API token authentication (settings REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"])."""

from __future__ import annotations

from rest_framework import authentication

from yiwang.core.prepared import prepared

from .models import StaffRole
from .scopes import ROLE_RELATIONS, remember_roles


@prepared(str)
def token_roles(key: str):
    """The active roles of the staff member holding token ``key``, with the
    token, the user and what ``scopes.active_roles`` reads. Every staff API
    call runs it: compiled once (``core.prepared``). The bookkeeping
    timestamps of the role, its region, hall and department are left out
    (ten timestamps decoded with their time zone: ~3 % of a case
    submission); read, each would cost a query."""
    return (
        StaffRole.objects.filter(user__auth_token__key=key, is_active=True)
        .select_related("user__auth_token", *ROLE_RELATIONS)
        .defer(*_BOOKKEEPING)
    )


# Loaded on access: never read from a role loaded with the token.
_BOOKKEEPING = [
    f"{prefix}{name}"
    for prefix in ("", "region__", "hall__", "hall__region__", "department__")
    for name in ("created_at", "updated_at")
]


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, with a staff member's active roles (and what they
    point at, as ``scopes.active_roles`` loads them) read in the same query:
    nearly every staff call asks for its roles, and a token-authenticated
    call then costs one query less. Accounts without an active role (citizens,
    enterprises) and every refusal take DRF's own path, with its messages."""

    def authenticate_credentials(self, key):
        roles = token_roles(key)
        user = roles[0].user if roles else None
        if user is None or not user.is_active:
            return super().authenticate_credentials(key)
        for role in roles:
            role.user = user  # one instance, as user.roles would give
        remember_roles(user, roles)
        return user, user.auth_token
