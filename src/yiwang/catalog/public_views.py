"""Public pages of the catalog (/guide/…): browse by department, level, theme
and life event; search; an item's guide page (printable). Read only, open to
everyone; only active items are shown, and only their published guide."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed
from yiwang.core.search import MAX_QUERY_LENGTH
from yiwang.core.search import search as run_search
from yiwang.regions.models import Department

from . import indexing, selectors
from .codesets import HandlingForm, Level, ServiceObject
from .models import GuideStatus, GuideVersion, ItemLevel, LevelStatus
from .themes import LIFE_EVENTS, LIFE_EVENTS_BY_SLUG, THEMES, THEMES_BY_SLUG

PAGE_SIZE = 30
SEARCH_LIMIT = 20


def _published_exists():
    return Exists(GuideVersion.objects.filter(item=OuterRef("pk"), status=GuideStatus.PUBLISHED))


def _counts(field: str, table) -> list[dict]:
    items = selectors.active_items().values_list(field, flat=True)
    counts: dict[str, int] = {}
    for value in items:
        for slug in value.split():
            counts[slug] = counts.get(slug, 0) + 1
    # Empty categories are not shown (68% of platforms had some: STANDARDS.md).
    return [
        {"slug": c.slug, "label": c.label, "icon": c.icon, "count": counts[c.slug]}
        for c in table
        if counts.get(c.slug)
    ]


def browse(request):
    """The catalog's front page, or a filtered list of items."""
    q = (request.GET.get("q") or "").strip()
    if q:
        return redirect(f"{request.path}search/?{request.GET.urlencode()}")
    filters, title = {}, None
    qs = selectors.active_items().annotate(has_guide=_published_exists())
    dept_id = request.GET.get("department")
    if dept_id:
        dept = Department.objects.filter(pk=dept_id).first() if _is_uuid(dept_id) else None
        if dept is None:
            raise Http404
        qs = qs.filter(department=dept)
        filters["department"], title = dept, dept.name
    level = request.GET.get("level")
    if level:
        if level not in Level.values:
            raise Http404
        qs = qs.filter(
            Exists(
                ItemLevel.objects.filter(
                    item=OuterRef("pk"), level=level, status=LevelStatus.APPROVED
                )
            )
        )
        filters["level"] = Level(level).label
        title = _("%(level)s可办事项") % {"level": Level(level).label}
    theme = request.GET.get("theme")
    if theme:
        if theme not in THEMES_BY_SLUG:
            raise Http404
        qs = qs.filter(themes__contains=f" {theme} ")
        filters["theme"], title = THEMES_BY_SLUG[theme].label, THEMES_BY_SLUG[theme].label
    event = request.GET.get("event")
    if event:
        if event not in LIFE_EVENTS_BY_SLUG:
            raise Http404
        qs = qs.filter(life_events__contains=f" {event} ")
        filters["event"] = LIFE_EVENTS_BY_SLUG[event].label
        title = LIFE_EVENTS_BY_SLUG[event].label
    obj = request.GET.get("object")
    if obj:
        if obj not in ServiceObject.values:
            raise Http404
        # service_objects is a JSON list: its text holds the quoted value.
        qs = qs.filter(service_objects__icontains=f'"{obj}"')
        filters["object"] = ServiceObject(obj).label
    if not filters:
        return render(request, "catalog/public/browse.html", _overview())
    page = Paginator(qs.order_by("-has_guide", "name", "code"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/public/item_list.html",
        {
            "title": title or _("事项列表"),
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
        },
    )


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _overview() -> dict:
    active = selectors.active_items()
    departments = (
        Department.objects.filter(service_items__is_active=True)
        .annotate(n=Count("service_items", filter=Q(service_items__is_active=True)))
        .order_by("-n", "name")
    )
    levels = []
    for value, label in Level.choices:
        n = selectors.items_for_level(value).count()
        if n:
            levels.append({"value": value, "label": label, "count": n})
    person_events = [e for e in _counts("life_events", LIFE_EVENTS) if e["slug"] in _PERSON]
    business_events = [e for e in _counts("life_events", LIFE_EVENTS) if e["slug"] not in _PERSON]
    return {
        "themes": _counts("themes", THEMES),
        "person_events": person_events,
        "business_events": business_events,
        "departments": departments,
        "levels": levels,
        "total": active.count(),
        "max_query": MAX_QUERY_LENGTH,
    }


_PERSON = {
    "birth",
    "schooling",
    "work",
    "marriage",
    "home",
    "driving",
    "pets",
    "illness",
    "hardship",
    "retirement",
    "veteran",
    "after_death",
}


def search_page(request):
    q = (request.GET.get("q") or "").strip()
    kind = request.GET.get("kind") or ""
    context = {
        "q": q,
        "kind": kind,
        "items": [],
        "faqs": [],
        "error": "",
        "max_query": MAX_QUERY_LENGTH,
    }
    if q:
        try:
            if kind != "faq":
                context["items"] = run_search(q, kinds=indexing.ITEM, limit=SEARCH_LIMIT)
            if kind != "item":
                context["faqs"] = run_search(q, kinds=indexing.FAQ, limit=8)
        except ValidationFailed as exc:
            context["error"] = str(exc.message)
    return render(request, "catalog/public/search.html", context)


def guide(request, pk):
    item = get_object_or_404(selectors.active_items(), pk=pk)
    version = selectors.published_version(item)
    levels = [
        e.get_level_display()
        for e in item.levels.filter(status=LevelStatus.APPROVED).order_by("level")
    ]
    context = {
        "item": item,
        "version": version,
        "levels": levels,
        "service_objects": [
            ServiceObject(o).label for o in item.service_objects if o in ServiceObject.values
        ],
        "themes": [THEMES_BY_SLUG[s] for s in item.theme_list if s in THEMES_BY_SLUG],
        "events": [
            LIFE_EVENTS_BY_SLUG[s] for s in item.life_event_list if s in LIFE_EVENTS_BY_SLUG
        ],
        "halls": item.halls.filter(is_active=True)
        .select_related("region")
        .order_by("region__code")[:12],
    }
    if version is not None:
        from yiwang.accounts.models import Role

        steps = list(version.steps.select_related("department").order_by("position"))
        for s in steps:
            s.role_label = Role(s.role).label if s.role in Role.values else ""
        context.update(
            {
                "materials": list(version.materials.select_related("proof").order_by("position")),
                "steps": steps,
                "handling_forms": [
                    HandlingForm(f).label
                    for f in version.handling_forms
                    if f in HandlingForm.values
                ],
                "faqs": indexing.faq_pairs(version.faq),
                "steps_total": sum(s.days for s in steps),
            }
        )
    return render(request, "catalog/public/guide.html", context)
