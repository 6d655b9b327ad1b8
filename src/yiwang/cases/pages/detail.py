"""The case detail and its moves: one form per move the lifecycle table
lets the user take, each validated and run through the moves table
(``cases.moves``, shared with the API)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.accounts.models import Role, User
from yiwang.core.errors import Conflict, ServiceError

from .. import moves, parties, services
from ..models import Delivery, ExtensionStatus, Notification, Status, SuspensionKind
from .common import (
    LIGHT_LABELS,
    STATUS_BADGES,
    _case,
    _errors,
    action_label,
    base_template,
    case_page_required,
    is_staff,
    light,
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
        "base": base_template(user),
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
