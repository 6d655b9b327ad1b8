"""The front desk: accept (受理), refuse (不予受理), ask for corrections
once (一次性告知) and take them back; the 5-working-day rule of 行政许可法
art. 32 and the job that deems a case accepted after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.catalog.codesets import CaseType, TimeUnit
from yiwang.core import calendar
from yiwang.core.errors import Conflict, ServiceError, ValidationFailed

from ..models import Case, CorrectionNotice, DocumentKind, Status, StepKind
from . import clock
from .base import _authorise, _commit_move, _document, _lock, _text, snapshot
from .deadlines import deadlines_pending, recompute_deadlines
from .materials import add_material
from .results import _conclude
from .steps import _activate, _first_step, _instantiate_steps

# 行政许可法 art. 32: corrections must be asked within 5 working days of receipt.
CORRECTION_WINDOW_DAYS = 5


@transaction.atomic
def accept(case: Case, *, by, opinion: str = "", expected_revision: int | None = None) -> Case:
    """received → accepted (受理): the steps are laid out from the item's
    template, the clock starts, the acceptance notice is made. An instant
    item (即办件) concludes at the desk in the same move."""
    case = _lock(case, expected_revision)
    _authorise(case, "accept", by)
    before = snapshot(case)
    day = clock.today()
    case.status = Status.ACCEPTED
    case.accepted_at, case.accepted_by = clock.now(), by
    case.accepted_on = day
    if by is None and case.received_on:  # deemed accepted on receipt (art. 32)
        case.accepted_on = case.received_on
        case.deemed_accepted = True
    version = case.version
    case.promised_days = version.promised_days
    case.statutory_days = version.statutory_days
    case.time_unit = version.promised_unit or TimeUnit.WORKING_DAY
    _instantiate_steps(case, day, by)
    instant = version.case_type == CaseType.INSTANT
    if not instant:
        first = _first_step(case, StepKind.REVIEW)
        if first is not None:
            _activate(first, case.accepted_on)
    recompute_deadlines(case)
    _commit_move(
        case,
        "accept",
        before,
        by=by,
        opinion=_text(opinion, "opinion", _("意见"), required=False),
        data={"deadline_pending": True} if deadlines_pending(case) else None,
    )
    _document(case, DocumentKind.ACCEPTANCE, {"opinion": opinion})
    if instant:
        _conclude(case, by=by, approved=True, opinion=_("即办件，当场办结"))
    return case


@transaction.atomic
def refuse(case: Case, *, by, reasons: str, expected_revision: int | None = None) -> Case:
    """received → refused (不予受理), with the reasons the notice states."""
    case = _lock(case, expected_revision)
    _authorise(case, "refuse", by)
    reasons = _text(reasons, "reasons", _("不予受理的理由"))
    before = snapshot(case)
    case.status = Status.REFUSED
    case.concluded_at = clock.now()
    case.result_note = reasons
    _commit_move(case, "refuse", before, by=by, opinion=reasons)
    _document(case, DocumentKind.REFUSAL, {"reasons": reasons})
    return case


def correction_deadline_passed(case: Case, day: dt.date | None = None) -> bool:
    """More than 5 working days since receipt: corrections can no longer be
    asked; the case counts as accepted on receipt (行政许可法 art. 32)."""
    if case.received_on is None:
        return False
    return (
        calendar.workdays_between(case.received_on, day or clock.today()) > CORRECTION_WINDOW_DAYS
    )


@transaction.atomic
def request_corrections(
    case: Case, *, by, items: list, note: str = "", expected_revision: int | None = None
) -> Case:
    """received → correcting: one notice listing everything to correct
    (一次性告知). ``items``: [{"material": name, "reason": why}], at least one."""
    case = _lock(case, expected_revision)
    _authorise(case, "request_corrections", by)
    if correction_deadline_passed(case):
        raise Conflict(
            _(
                "收件已超过 5 个工作日，依法不能再要求补正，视为自收件之日起受理，请直接受理或不予受理"
            ),
            code="case.correction_window_passed",
        )
    cleaned = []
    errors = {}
    for i, entry in enumerate(items or []):
        entry = entry if isinstance(entry, dict) else {}
        material = str(entry.get("material") or "").strip()[:200]
        reason = str(entry.get("reason") or "").strip()[:500]
        if not material or not reason:
            errors[f"items.{i}"] = [_("每一项都须写明材料和补正要求")]
        cleaned.append({"material": material, "reason": reason})
    if not cleaned:
        errors["items"] = [_("请列出需要补正的全部材料（一次性告知）")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    before = snapshot(case)
    notice = CorrectionNotice.objects.create(
        case=case,
        items=cleaned,
        note=_text(note, "note", _("说明"), required=False),
        issued_by=by,
        issued_at=clock.now(),
    )
    case.status = Status.CORRECTING
    _commit_move(case, "request_corrections", before, by=by, opinion=note, data={"items": cleaned})
    _document(
        case, DocumentKind.CORRECTION, {"items": cleaned, "note": note, "notice": str(notice.pk)}
    )
    return case


@transaction.atomic
def supply_corrections(
    case: Case,
    *,
    by,
    note: str = "",
    files: Mapping[int, Sequence] | None = None,
    expected_revision: int | None = None,
) -> Case:
    """correcting → received: the corrected materials are in; the day of
    receipt is now (the 5-day window and the period run from it).

    ``files``: corrected files uploaded with the move, by the position of the
    notice item they answer; all are stored, or — one refused — none, and
    the case stays where it is."""
    case = _lock(case, expected_revision)
    _authorise(case, "supply_corrections", by)
    if files:
        _store_corrections(case, by, files)
    before = snapshot(case)
    CorrectionNotice.objects.filter(case=case, resolved_at__isnull=True).update(
        resolved_at=clock.now()
    )
    case.status = Status.RECEIVED
    case.received_on = clock.today()
    _commit_move(
        case,
        "supply_corrections",
        before,
        by=by,
        opinion=_text(note, "note", _("说明"), required=False),
    )
    return case


def _store_corrections(case: Case, by, files: Mapping[int, Sequence]) -> None:
    """Add each file as a material under the notice item it answers (the
    guide's requirement of that name, or a material named after the item)."""
    notice = case.corrections.filter(resolved_at__isnull=True).order_by("-issued_at").first()
    requirements = {m.name: m for m in case.version.materials.all()}
    errors: dict = {}
    for i, entry in enumerate(notice.items if notice else []):
        for upload in files.get(i, ()):
            req = requirements.get(entry.get("material", ""))
            try:
                add_material(
                    case,
                    by=by,
                    upload=upload,
                    requirement=req.pk if req else None,
                    name="" if req else entry.get("material", ""),
                )
            except ServiceError as exc:
                errors[f"files.{i}"] = [str(exc.message)]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)


def deem_accepted_overdue(day: dt.date | None = None) -> int:
    """The periodic job: cases left unanswered at the front desk for more
    than 5 working days are accepted as of their day of receipt."""
    day = day or clock.today()
    count = 0
    for case in Case.objects.filter(status=Status.RECEIVED).only("pk", "received_on"):
        if correction_deadline_passed(case, day):
            try:
                accept(case, by=None, opinion=_("收件后 5 个工作日内未告知补正，依法视为受理"))
                count += 1
            except Conflict:
                continue  # someone acted meanwhile
    return count
