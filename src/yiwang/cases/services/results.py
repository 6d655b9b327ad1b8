"""Conclusion (办结), handing out the result (出件) and withdrawal."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import calendar
from yiwang.core.errors import Conflict

from .. import lifecycle
from ..models import Case, Delivery, DocumentKind, Status, StepKind, StepState
from . import clock
from .base import _authorise, _commit_move, _document, _invalid, _lock, _text, snapshot
from .steps import _activate, _finish_step, _first_step


def _conclude(
    case: Case, *, by, approved: bool, opinion: str, action: str = "conclude", step=None
) -> None:
    """The case concludes: the status, the on-time flag, the result document,
    and the delivery steps start (the result goes to the chosen window)."""
    before = snapshot(case)
    at = clock.now()
    day = calendar.to_local_date(at)
    case.status = Status.APPROVED if approved else Status.DENIED
    case.concluded_at = at
    case.result_note = opinion
    case.concluded_on_time = case.promised_due is None or day <= case.promised_due
    for s in case.steps.filter(state=StepState.PENDING, kind=StepKind.REVIEW):
        s.state = StepState.SKIPPED
        s.save(update_fields=["state"])
    delivery = _first_step(case, StepKind.DELIVERY)
    if delivery is not None:
        _activate(delivery, day)
    _commit_move(case, action, before, by=by, opinion=opinion, step=step)
    _document(
        case,
        DocumentKind.APPROVAL if approved else DocumentKind.DENIAL,
        {"opinion": opinion, "result_name": case.version.result_name},
    )


@transaction.atomic
def issue(
    case: Case,
    *,
    by,
    method: str | None = None,
    signed_by: str = "",
    tracking_no: str = "",
    expected_revision: int | None = None,
) -> Case:
    """Hand out the result (出件): at the window against a signature (a signed
    receipt is made), by mail with its tracking number, or for download."""
    case = _lock(case, expected_revision)
    _authorise(case, "issue", by)
    if case.issued_at is not None:
        raise Conflict(_("办理结果已出件"), code="case.already_issued")
    method = method or case.delivery
    if method not in Delivery.values:
        raise _invalid("method", _("出件方式无效"))
    data = {"method": method}
    if method == Delivery.WINDOW:
        case.receipt_signed_by = _text(signed_by, "signed_by", _("领取人姓名"), max_length=100)
        data["signed_by"] = case.receipt_signed_by
    elif method == Delivery.MAIL:
        tracking_no = _text(tracking_no, "tracking_no", _("快递单号"), max_length=40)
        if not tracking_no.isalnum():
            raise _invalid("tracking_no", _("快递单号只能包含字母和数字"))
        case.tracking_no = tracking_no
        data["tracking_no"] = tracking_no
    before = snapshot(case)
    case.delivery = method
    case.issued_at, case.issued_by = clock.now(), by
    for s in case.steps.filter(kind=StepKind.DELIVERY).exclude(state=StepState.DONE):
        _finish_step(s, by, "pass", "")
    _commit_move(case, "issue", before, by=by, data=data)
    if method == Delivery.WINDOW:
        _document(case, DocumentKind.RECEIPT, {"signed_by": case.receipt_signed_by})
    return case


@transaction.atomic
def withdraw(case: Case, *, by, reason: str = "", expected_revision: int | None = None) -> Case:
    """The applicant withdraws before conclusion (已撤件 before acceptance, 撤回 after)."""
    case = _lock(case, expected_revision)
    transition = _authorise(case, "withdraw", by)
    reason = _text(reason, "reason", _("撤回理由"), required=False)
    before = snapshot(case)
    case.status = lifecycle.next_status(case, transition)
    case.concluded_at = clock.now()
    for s in case.steps.filter(state__in=[StepState.ACTIVE, StepState.PENDING]):
        s.state = StepState.SKIPPED
        s.save(update_fields=["state"])
    case.suspensions.filter(ended_on__isnull=True).update(
        ended_on=clock.today(), ended_at=clock.now()
    )
    _commit_move(case, "withdraw", before, by=by, opinion=reason)
    return case
