"""The shells' own pages: the portal home, the staff workbench home, and the
elderly-mode switch."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .context_processors import ELDERLY_COOKIE, is_workbench_user

ELDERLY_COOKIE_MAX_AGE = 365 * 24 * 3600


def _login_url() -> str:
    try:
        return resolve_url(settings.LOGIN_URL)
    except NoReverseMatch:  # the accounts pages are not mounted (yet)
        return "/accounts/login/"


def hall_counts() -> dict[str, int]:
    """Active halls per level (county / town / village); empty without data."""
    try:
        from yiwang.regions.models import Hall
    except ImportError:  # pragma: no cover - regions is always installed
        return {}
    rows = (
        Hall.objects.filter(is_active=True, region__is_active=True)
        .values("region__level")
        .annotate(n=Count("id"))
    )
    return {row["region__level"]: row["n"] for row in rows}


def home(request):
    counts = hall_counts()
    levels = [
        {
            "level": "county",
            "icon": "building-bank",
            "title": _("县级政务服务中心"),
            "count": counts.get("county", 0),
        },
        {
            "level": "town",
            "icon": "building-community",
            "title": _("乡镇（街道）便民服务中心"),
            "count": counts.get("town", 0),
        },
        {
            "level": "village",
            "icon": "home-heart",
            "title": _("村（社区）便民服务站（室）"),
            "count": counts.get("village", 0),
        },
    ]
    return render(
        request,
        "web/home.html",
        {"levels": levels, "has_halls": bool(counts)},
    )


def workbench_home(request):
    """The staff landing page. Anonymous users go to the login page; a
    logged-in account that is not staff sees a 404 (scope never leaks)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), _login_url())
    if not is_workbench_user(request.user):
        raise Http404
    return render(request, "web/workbench_home.html")


def safe_next(request, fallback: str | None = None) -> str:
    """The ``next`` target (POST, then GET, then Referer) when it stays on
    this site, else ``fallback`` (the home page)."""
    fallback = fallback or reverse("web:home")
    for candidate in (
        request.POST.get("next"),
        request.GET.get("next"),
        request.META.get("HTTP_REFERER"),
    ):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


@require_POST
def elderly_toggle(request):
    """Switch elderly mode (长者模式) on or off and go back where the user was.
    ``mode=on|off`` sets it; no mode toggles it."""
    mode = request.POST.get("mode")
    if mode not in ("on", "off"):
        mode = "off" if request.COOKIES.get(ELDERLY_COOKIE) == "1" else "on"
    response = HttpResponseRedirect(safe_next(request))
    if mode == "on":
        response.set_cookie(
            ELDERLY_COOKIE,
            "1",
            max_age=ELDERLY_COOKIE_MAX_AGE,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    else:
        response.delete_cookie(ELDERLY_COOKIE, samesite="Lax")
    return response
