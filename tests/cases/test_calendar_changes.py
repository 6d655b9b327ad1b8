"""Deadlines follow the calendar: a date in a year whose holidays are not
entered yet is pending (待定) and never blocks acceptance; importing the year
or changing a day recomputes the stored dates."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.cases import services
from yiwang.cases.models import Status
from yiwang.core import calendar_services

pytestmark = pytest.mark.django_db(transaction=True)


def accepted(w, walk_in, clock, day, capture):
    clock.set_day(day)
    case = services.create_draft(w.item, by=w.county_clerk, applicant=walk_in)
    case = services.submit(case, by=w.county_clerk)
    with capture(execute=True):
        return services.accept(case, by=w.county_clerk)


def test_a_deadline_in_an_uncovered_year_is_pending_until_the_year_is_imported(
    world, walk_in, clock, django_capture_on_commit_callbacks
):
    w = world
    # Accepted Tuesday 15 Dec 2026: 10 working days end on 29 Dec; 20 run into 2027,
    # which the holiday library does not cover.
    case = accepted(w, walk_in, clock, dt.date(2026, 12, 15), django_capture_on_commit_callbacks)
    assert case.status == Status.ACCEPTED
    assert case.promised_due == dt.date(2026, 12, 29)
    assert case.statutory_due is None and services.deadlines_pending(case)
    assert case.events.get(action="accept").data == {"deadline_pending": True}
    # The county enters 2027 (here: New Year's Day off, and nothing else).
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.import_year(
            2027, [("2027-01-01", "休", "元旦")], source="国办发明电〔2026〕测试", by=None
        )
    case.refresh_from_db()
    # 20 working days from 15 Dec 2026: 12 left in Dec (16–31), then Jan 4–8 and 11–13.
    assert case.statutory_due == dt.date(2027, 1, 13)
    assert not services.deadlines_pending(case)


def test_a_local_rest_day_moves_the_deadlines_after_it(
    world, walk_in, clock, django_capture_on_commit_callbacks
):
    w = world
    case = accepted(w, walk_in, clock, dt.date(2026, 3, 2), django_capture_on_commit_callbacks)
    assert case.promised_due == dt.date(2026, 3, 16)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.set_override(dt.date(2026, 3, 10), False, "县级停电停工", by=None)
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 3, 17)
    assert case.steps.get(state="active").due_on == dt.date(2026, 3, 9)  # before the change
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.set_override(dt.date(2026, 3, 4), False, "县级停电停工", by=None)
    case.refresh_from_db()
    assert case.steps.get(state="active").due_on == dt.date(2026, 3, 11)  # 3, 5, 6, 9, 11 Mar
    assert case.promised_due == dt.date(2026, 3, 18)
    # A change after every deadline moves nothing.
    before = (case.promised_due, case.statutory_due)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.set_override(dt.date(2026, 6, 1), False, "另一调整", by=None)
    case.refresh_from_db()
    assert (case.promised_due, case.statutory_due) == before
