"""Page guards other apps reuse.

``staff_required``: a logged-in, active staff account that passed the TOTP
check in this session. Anonymous users go to the login page (staff tab);
citizens and enterprises get 404 (the workbench does not exist for them);
staff without a TOTP device are sent to set one up.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from .models import AccountKind
from .scopes import is_active_account


def staff_login_url(next_url: str) -> str:
    return f"{reverse('accounts:login')}?{urlencode({'tab': 'staff', 'next': next_url})}"


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(staff_login_url(request.get_full_path()))
        if not is_active_account(user) or user.kind != AccountKind.STAFF:
            raise Http404
        if not user.is_verified():
            from .services import confirmed_device

            if confirmed_device(user) is None:
                return HttpResponseRedirect(reverse("accounts:totp"))
            return HttpResponseRedirect(staff_login_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper


def public_login_required(view):
    """Any active account (citizen, enterprise or staff)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or not is_active_account(user):
            return HttpResponseRedirect(
                f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
            )
        return view(request, *args, **kwargs)

    return wrapper
