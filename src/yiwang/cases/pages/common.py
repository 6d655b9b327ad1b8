"""What the case pages share: who may see them, the case in scope, the
status badges and deadline lights, a refusal as the template's errors."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.http import Http404
from django.utils.translation import gettext_lazy

from yiwang.accounts.decorators import public_login_required, staff_required
from yiwang.accounts.models import AccountKind, Role
from yiwang.accounts.scopes import get_scoped_object_or_404, has_role
from yiwang.core import calendar
from yiwang.core.errors import ServiceError

from .. import lifecycle
from ..models import Case, Status
from ..rules import CASE_SCOPE

DESK_ROLES = (Role.CLERK, Role.AGENT)

SEARCH_ROLES = (
    Role.CLERK,
    Role.AGENT,
    Role.APPROVER,
    Role.SUPERVISOR,
    Role.HOTLINE,
    Role.SYSADMIN,
)

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


def base_template(user) -> str:
    """The frame a case page is drawn in: the workbench for staff, the
    portal for everyone else."""
    return "web/workbench.html" if is_staff(user) else "web/portal.html"


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
