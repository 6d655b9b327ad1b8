"""API permissions every endpoint gets by default (settings
REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]): an active account, and for staff
on a browser session, a passed TOTP check. Public endpoints opt out with
``AllowAny``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication

from .models import AccountKind, AccountStatus


class StaffVerified(permissions.BasePermission):
    """Staff using a browser session must have passed the TOTP check; tokens
    are only issued after it."""

    message = gettext_lazy("工作人员须先通过动态验证码验证")

    def has_permission(self, request, view):
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return True  # IsAuthenticated decides
        if user.kind != AccountKind.STAFF:
            return True
        if isinstance(request.successful_authenticator, SessionAuthentication):
            verified = getattr(user, "is_verified", None)
            return bool(verified and verified())
        return True


class ActiveAccount(permissions.IsAuthenticated):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.status == AccountStatus.ACTIVE
