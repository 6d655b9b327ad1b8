"""Public pages: the hall directory (大厅导航)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import selectors
from .models import Level, Region

PAGE_SIZE = 30


def hall_list(request):
    """Every active hall — the county centre, the town halls and the village
    rooms — with its windows; filter by town, level or a search term."""
    town_code = request.GET.get("town", "").strip()
    level = request.GET.get("level", "").strip()
    q = request.GET.get("q", "").strip()[:50]
    town = None
    if town_code:
        town = Region.objects.filter(code=town_code, level=Level.TOWN, is_active=True).first()
    halls = selectors.hall_directory(within=town, level=level, q=q)
    page = Paginator(halls, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "regions/hall_list.html",
        {
            "page_obj": page,
            "halls": page.object_list,
            "towns": selectors.towns(),
            "town": town,
            "town_code": town_code,
            "level": level,
            "levels": Level.choices,
            "q": q,
            "query": query.urlencode(),
            "unknown_town": bool(town_code) and town is None,
            "page_title": _("大厅导航"),
        },
    )
