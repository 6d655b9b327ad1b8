"""The back office: claim (签收), pass, return, hand over and deny a step;
special procedures (特别程序) and extensions (延长审批)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.accounts.models import User
from yiwang.accounts.scopes import is_active_account
from yiwang.core.errors import Conflict

from .. import parties
from ..models import (
    Case,
    Extension,
    ExtensionStatus,
    Status,
    StepKind,
    StepState,
    Suspension,
    SuspensionKind,
)
from . import clock
from .base import _authorise, _commit_move, _invalid, _lock, _text, snapshot
from .deadlines import extension_days, max_extension_days, recompute_deadlines
from .results import _conclude
from .steps import _activate, _active, _finish_step, _first_step


@transaction.atomic
def claim(case: Case, *, by, expected_revision: int | None = None) -> Case:
    """accepted → in progress: an approver takes the step (签收)."""
    case = _lock(case, expected_revision)
    _authorise(case, "claim", by)
    step = _active(case)
    before = snapshot(case)
    step.assignee = by
    step.save(update_fields=["assignee"])
    case.status = Status.IN_PROGRESS
    _commit_move(case, "claim", before, by=by, step=step)
    return case


@transaction.atomic
def pass_step(case: Case, *, by, opinion: str = "", expected_revision: int | None = None) -> Case:
    """The active step passes; the next back-office step starts, or — after
    the last — the case concludes approved and its result document is made."""
    case = _lock(case, expected_revision)
    _authorise(case, "pass", by)
    opinion = _text(opinion, "opinion", _("意见"), required=False)
    step = _active(case)
    before = snapshot(case)
    _finish_step(step, by, "pass", opinion)
    nxt = _first_step(case, StepKind.REVIEW)
    if nxt is not None:
        _activate(nxt, clock.today())
        case.status = Status.IN_PROGRESS
        recompute_deadlines(case)
        _commit_move(
            case, "pass", before, by=by, opinion=opinion, step=step, data={"next": nxt.name}
        )
        return case
    case.status = Status.IN_PROGRESS
    _commit_move(case, "pass", before, by=by, opinion=opinion, step=step)
    _conclude(case, by=by, approved=True, opinion=opinion)
    return case


@transaction.atomic
def return_step(case: Case, *, by, opinion: str, expected_revision: int | None = None) -> Case:
    """Send the case back to the previous back-office step, with reasons."""
    case = _lock(case, expected_revision)
    _authorise(case, "return", by)
    opinion = _text(opinion, "opinion", _("退回理由"))
    step = _active(case)
    previous = (
        case.steps.filter(kind=StepKind.REVIEW, position__lt=step.position, state=StepState.DONE)
        .order_by("-position")
        .first()
    )
    if previous is None:
        raise Conflict(_("已是第一个审批环节，不能再退回"), code="case.no_previous_step")
    before = snapshot(case)
    _finish_step(step, by, "return", opinion, state=StepState.PENDING)
    step.assignee = None
    step.started_on = step.started_at = step.due_on = None
    step.save()
    previous_owner = previous.finished_by
    _activate(previous, clock.today())
    previous.assignee = previous_owner
    previous.save(update_fields=["assignee"])
    recompute_deadlines(case)
    _commit_move(
        case, "return", before, by=by, opinion=opinion, step=step, data={"to": previous.name}
    )
    return case


@transaction.atomic
def handover(
    case: Case, *, by, to, opinion: str = "", expected_revision: int | None = None
) -> Case:
    """Hand the active step to another approver of its department (转交)."""
    case = _lock(case, expected_revision)
    _authorise(case, "handover", by)
    step = _active(case)
    if not isinstance(to, User):
        to = User.objects.filter(pk=to).first() if to else None
    if (
        to is None
        or not is_active_account(to)
        or not parties.approves_department(to, step.department_id or case.department_id)
    ):
        raise _invalid("to", _("只能转交给本部门的审批人员"), "case.handover_target")
    before = snapshot(case)
    step.assignee = to
    step.save(update_fields=["assignee"])
    case.status = Status.IN_PROGRESS
    _commit_move(
        case,
        "handover",
        before,
        by=by,
        opinion=opinion,
        step=step,
        data={"to": to.real_name or to.username},
    )
    return case


@transaction.atomic
def deny(case: Case, *, by, reasons: str, expected_revision: int | None = None) -> Case:
    """Conclude not approved (办结·不通过), with the reasons."""
    case = _lock(case, expected_revision)
    _authorise(case, "deny", by)
    reasons = _text(reasons, "reasons", _("不予许可的理由"))
    step = _active(case)
    _finish_step(step, by, "deny", reasons)
    _conclude(case, by=by, approved=False, opinion=reasons, action="deny", step=step)
    return case


@transaction.atomic
def suspend(
    case: Case, *, by, kind: str, reason: str, expected_revision: int | None = None
) -> Case:
    """Start a special procedure (特别程序): the clock stops from today."""
    case = _lock(case, expected_revision)
    _authorise(case, "suspend", by)
    if kind not in SuspensionKind.values:
        raise _invalid("kind", _("特别程序种类无效"))
    reason = _text(reason, "reason", _("启动特别程序的理由"))
    step = _active(case)
    before = snapshot(case)
    Suspension.objects.create(
        case=case,
        kind=kind,
        reason=reason,
        started_on=clock.today(),
        started_at=clock.now(),
        started_by=by,
    )
    case.status = Status.SUSPENDED
    recompute_deadlines(case)
    _commit_move(
        case,
        "suspend",
        before,
        by=by,
        opinion=reason,
        step=step,
        data={"kind": kind, "kind_label": str(SuspensionKind(kind).label)},
    )
    return case


@transaction.atomic
def resume(case: Case, *, by, result: str = "", expected_revision: int | None = None) -> Case:
    """End the special procedure: the clock runs again from today, and every
    deadline moves by the working days it was stopped."""
    case = _lock(case, expected_revision)
    _authorise(case, "resume", by)
    result = _text(result, "result", _("特别程序结果"), required=False)
    running = case.suspensions.filter(ended_on__isnull=True).first()
    before = snapshot(case)
    if running is not None:
        running.ended_on, running.ended_at, running.ended_by = clock.today(), clock.now(), by
        running.result = result
        running.save()
    case.status = Status.IN_PROGRESS
    recompute_deadlines(case)
    _commit_move(
        case,
        "resume",
        before,
        by=by,
        opinion=result,
        step=case.steps.filter(state=StepState.ACTIVE).first(),
    )
    return case


@transaction.atomic
def request_extension(
    case: Case, *, by, days: int, reason: str, expected_revision: int | None = None
) -> Extension:
    """Ask for more time on the statutory period (延长审批, art. 42: at most
    10 working days; configurable). Another approver of the department decides."""
    case = _lock(case, expected_revision)
    _authorise(case, "request_extension", by)
    limit = max_extension_days() - extension_days(case)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise _invalid("days", _("请填写延长的工作日数")) from None
    if days < 1 or days > limit:
        raise _invalid(
            "days",
            _("延长天数须在 1 到 %(n)s 个工作日之间") % {"n": max(limit, 0)},
            "case.extension_days",
        )
    if case.extensions.filter(status=ExtensionStatus.REQUESTED).exists():
        raise Conflict(_("已有一项延长申请等待批准"), code="case.extension_pending")
    reason = _text(reason, "reason", _("延长理由"))
    before = snapshot(case)
    ext = Extension.objects.create(
        case=case, days=days, reason=reason, requested_by=by, requested_at=clock.now()
    )
    _commit_move(case, "request_extension", before, by=by, opinion=reason, data={"days": days})
    return ext


@transaction.atomic
def decide_extension(
    case: Case, *, by, approve: bool, note: str = "", expected_revision: int | None = None
) -> Extension:
    case = _lock(case, expected_revision)
    ext = case.extensions.filter(status=ExtensionStatus.REQUESTED).first()
    if ext is None:
        raise Conflict(_("没有等待批准的延长申请"), code="case.no_pending_extension")
    _authorise(case, "decide_extension", by)
    before = snapshot(case)
    ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    ext.decided_by, ext.decided_at = by, clock.now()
    ext.decision_note = _text(note, "note", _("批准意见"), required=not approve)
    ext.save()
    recompute_deadlines(case)
    _commit_move(
        case,
        "decide_extension",
        before,
        by=by,
        opinion=ext.decision_note,
        data={"days": ext.days, "approved": bool(approve)},
    )
    return ext
