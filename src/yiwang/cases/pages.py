"""Case pages for applicants and staff.

Portal (citizens, enterprises): apply for an item (/cases/apply/<item>/),
resume a draft (/cases/<id>/edit/), my cases (/cases/mine/), notifications
(/cases/notifications/), and the case detail (/cases/<id>/) with withdrawal
and corrections.

Workbench (staff): the front desk (/cases/desk/) with the walk-in form
(/cases/apply/<item>/ again, for a clerk or a village agent), the approver's
queue (/cases/queue/), the case search (/cases/search/), and the same case
detail with a form for every move the lifecycle table lets the user take.

Every change goes through ``cases.services``; a lifecycle move goes through
the moves table (``cases.moves``), which it shares with the API: the form is
validated by the move's serializer and handed to the move's service. A
refused move re-renders the page with the message on the form it came from,
and changes nothing. Out of scope is 404, exactly like a case that does not exist.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.accounts.decorators import public_login_required, staff_required
from yiwang.accounts.models import AccountKind, Role, User
from yiwang.accounts.scopes import get_scoped_object_or_404, has_role, roles_of
from yiwang.catalog import selectors as catalog
from yiwang.catalog.codesets import MaterialSource
from yiwang.catalog.models import ServiceItem
from yiwang.core import calendar
from yiwang.core.errors import Conflict, ServiceError
from yiwang.regions.models import Hall

from . import lifecycle, moves, parties, selectors, services
from .models import (
    Case,
    Delivery,
    ExtensionStatus,
    Notification,
    Status,
    StepKind,
    SuspensionKind,
)
from .rules import CASE_SCOPE

DESK_ROLES = (Role.CLERK, Role.AGENT)
SEARCH_ROLES = (
    Role.CLERK,
    Role.AGENT,
    Role.APPROVER,
    Role.SUPERVISOR,
    Role.HOTLINE,
    Role.SYSADMIN,
)
# Moves whose form starts folded (the usual next step stays open).
SECONDARY_ACTIONS = (
    "refuse",
    "request_corrections",
    "return",
    "handover",
    "deny",
    "suspend",
    "request_extension",
    "attach",
    "withdraw",
)
DANGER_ACTIONS = ("refuse", "deny", "withdraw")

# Badge colours of the statuses (Tabler's light variants).
STATUS_BADGES = {
    Status.DRAFT: "bg-secondary-lt",
    Status.RECEIVED: "bg-azure-lt",
    Status.CORRECTING: "bg-orange-lt",
    Status.ACCEPTED: "bg-blue-lt",
    Status.IN_PROGRESS: "bg-blue-lt",
    Status.SUSPENDED: "bg-yellow-lt",
    Status.APPROVED: "bg-green-lt",
    Status.DENIED: "bg-red-lt",
    Status.REFUSED: "bg-red-lt",
    Status.CANCELLED: "bg-secondary-lt",
    Status.WITHDRAWN: "bg-secondary-lt",
}

# Timeline labels of the moves that are not offered as buttons.
EXTRA_LABELS = {
    "create": gettext_lazy("创建申请"),
    "conclude": gettext_lazy("办结"),
}


def action_label(action: str) -> str:
    if action in EXTRA_LABELS:
        return str(EXTRA_LABELS[action])
    transition = lifecycle.TRANSITIONS.get(action) or lifecycle.SYSTEM_MOVES.get(action)
    return str(transition.label) if transition else action


def is_staff(user) -> bool:
    return getattr(user, "kind", None) == AccountKind.STAFF


def role_required(*roles):
    """A verified staff member holding one of ``roles``; anyone else 404."""

    def decorator(view):
        @staff_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def case_page_required(view):
    """Staff must have passed TOTP (the workbench guard); applicants need a login."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        guard = staff_required if is_staff(request.user) else public_login_required
        return guard(view)(request, *args, **kwargs)

    return wrapper


def _case(request, case_id) -> Case:
    qs = Case.objects.select_related(
        "item", "version", "hall__region", "issue_hall__region", "region", "department"
    )
    return get_scoped_object_or_404(request, qs, CASE_SCOPE, pk=case_id)


def _errors(exc: ServiceError) -> dict:
    """``{"form": message, field: [messages]}`` for the template."""
    out = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    out["form"] = str(exc.message)
    return out


def light(due_on: dt.date | None, today: dt.date) -> str:
    """The deadline light of a step: red when overdue, yellow when due
    within 2 working days, green otherwise."""
    if due_on is None:
        return "green"
    if due_on < today:
        return "red"
    try:
        left = calendar.workdays_between(today, due_on)
    except ServiceError:  # a year the calendar does not cover: say so by colour
        return "yellow"
    return "yellow" if left <= 2 else "green"


LIGHT_LABELS = {
    "red": gettext_lazy("已超期"),
    "yellow": gettext_lazy("即将到期"),
    "green": gettext_lazy("正常"),
}


# ---------------------------------------------------------------------------
# Applying (online, walk-in at a window, or 代办 by a village agent)


def _issue_halls_for(hall_choices: list[Hall]) -> list[Hall]:
    """Halls a result may be issued at: those offering the item and the halls
    of the regions above them (the service checks the path)."""
    seen = {h.pk: h for h in hall_choices}
    for h in list(hall_choices):
        region = h.region.parent
        while region is not None:
            for up in Hall.objects.filter(region=region, is_active=True):
                seen.setdefault(up.pk, up)
            region = region.parent
    order = {"county": 0, "town": 1, "village": 2}
    halls = list(seen.values())
    for h in halls:
        h.region  # noqa: B018 - load for sorting
    return sorted(halls, key=lambda h: (order.get(h.region.level, 9), h.region.code, h.name))


def _material_rows(version, case=None, errors=None):
    uploaded = {}
    if case is not None:
        for m in case.materials.filter(is_current=True):
            uploaded.setdefault(m.requirement_id, []).append(m)
    rows = []
    for m in version.materials.order_by("position"):
        rows.append(
            {
                "req": m,
                "field": f"m-{m.pk}",
                "upload": m.source == MaterialSource.APPLICANT,
                "uploaded": uploaded.get(m.pk, []),
                "error": (errors or {}).get(f"m-{m.pk}", []),
            }
        )
    return rows


def _store_uploads(case, request, version, errors: dict) -> None:
    """Add every uploaded file; collect the refusals per input."""
    for m in version.materials.all():
        for upload in request.FILES.getlist(f"m-{m.pk}"):
            try:
                services.add_material(case, by=request.user, requirement=m.pk, upload=upload)
            except ServiceError as exc:
                errors.setdefault(f"m-{m.pk}", []).append(str(exc.message))


class _Rollback(Exception):
    pass


@case_page_required
def apply(request, item_id):
    """申请: a citizen or enterprise for themselves, or a clerk / village
    agent for a walk-in applicant (applicant name, ID number, phone)."""
    item = get_object_or_404(ServiceItem, pk=item_id, is_active=True)
    version = catalog.published_version(item)
    if version is None:
        raise Http404
    staff = is_staff(request.user)
    if staff and not has_role(request.user, *DESK_ROLES):
        raise Http404
    hall_choices = services.halls_offering(item)
    desk_halls = []
    if staff:
        desk_halls = [
            r.hall
            for r in roles_of(request.user, *DESK_ROLES)
            if r.hall_id and r.hall in hall_choices
        ]
    errors: dict = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        submit = "submit" in request.POST
        hall = None
        hall_id = request.POST.get("hall")
        if hall_id:
            hall = next((h for h in (desk_halls or hall_choices) if str(h.pk) == hall_id), None)
            if hall is None:
                errors["hall"] = [_("请选择可以受理该事项的大厅")]
        applicant = None
        if staff:
            applicant = {
                "kind": request.POST.get("applicant_kind") or AccountKind.CITIZEN,
                "name": request.POST.get("applicant_name", ""),
                "id_number": request.POST.get("id_number", ""),
                "phone": request.POST.get("phone", ""),
            }
        elif request.POST.get("phone"):
            applicant = {"phone": request.POST.get("phone")}
        case = None
        if not errors:
            try:
                with transaction.atomic():
                    case = services.create_draft(
                        item,
                        by=request.user,
                        hall=hall,
                        applicant=applicant,
                        title=request.POST.get("title", ""),
                        delivery=request.POST.get("delivery") or Delivery.WINDOW,
                        issue_hall=request.POST.get("issue_hall") or None,
                        mail_address=request.POST.get("mail_address", ""),
                    )
                    _store_uploads(case, request, version, errors)
                    if errors:
                        raise _Rollback
                    if submit:
                        services.submit(case, by=request.user)
            except _Rollback:
                case = None
                errors["form"] = _("有材料未能上传，请按提示更换文件后重新提交")
            except ServiceError as exc:
                case = None
                errors.update(_errors(exc))
        if case is not None:
            if submit:
                messages.success(request, _("申请已提交，办件编号 %(no)s") % {"no": case.case_no})
            else:
                messages.success(request, _("草稿已保存，可以随时继续填写"))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/apply.html",
        {
            "item": item,
            "version": version,
            "staff": staff,
            "base": "web/workbench.html" if staff else "web/portal.html",
            "halls": desk_halls if staff else hall_choices,
            "issue_halls": _issue_halls_for(desk_halls or hall_choices),
            "deliveries": Delivery.choices,
            "kinds": [
                (AccountKind.CITIZEN, _("自然人")),
                (AccountKind.ENTERPRISE, _("法人（企业）")),
            ],
            "materials": _material_rows(version, errors=errors),
            "data": data,
            "errors": errors,
            "max_mb": services.max_upload_bytes() // 1048576,
        },
        status=400 if errors else 200,
    )


@case_page_required
def edit_draft(request, case_id):
    """Resume a draft: change the title, add materials, submit."""
    case = _case(request, case_id)
    if case.status != Status.DRAFT:
        return redirect("cases:detail", case_id=case.pk)
    staff = is_staff(request.user)
    errors: dict = {}
    if request.method == "POST":
        submit = "submit" in request.POST
        try:
            with transaction.atomic():
                services.update_draft(case, by=request.user, title=request.POST.get("title", ""))
                _store_uploads(case, request, case.version, errors)
                if errors:
                    raise _Rollback
                if submit:
                    services.submit(
                        case,
                        by=request.user,
                        expected_revision=request.POST.get("revision") or None,
                    )
        except _Rollback:
            errors["form"] = _("有材料未能上传，请按提示更换文件后重新提交")
        except ServiceError as exc:
            errors.update(_errors(exc))
        else:
            case.refresh_from_db()
            if submit:
                messages.success(request, _("申请已提交，办件编号 %(no)s") % {"no": case.case_no})
            else:
                messages.success(request, _("草稿已保存"))
            return redirect("cases:detail", case_id=case.pk)
        case.refresh_from_db()
    return render(
        request,
        "cases/edit_draft.html",
        {
            "case": case,
            "staff": staff,
            "base": "web/workbench.html" if staff else "web/portal.html",
            "materials": _material_rows(case.version, case, errors),
            "missing": services.missing_materials(case),
            "errors": errors,
            "data": request.POST if request.method == "POST" else {"title": case.title},
            "max_mb": services.max_upload_bytes() // 1048576,
        },
        status=400 if errors else 200,
    )


# ---------------------------------------------------------------------------
# The applicant's pages


@public_login_required
def mine(request):
    qs = (
        Case.objects.filter(applicant=request.user)
        .select_related("item", "hall")
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(
        request,
        "cases/mine.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "badges": STATUS_BADGES,
            "unread": unread,
        },
    )


@public_login_required
def notifications(request):
    if request.method == "POST":
        services.mark_notifications_read(request.user)
        return redirect("cases:notifications")
    qs = (
        Notification.objects.filter(user=request.user)
        .select_related("case", "case__item")
        .order_by("-created_at")
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    base = "web/workbench.html" if is_staff(request.user) else "web/portal.html"
    return render(request, "cases/notifications.html", {"page": page, "base": base})


# ---------------------------------------------------------------------------
# The case detail and its moves


def _approvers_for_handover(case, user) -> list[User]:
    step = parties.active_step(case)
    if step is None:
        return []
    dept = step.department_id or case.department_id
    return list(
        User.objects.filter(
            roles__role=Role.APPROVER,
            roles__department_id=dept,
            roles__is_active=True,
            status="active",
        )
        .exclude(pk=user.pk)
        .distinct()
        .order_by("real_name", "username")
    )


def _event_rows(case):
    rows = []
    for e in case.events.all().order_by("seq"):
        details = []
        data = e.data or {}
        for entry in data.get("items") or []:
            details.append(f"{entry.get('material', '')}：{entry.get('reason', '')}")
        if data.get("kind_label"):
            # The stored label is in the language of whoever moved the case.
            kind = data.get("kind")
            label = (
                SuspensionKind(kind).label if kind in SuspensionKind.values else data["kind_label"]
            )
            details.append(_("特别程序：%(kind)s") % {"kind": label})
        if data.get("next"):
            details.append(_("转入环节：%(step)s") % {"step": data["next"]})
        if data.get("to") and e.action in ("return", "handover"):
            details.append(_("转至：%(to)s") % {"to": data["to"]})
        if data.get("days"):
            details.append(_("延长 %(n)s 个工作日") % {"n": data["days"]})
        if "approved" in data:
            details.append(_("已批准") if data["approved"] else _("未批准"))
        if data.get("tracking_no"):
            details.append(_("快递单号：%(no)s") % {"no": data["tracking_no"]})
        if data.get("signed_by"):
            details.append(_("领取人：%(name)s") % {"name": data["signed_by"]})
        if data.get("method"):
            details.append(
                _("出件方式：%(m)s") % {"m": Delivery(data["method"]).label}
                if data["method"] in Delivery.values
                else data["method"]
            )
        rows.append(
            {
                "event": e,
                "label": action_label(e.action),
                "status": Status(e.to_status).label if e.to_status in Status.values else "",
                "details": details,
            }
        )
    return rows


def _latest_notifications(user, case, n: int = 3) -> list:
    return list(Notification.objects.filter(user=user, case=case).order_by("-created_at")[:n])


def _detail_context(request, case, *, failed: str = "", errors=None, posted=None) -> dict:
    user = request.user
    staff = is_staff(user)
    # Moves this page has a form for (another app's move appears once it has one).
    pending_ext = case.extensions.filter(status=ExtensionStatus.REQUESTED).first()
    actions = [
        t
        for t in parties.allowed_actions(user, case)
        if t.action in moves.MOVES and (t.action != "decide_extension" or pending_ext)
    ]
    names = [t.action for t in actions]
    today = services.clock.today()
    steps = list(case.steps.select_related("department", "assignee").order_by("position"))
    for s in steps:
        s.light = light(s.due_on, today) if s.state == "active" else ""
    notice = case.corrections.filter(resolved_at__isnull=True).order_by("-issued_at").first()
    correction_rows = [
        {"item": entry, "field": f"c-{i}", "error_key": f"files.{i}"}
        for i, entry in enumerate(notice.items if notice else [])
    ]
    return {
        "case": case,
        "staff": staff,
        "base": "web/workbench.html" if staff else "web/portal.html",
        "badge": STATUS_BADGES.get(case.status, "bg-secondary-lt"),
        "steps": steps,
        "events": _event_rows(case),
        "documents": case.documents.order_by("created_at"),
        "materials": case.materials.filter(is_current=True).order_by("uploaded_at"),
        "corrections": case.corrections.order_by("issued_at"),
        "correction_rows": correction_rows,
        "open_notice": notice,
        "suspensions": case.suspensions.order_by("started_at"),
        "extensions": case.extensions.order_by("requested_at"),
        "pending_extension": pending_ext,
        "notifications": [] if staff else _latest_notifications(user, case),
        "actions": actions,
        "action_names": names,
        "secondary_actions": SECONDARY_ACTIONS,
        "danger_actions": DANGER_ACTIONS,
        "failed": failed,
        "errors": errors or {},
        "field_messages": [
            m for key, msgs in (errors or {}).items() if key != "form" for m in msgs
        ],
        "posted": posted or {},
        "material_names": [m.name for m in case.version.materials.order_by("position")],
        "correction_form_rows": range(moves.CORRECTION_ROWS),
        "suspension_kinds": SuspensionKind.choices,
        "deliveries": Delivery.choices,
        "handover_to": _approvers_for_handover(case, user) if "handover" in names else [],
        "max_extension": services.max_extension_days() - services.extension_days(case),
        "today": today,
        "light_labels": LIGHT_LABELS,
        "is_applicant": parties.is_applicant(user, case),
        "missing": services.missing_materials(case) if case.status == Status.DRAFT else [],
    }


@case_page_required
def detail(request, case_id):
    case = _case(request, case_id)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@case_page_required
@require_POST
def move(request, case_id, action):
    """One lifecycle move from the detail page's form of that move."""
    case = _case(request, case_id)
    entry = moves.MOVES.get(action)
    if entry is None:
        raise Http404
    if _int_or_none(request.POST.get("revision")) is None:
        return _refused(
            request, case, action, Conflict(_("页面缺少修订号，请刷新后重试"), code="case.stale")
        )
    try:
        moves.run(case, action, entry.form(request), by=request.user, **entry.extra(request))
    except ServiceError as exc:
        return _refused(request, case, action, exc)
    messages.success(request, str(entry.done))
    return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]) + f"#{action}")


def _refused(request, case, action, exc: ServiceError):
    case = _case(request, case.pk)  # fresh: nothing was changed
    messages.error(request, str(exc.message))
    context = _detail_context(
        request, case, failed=action, errors=_errors(exc), posted=request.POST
    )
    return render(request, "cases/detail.html", context, status=exc.status)


# ---------------------------------------------------------------------------
# The workbench: front desk, queue, search


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


__all__ = [
    "apply",
    "desk",
    "detail",
    "edit_draft",
    "mine",
    "move",
    "notifications",
    "queue",
    "search",
    "StepKind",
]
