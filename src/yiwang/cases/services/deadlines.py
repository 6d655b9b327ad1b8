"""Deadlines in working days (or natural days, as the item says), from the
day of acceptance, the stored suspensions (特别程序, art. 45) and the approved
extensions (art. 42); recomputed from them, never shifted by hand."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from yiwang.catalog.codesets import TimeUnit
from yiwang.core import calendar
from yiwang.core.audit import record

from ..models import Case, ExtensionStatus, Status, StepState
from . import clock
from .base import _lock

ONE_DAY = dt.timedelta(days=1)


def max_extension_days() -> int:
    return int(getattr(settings, "YIWANG_MAX_EXTENSION_DAYS", 10))


def pauses(case: Case, until: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
    """The suspended intervals as closed date ranges: from the day a special
    procedure started to the day before it ended (the clock runs again on
    the day of resumption). A running one lasts until ``until`` (today)."""
    until = until or clock.today()
    spans = []
    for s in case.suspensions.all():
        last = (s.ended_on - ONE_DAY) if s.ended_on else until
        if last >= s.started_on:
            spans.append((s.started_on, last))
    return spans


def _due(start: dt.date, days: int, unit: str, spans) -> dt.date:
    if unit == TimeUnit.NATURAL_DAY:
        end = start + dt.timedelta(days=days)
        for first, last in sorted(spans):
            if last >= start and first <= end:
                end += (min(last, end) - max(first, start)) + ONE_DAY
        return end
    return calendar.deadline(start, days, spans)


def extension_days(case: Case) -> int:
    return sum(e.days for e in case.extensions.all() if e.status == ExtensionStatus.APPROVED)


def recompute_deadlines(case: Case) -> None:
    """Set the promised and statutory ends and every running step's due date
    from ``accepted_on``, the stored suspensions and the approved extensions.
    Idempotent: whatever happened in between, the result is the same.

    A date that falls in a year whose holidays are not entered yet is left
    empty (待定) rather than guessed, and never blocks the move: the case is
    accepted all the same, and the dates are filled in when the year's
    schedule is imported (``core.calendar_changed``, see ``handlers``)."""
    if case.accepted_on is None:
        case.promised_due = case.statutory_due = None
        return
    spans = pauses(case)

    def due(start, days, unit=TimeUnit.WORKING_DAY):
        try:
            return _due(start, days, unit, spans)
        except calendar.CalendarNotCovered:
            return None

    if case.promised_days is not None:
        case.promised_due = due(case.accepted_on, case.promised_days, case.time_unit)
    if case.statutory_days is not None:
        case.statutory_due = due(
            case.accepted_on, case.statutory_days + extension_days(case), case.time_unit
        )
    for step in case.steps.all():
        if step.state == StepState.ACTIVE and step.started_on:
            step_due = due(step.started_on, step.days)
            if step_due != step.due_on:
                step.due_on = step_due
                step.save(update_fields=["due_on"])


def deadlines_pending(case: Case) -> bool:
    """True when a limit is set but its date could not be computed yet."""
    return case.accepted_on is not None and (
        (case.promised_days is not None and case.promised_due is None)
        or (case.statutory_days is not None and case.statutory_due is None)
    )


def recompute_open_deadlines(since: dt.date | None = None, *, suspended: bool = False) -> int:
    """Recompute the stored deadlines of open, accepted cases whose dates are
    still pending (待定), plus those whose dates fall on or after ``since``
    (a calendar change from that day), plus — with ``suspended`` — every
    suspended one (its ends move as days pass). Each case is locked and saved
    on its own; a change is recorded in its audit stream. Returns how many
    changed."""
    from django.db.models import Q

    which = Q(statutory_due__isnull=True, statutory_days__isnull=False) | Q(
        promised_due__isnull=True, promised_days__isnull=False
    )
    if since is not None:
        which |= Q(statutory_due__gte=since) | Q(promised_due__gte=since)
    if suspended:
        which |= Q(status=Status.SUSPENDED)
    qs = Case.objects.filter(
        which,
        status__in=[Status.ACCEPTED, Status.IN_PROGRESS, Status.SUSPENDED],
        accepted_on__isnull=False,
    )
    count = 0
    for pk in qs.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            locked = _lock(Case(pk=pk))
            if locked.status not in (Status.ACCEPTED, Status.IN_PROGRESS, Status.SUSPENDED):
                continue
            before = {"promised_due": locked.promised_due, "statutory_due": locked.statutory_due}
            recompute_deadlines(locked)
            after = {"promised_due": locked.promised_due, "statutory_due": locked.statutory_due}
            if after != before:
                locked.save(update_fields=["promised_due", "statutory_due", "updated_at"])
                record(
                    actor=None,
                    action="cases.deadlines_recomputed",
                    target=locked,
                    before=before,
                    after=after,
                )
                count += 1
    return count


def refresh_suspended_deadlines() -> int:
    """The nightly job: suspended cases' ends move as days pass; pending ones
    may have become computable."""
    return recompute_open_deadlines(suspended=True)
