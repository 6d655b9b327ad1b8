"""The workbench: the front desk (受理台), the approver's queue and the case
search."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yiwang.accounts.models import Role
from yiwang.accounts.scopes import roles_of
from yiwang.catalog import selectors as catalog
from yiwang.core import calendar
from yiwang.core.errors import ServiceError

from .. import parties, selectors, services
from ..models import Case, Status
from .common import DESK_ROLES, LIGHT_LABELS, SEARCH_ROLES, STATUS_BADGES, light, role_required


def _issuable(user) -> list[Case]:
    qs = (
        selectors.visible_cases(user)
        .filter(status__in=[Status.APPROVED, Status.DENIED], issued_at__isnull=True)
        .select_related("issue_hall__region")
        .order_by("concluded_at")[:200]
    )
    return [c for c in qs if parties.is_issuer(user, c)]


@role_required(*DESK_ROLES)
def desk(request):
    """受理台: received cases in scope (oldest first), results waiting to be
    issued, and the walk-in application's item picker."""
    user = request.user
    halls = [r.hall for r in roles_of(user, *DESK_ROLES) if r.hall_id]
    items = []
    seen = set()
    for hall in halls:
        for item in catalog.items_for_hall(hall).order_by("name"):
            if item.pk not in seen:
                seen.add(item.pk)
                items.append(item)
    if request.GET.get("item"):
        chosen = next((i for i in items if str(i.pk) == request.GET["item"]), None)
        if chosen is not None:
            return redirect("cases:apply", item_id=chosen.pk)
        messages.error(request, _("请选择本大厅可以受理的事项"))
    today = services.clock.today()
    received = list(selectors.desk_cases(user)[:200])
    for c in received:
        c.window_left = _correction_days_left(c, today)
    return render(
        request,
        "cases/desk.html",
        {
            "received": received,
            "issuable": _issuable(user),
            "items": items,
            "halls": halls,
            "badges": STATUS_BADGES,
        },
    )


def _correction_days_left(case, today) -> int | None:
    """Working days left to ask for corrections (5 from receipt, art. 32)."""
    if case.received_on is None:
        return None
    try:
        used = calendar.workdays_between(case.received_on, today)
    except ServiceError:
        return None
    return services.CORRECTION_WINDOW_DAYS - used


@role_required(Role.APPROVER)
def queue(request):
    """审批待办: most urgent first, with the deadline light."""
    today = services.clock.today()
    page = Paginator(selectors.queue(request.user), 50).get_page(request.GET.get("page"))
    rows = [{"step": s, "light": light(s.due_on, today)} for s in page]
    counts = {"red": 0, "yellow": 0, "green": 0}
    for r in rows:
        counts[r["light"]] += 1
    return render(
        request,
        "cases/queue.html",
        {
            "page": page,
            "rows": rows,
            "today": today,
            "counts": counts,
            "light_labels": LIGHT_LABELS,
            "badges": STATUS_BADGES,
        },
    )


@role_required(*SEARCH_ROLES)
def search(request):
    q = request.GET.get("q", "").strip()[:100]
    page = None
    if q:
        page = Paginator(selectors.search(request.user, q).order_by("-created_at"), 30).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "cases/search.html",
        {"q": q, "page": page, "badges": STATUS_BADGES},
    )
