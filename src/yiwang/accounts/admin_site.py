"""The Django admin for Yiwang's system administrators.

Django's stock admin lets in ``user.is_staff`` after a password-only login
of its own. Here it lets in the people the product names: an active staff
account holding the system-administrator role (or a superuser) who has
passed the TOTP check in this session. There is one way in, the staff tab
of our login page (password + TOTP, with lockout); the admin's own login
page sends people there. What each administrator may change is decided by
the ``rules`` permissions granted in ``accounts/rules.py``.

Installed by ``AdminConfig`` (in place of ``django.contrib.admin`` in
``INSTALLED_APPS``), so every ``@admin.register`` lands on this site.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# Roles that may open the admin (what they see in it is per permission).
ADMIN_ROLES = ("sysadmin",)


def may_use_admin(user) -> bool:
    """An active staff account that is a superuser or holds an admin role.
    (The TOTP check is the session's, see ``YiwangAdminSite.has_permission``.)"""
    from .scopes import has_role, is_staff_account

    if not (is_staff_account(user) and user.is_active):
        return False
    return bool(user.is_superuser or has_role(user, *ADMIN_ROLES))


class YiwangAdminSite(admin.AdminSite):
    site_header = _("一网通办 · 系统管理")
    site_title = _("一网通办系统管理")
    index_title = _("系统管理")

    def has_permission(self, request):
        user = request.user
        if not may_use_admin(user):
            return False
        verified = getattr(user, "is_verified", None)
        return bool(verified and verified())

    def login(self, request, extra_context=None):
        """No password-only login here: the staff login page (TOTP, lockout)
        is the one way in. A verified staff member without an admin role
        gets 404, like anything else outside their scope."""
        from .decorators import staff_login_url

        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return HttpResponseRedirect(target)
        user = request.user
        verified = getattr(user, "is_verified", None)
        if getattr(user, "is_authenticated", False) and verified and verified():
            raise Http404
        return HttpResponseRedirect(staff_login_url(target))


class AdminConfig(DjangoAdminConfig):
    """``django.contrib.admin`` with ``YiwangAdminSite`` as ``admin.site``."""

    default_site = "yiwang.accounts.admin_site.YiwangAdminSite"
