"""Property: whatever special procedures a case went through, its promised end
is the day on which exactly the promised number of working days, outside the
suspended intervals, have run since acceptance."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.cases import services
from yiwang.cases.models import Status
from yiwang.core import calendar

ONE = dt.timedelta(days=1)


def _counted(start, end, spans):
    """Working days d with start < d <= end outside every span (counted independently)."""
    n, d = 0, start + ONE
    while d <= end:
        if calendar.is_workday(d) and not any(a <= d <= b for a, b in spans):
            n += 1
        d += ONE
    return n


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # Within the years the calendar covers (a deadline running into an uncovered
    # year is refused with a clear error, tested in tests/core).
    start=st.dates(min_value=dt.date(2026, 1, 5), max_value=dt.date(2026, 9, 30)),
    gaps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=6), st.integers(min_value=0, max_value=9)),
        max_size=3,
    ),
)
def test_promised_end_counts_only_running_working_days(world, walk_in, clock, start, gaps):
    w = world
    clock.set_day(start)
    case = services.create_draft(w.item, by=w.county_clerk, applicant=walk_in)
    case = services.submit(case, by=w.county_clerk)
    case = services.accept(case, by=w.county_clerk)
    day, spans = start, []
    for wait, length in gaps:
        day += dt.timedelta(days=wait)
        clock.set_day(day)
        case = services.suspend(case, by=w.approver, kind="expert_review", reason="专家评审")
        end = day + dt.timedelta(days=length)
        clock.set_day(end)
        case = services.resume(case, by=w.approver, result="完成")
        if end > day:
            spans.append((day, end - ONE))
        day = end
    case.refresh_from_db()
    assert case.status in (Status.ACCEPTED, Status.IN_PROGRESS)
    due = case.promised_due
    assert calendar.is_workday(due) and not any(a <= due <= b for a, b in spans)
    assert _counted(case.accepted_on, due, spans) == case.promised_days
    assert _counted(case.accepted_on, due - ONE, spans) == case.promised_days - 1
    assert _counted(case.accepted_on, case.statutory_due, spans) == case.statutory_days
