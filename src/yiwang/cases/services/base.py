"""What every move shares: input checks, the row lock with its revision
check, the party check, and the tail that saves the case, appends its
history, records the audit entry and emits ``cases.moved``; the documents a
move makes; the applicant's notifications."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _

from yiwang.accounts.scopes import in_scope, is_active_account
from yiwang.core import outbox
from yiwang.core.audit import record
from yiwang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yiwang.core.prepared import insert, prepared, together

from .. import lifecycle, parties
from ..models import Case, CaseDocument, CaseEvent, CaseStep, Notification, Status
from ..rules import CASE_SCOPE
from . import clock


def _invalid(field: str, message, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [message]})


def _text(value, field: str, label, *, required: bool = True, max_length: int = 2000) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(field, _("请填写%(label)s") % {"label": label}, "required")
    if len(text) > max_length:
        raise _invalid(field, _("%(label)s不能超过 %(n)s 个字") % {"label": label, "n": max_length})
    return text


def snapshot(case: Case) -> dict:
    return {
        "case_no": case.case_no,
        "status": case.status,
        "revision": case.revision,
        # Steps exist only once a case is accepted: no query before that.
        "step": getattr(parties.active_step(case), "name", "") if case.accepted_on else "",
        "accepted_on": case.accepted_on,
        "promised_due": case.promised_due,
        "statutory_due": case.statutory_due,
    }


@prepared(uuid.UUID)
def _locked(pk):
    """The case row locked for the move, with what moves read (the
    department: the notices print it; every move runs it: compiled once)."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related(
            "item", "version", "hall__region", "issue_hall__region", "region", "department"
        )
        .filter(pk=pk)
    )


@prepared(uuid.UUID)
def _last_event(case_pk):
    return CaseEvent.objects.filter(case_id=case_pk).only("seq", "to_status").order_by("-seq")[:1]


def _lock(case: Case, expected_revision: int | None = None) -> Case:
    locked = _locked.first(case.pk)
    if locked is None:
        raise NotFound(_("办件不存在"), code="not_found")
    if expected_revision is not None and int(expected_revision) != locked.revision:
        raise Conflict(
            _("办件已被他人更新（当前修订号 %(now)s，您看到的是 %(seen)s），请刷新后重试")
            % {"now": locked.revision, "seen": expected_revision},
            code="case.stale",
        )
    return locked


def _authorise(case: Case, action: str, by) -> lifecycle.Transition:
    """Scope first (outside it: 404), then the status (409), then the party (403)."""
    if by is not None and not in_scope(by, case, CASE_SCOPE):
        raise NotFound(_("办件不存在"), code="not_found")
    transition = lifecycle.check_status(case, action)
    if not parties.may(by, case, transition):
        raise Forbidden(
            _("您不能对此办件执行「%(action)s」") % {"action": transition.label},
            code="case.forbidden",
        )
    return transition


def _require_editable(case: Case, by) -> Case:
    case = _lock(case)
    if by is None or not in_scope(by, case, CASE_SCOPE):
        raise NotFound(_("办件不存在"), code="not_found")
    if case.status not in (Status.DRAFT, Status.RECEIVED, Status.CORRECTING):
        raise Conflict(_("办件已受理，材料和申请表不能再修改"), code="case.not_editable")
    if not (parties.is_applicant(by, case) or parties.is_clerk(by, case)):
        raise Forbidden(_("您不能修改此办件"), code="case.forbidden")
    return case


def _append_event(
    case: Case,
    action: str,
    from_status: str,
    *,
    by,
    opinion: str = "",
    step: CaseStep | None = None,
    data: dict | None = None,
) -> CaseEvent:
    found = _last_event.first(case.pk)
    last = (found.seq, found.to_status) if found else None
    if last is not None and last[1] != from_status:
        # The status column and the history disagree: refuse rather than guess.
        raise Conflict(
            _("办件状态与办理轨迹不一致，请联系系统管理员"), code="case.history_mismatch"
        )
    event = CaseEvent(
        case=case,
        seq=(last[0] if last else 0) + 1,
        action=action,
        from_status=from_status,
        to_status=case.status,
        national_code=lifecycle.national_code(action, case.status),
        actor=by,
        actor_name=(by.real_name or by.username) if by else _("系统"),
        at=clock.now(),
        step_name=step.name if step else "",
        opinion=opinion,
        data=data or {},
    )
    insert(event)
    return event


def _commit_move(
    case: Case,
    action: str,
    before: dict,
    *,
    by,
    opinion: str = "",
    step: CaseStep | None = None,
    data: dict | None = None,
) -> CaseEvent:
    """Save the case, append its history, audit and emit: the tail of every move."""
    from_status = before["status"]
    case.revision += 1
    case.save()
    with together():  # the audit entry, the outbox event and its deliveries: one statement
        event = _append_event(
            case, action, from_status, by=by, opinion=opinion, step=step, data=data
        )
        after = snapshot(case)
        record(
            actor=by,
            action=f"cases.{action}",
            target=case,
            before=before,
            after={**after, "opinion": opinion, **({"data": data} if data else {})},
        )
        _emit_moved(case, event)
    return event


def _emit_moved(case: Case, event: CaseEvent) -> None:
    outbox.emit(
        "cases.moved",
        {
            "case": str(case.pk),
            "event": str(event.pk),
            "case_no": case.case_no,
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
        },
        key=f"cases.case:{case.pk}",
    )


def _document(case: Case, kind: str, content: dict) -> CaseDocument:
    from ..documents import create_document

    return create_document(case, kind, {"date": clock.today(), **content}, at=clock.now())


def mark_notifications_read(user, *, case: Case | None = None) -> int:
    """Mark the user's unread notifications (of one case, or all) as read."""
    if not is_active_account(user):
        return 0
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if case is not None:
        qs = qs.filter(case=case)
    return qs.update(read_at=clock.now())
