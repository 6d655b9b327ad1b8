"""The working-day calendar: properties against a day-by-day oracle built on
chinese_calendar itself, known facts, coverage errors, overrides, imported
years, deadlines with pauses, caching and the admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar as cc
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.core import calendar as cal
from yiwang.core import calendar_services as services
from yiwang.core.audit import AuditEntry
from yiwang.core.calendar import (
    CalendarNotCovered,
    CalendarOverride,
    CalendarRevision,
    CalendarYear,
    add_workdays,
    deadline,
    is_workday,
    next_workday,
    previous_workday,
    to_local_date,
    workdays_between,
)
from yiwang.core.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed

DAY = timedelta(days=1)
PROPS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
    max_examples=150,
)
# Far enough from the library's edges (2004-01-01 .. 2026-12-31) for n <= 60.
forward_dates = st.dates(date(2004, 1, 1), date(2026, 8, 31))
backward_dates = st.dates(date(2004, 5, 1), date(2026, 12, 31))
any_dates = st.dates(date(2004, 1, 1), date(2026, 12, 31))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(request):
    # test_leak_* check that nothing stale survives a test without this help.
    if request.node.name.startswith("test_leak_"):
        yield
        return
    cal.clear_cache()
    yield
    cal.clear_cache()


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(
        username="calendar-admin", password="x", kind="staff"
    )


# --------------------------------------------------------------------------- the oracle


def oracle_is_workday(d: date, overrides: dict[date, bool] | None = None) -> bool:
    if overrides and d in overrides:
        return overrides[d]
    return cc.is_workday(d)


def oracle_add(d: date, n: int, overrides=None) -> date:
    if n == 0:
        return d if oracle_is_workday(d, overrides) else oracle_add(d, 1, overrides)
    step = DAY if n > 0 else -DAY
    found, cur = 0, d
    while found < abs(n):
        cur += step
        found += oracle_is_workday(cur, overrides)
    return cur


def oracle_between(a: date, b: date, overrides=None) -> int:
    if b < a:
        return -oracle_between(b, a, overrides)
    return sum(oracle_is_workday(a + DAY * i, overrides) for i in range(1, (b - a).days + 1))


def db_overrides() -> dict[date, bool]:
    return dict(CalendarOverride.objects.values_list("date", "is_workday"))


# --------------------------------------------------------------------------- known facts


def test_national_day_2025_and_its_make_up_days():
    for day in range(1, 9):
        assert not is_workday(date(2025, 10, day)), f"2025-10-0{day} is a holiday"
    assert is_workday(date(2025, 9, 28))  # a Sunday, make-up working day
    assert is_workday(date(2025, 10, 11))  # a Saturday, make-up working day
    assert is_workday(date(2025, 10, 9))
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_workdays(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert workdays_between(date(2025, 9, 26), date(2025, 10, 10)) == 5
    assert next_workday(date(2025, 9, 30)) == date(2025, 10, 9)
    assert previous_workday(date(2025, 10, 9)) == date(2025, 9, 30)


def test_spring_festival_2026_agrees_with_chinese_calendar():
    start = date(2026, 1, 1)
    for i in range(120):
        d = start + DAY * i
        assert is_workday(d) == cc.is_workday(d), d
    # As published: 15–23 February off, Saturdays 14 and 28 February worked.
    assert not any(is_workday(date(2026, 2, day)) for day in range(15, 24))
    assert is_workday(date(2026, 2, 14)) and is_workday(date(2026, 2, 28))
    assert add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_zero_and_negative_n():
    assert add_workdays(date(2025, 10, 9), 0) == date(2025, 10, 9)  # a working day: itself
    assert add_workdays(date(2025, 10, 1), 0) == date(2025, 10, 9)  # a holiday: the next one
    assert add_workdays(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert add_workdays(date(2025, 10, 9), -2) == date(2025, 9, 29)
    assert workdays_between(date(2025, 10, 10), date(2025, 9, 26)) == -5
    assert workdays_between(date(2025, 10, 10), date(2025, 10, 10)) == 0


def test_crossing_years_and_library_edges():
    assert add_workdays(date(2025, 12, 31), 1) == date(2026, 1, 4)  # 1–3 Jan off, Sun 4 worked
    # 2003 is not covered, but its last day is never counted.
    assert add_workdays(date(2003, 12, 31), 1) == oracle_add(date(2003, 12, 31), 1)
    assert workdays_between(date(2003, 12, 31), date(2004, 1, 9)) == oracle_between(
        date(2004, 1, 1), date(2004, 1, 9)
    ) + (1 if cc.is_workday(date(2004, 1, 1)) else 0)
    with pytest.raises(CalendarNotCovered):
        is_workday(date(2003, 12, 31))
    with pytest.raises(CalendarNotCovered):
        add_workdays(date(2004, 1, 1), -1)


# --------------------------------------------------------------------------- properties


@PROPS
@given(d=forward_dates, n=st.integers(1, 60))
def test_add_workdays_lands_on_a_workday_n_workdays_later(d, n):
    result = add_workdays(d, n)
    assert result > d
    assert is_workday(result)
    assert workdays_between(d, result) == n
    assert result == oracle_add(d, n)
    assert add_workdays(d, n + 1) > result  # strictly monotonic in n


@PROPS
@given(d=backward_dates, n=st.integers(-60, 0))
def test_add_workdays_backwards_and_zero(d, n):
    result = add_workdays(d, n)
    assert is_workday(result)
    assert result == oracle_add(d, n)
    if n == 0:
        assert result >= d and workdays_between(d, result) == (0 if is_workday(d) else 1)
    else:
        assert result < d


@PROPS
@given(a=any_dates, b=any_dates)
def test_workdays_between_counts_half_open_interval(a, b):
    count = workdays_between(a, b)
    assert count == oracle_between(a, b)
    assert count == -workdays_between(b, a)


@PROPS
@given(d=any_dates)
def test_is_workday_and_next_workday_match_the_library(d):
    assert is_workday(d) == cc.is_workday(d)
    if d < date(2026, 12, 1):
        nxt = next_workday(d)
        assert nxt > d and is_workday(nxt)
        assert all(not is_workday(d + DAY * i) for i in range(1, (nxt - d).days))


@PROPS
@given(
    d=forward_dates,
    n=st.integers(1, 40),
    changes=st.lists(
        st.tuples(st.integers(0, 60), st.booleans()),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    ),
)
def test_overrides_are_respected(d, n, changes):
    for offset, workday in changes:
        services.set_override(d + DAY * offset, workday, "property test")
    overrides = db_overrides()
    for offset, workday in changes:
        assert is_workday(d + DAY * offset) is workday
    assert add_workdays(d, n) == oracle_add(d, n, overrides)
    assert workdays_between(d, d + DAY * 70) == oracle_between(d, d + DAY * 70, overrides)


# --------------------------------------------------------------------------- deadlines


def pause_strategy():
    return st.lists(
        st.tuples(st.integers(-5, 80), st.integers(0, 20)), max_size=4
    )  # (offset from start, length in days)


@PROPS
@given(d=forward_dates, n=st.integers(0, 40))
def test_deadline_without_pauses_is_add_workdays(d, n):
    assert deadline(d, n) == add_workdays(d, n)
    assert deadline(d, n, []) == add_workdays(d, n)


@PROPS
@given(d=forward_dates, n=st.integers(1, 40), data=st.data())
def test_a_pause_inside_the_period_moves_the_deadline_by_its_working_days(d, n, data):
    original = add_workdays(d, n)
    span = (original - d).days
    first = d + DAY * data.draw(st.integers(1, span))
    last = first + DAY * data.draw(st.integers(0, (original - first).days))
    k = workdays_between(first - DAY, last)
    moved = deadline(d, n, [(first, last)])
    assert moved == add_workdays(original, k)
    assert workdays_between(original, moved) == k


@PROPS
@given(d=forward_dates, n=st.integers(0, 30), raw=pause_strategy())
def test_deadline_matches_a_day_by_day_count(d, n, raw):
    pauses = [(d + DAY * off, d + DAY * (off + length)) for off, length in raw]

    def counted(day):
        return cc.is_workday(day) and not any(a <= day <= b for a, b in pauses)

    result = deadline(d, n, pauses)
    assert counted(result), "lands on a counted working day"
    if n == 0:
        expected = d
        while not counted(expected):
            expected += DAY
    else:
        expected, found = d, 0
        while found < n:
            expected += DAY
            found += counted(expected)
    assert result == expected


def test_deadline_conventions():
    start = date(2025, 9, 26)  # Friday
    assert deadline(start, 0, [(start, start)]) == date(2025, 9, 28)  # start paused
    # A pause before the start or after the deadline changes nothing.
    plain = deadline(start, 3)
    assert deadline(start, 3, [(date(2025, 9, 1), date(2025, 9, 20))]) == plain
    assert deadline(start, 3, [(plain + DAY, plain + DAY * 30)]) == plain
    # Overlapping and touching pauses count their working days once.
    one = deadline(start, 3, [(date(2025, 9, 28), date(2025, 9, 30))])
    assert (
        deadline(
            start,
            3,
            [(date(2025, 9, 28), date(2025, 9, 29)), (date(2025, 9, 29), date(2025, 9, 30))],
        )
        == one
    )
    assert one == add_workdays(plain, 3)
    with pytest.raises(ValueError):
        deadline(start, -1)
    with pytest.raises(ValueError):
        deadline(start, 3, [(date(2025, 9, 30), date(2025, 9, 28))])


# --------------------------------------------------------------------------- types and time zone


def test_to_local_date_uses_the_shanghai_day():
    assert to_local_date(datetime(2025, 9, 30, 16, 0, tzinfo=UTC)) == date(2025, 10, 1)
    assert to_local_date(datetime(2025, 9, 30, 15, 59, tzinfo=UTC)) == date(2025, 9, 30)
    assert cal.local_today(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)) == date(2026, 1, 1)
    with pytest.raises(ValueError):
        to_local_date(datetime(2025, 9, 30, 16, 0))
    with pytest.raises(TypeError):
        to_local_date(date(2025, 9, 30))


def test_datetimes_are_refused_where_a_date_is_expected():
    with pytest.raises(TypeError):
        is_workday(datetime(2025, 10, 1, 1, tzinfo=UTC))
    with pytest.raises(TypeError):
        add_workdays(datetime(2025, 10, 1, tzinfo=UTC), 1)
    with pytest.raises(TypeError):
        workdays_between(date(2025, 10, 1), datetime(2025, 10, 9, tzinfo=UTC))


# --------------------------------------------------------------------------- coverage


def test_a_year_no_source_covers_raises_a_clear_error():
    with pytest.raises(CalendarNotCovered) as caught:
        is_workday(date(2027, 1, 4))  # a Monday: no weekend-only guess
    err = caught.value
    assert isinstance(err, ServiceError)
    assert err.code == "calendar_year_not_covered" and err.year == 2027
    assert "2027 年的节假日安排尚未录入" in str(err.message)
    assert "yiwang calendar import-year 2027" in str(err.message)
    assert err.as_dict()["code"] == "calendar_year_not_covered"
    with pytest.raises(CalendarNotCovered):
        add_workdays(date(2026, 12, 31), 1)
    with pytest.raises(CalendarNotCovered):
        add_workdays(date(2026, 12, 20), 30)  # the walk crosses into 2027
    with pytest.raises(CalendarNotCovered):
        workdays_between(date(2026, 12, 1), date(2027, 1, 5))
    with pytest.raises(CalendarNotCovered):
        deadline(date(2026, 12, 20), 5, [(date(2026, 12, 21), date(2026, 12, 31))])
    # An override alone does not make a year covered.
    services.set_override(date(2027, 1, 4), False, "县庆")
    with pytest.raises(CalendarNotCovered):
        is_workday(date(2027, 1, 5))
    assert not cal.is_year_covered(2027)
    assert cal.coverage(2025).source.startswith("chinesecalendar")


ROWS_2027 = [
    ("2027-01-01", "holiday", "元旦"),
    ("2027-02-06", "休", "春节"),
    ("2027-02-08", "休", "春节"),
    ("2027-02-09", "休", "春节"),
    ("2027-02-07", "班", "春节调休上班"),
]


def test_leak_1_an_imported_year_becomes_covered():
    is_workday(date(2026, 6, 1))  # the shared cache is in use
    services.import_year(2027, ROWS_2027, source="国办发明电〔2026〕1号")
    assert cal.coverage(2027).covered and cal.coverage(2027).source.startswith("local")
    assert not is_workday(date(2027, 1, 1))  # a Friday holiday
    assert is_workday(date(2027, 1, 4))  # an ordinary Monday
    assert not is_workday(date(2027, 1, 2))  # an ordinary Saturday
    assert is_workday(date(2027, 2, 7))  # a make-up Sunday
    assert not is_workday(date(2027, 2, 8))
    assert add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 7)
    assert add_workdays(date(2027, 2, 7), 1) == date(2027, 2, 10)
    with pytest.raises(CalendarNotCovered):
        add_workdays(date(2027, 12, 31), 1)  # 2028 is still not covered


def test_leak_2_the_import_of_the_previous_test_did_not_leak():
    # The import above was rolled back with its test: 2027 is uncovered again,
    # even though no one cleared the cache in between.
    with pytest.raises(CalendarNotCovered):
        is_workday(date(2027, 1, 4))
    assert add_workdays(date(2026, 12, 30), 1) == date(2026, 12, 31)


@PROPS
@given(d=st.dates(date(2027, 1, 1), date(2027, 10, 31)), n=st.integers(1, 40))
def test_imported_year_properties(d, n):
    if not CalendarYear.objects.filter(year=2027).exists():
        services.import_year(2027, ROWS_2027, source="test")
    overrides = db_overrides()

    def local(day):
        return overrides.get(day, day.weekday() < 5)

    result = add_workdays(d, n)
    assert local(result)
    assert workdays_between(d, result) == n
    expected, found = d, 0
    while found < n:
        expected += DAY
        found += local(expected)
    assert result == expected


# --------------------------------------------------------------------------- services


def test_set_and_remove_override_are_audited(admin_user):
    day = date(2025, 10, 9)
    services.set_override(day, False, "县庆放假", by=admin_user)
    assert not is_workday(day)
    services.set_override(day, False, "县庆放假（更正）", by=admin_user)
    override = CalendarOverride.objects.get(date=day)
    assert override.reason == "县庆放假（更正）" and override.created_by == "calendar-admin"
    services.remove_override(day, by=admin_user)
    assert is_workday(day)
    entries = list(AuditEntry.objects.filter(stream="core.calendar:2025-10-09").order_by("seq"))
    assert [e.action for e in entries] == [
        "calendar.override.set",
        "calendar.override.set",
        "calendar.override.remove",
    ]
    assert entries[1].before["reason"] == "县庆放假" and entries[1].after["is_workday"] is False
    assert entries[0].actor_name == "calendar-admin"
    with pytest.raises(NotFound):
        services.remove_override(day, by=admin_user)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((date(1999, 12, 31), True, "x"), "date"),
        ((date(2100, 1, 1), True, "x"), "date"),
        ((datetime(2025, 1, 1, tzinfo=UTC), True, "x"), "date"),
        ((date(2025, 1, 1), "yes", "x"), "is_workday"),
        ((date(2025, 1, 1), True, "  "), "reason"),
        ((date(2025, 1, 1), True, "长" * 201), "reason"),
    ],
)
def test_set_override_validates(args, field):
    with pytest.raises(ValidationFailed) as caught:
        services.set_override(*args)
    assert field in caught.value.fields
    assert not CalendarOverride.objects.exists()
    assert not AuditEntry.objects.exists()


def test_only_administrators_edit_the_calendar(django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", password="x", kind="staff")
    with pytest.raises(Forbidden):
        services.set_override(date(2025, 10, 9), False, "x", by=clerk)
    with pytest.raises(Forbidden):
        services.import_year(2027, ROWS_2027, by=clerk, source="x")
    assert not CalendarOverride.objects.exists()


def test_a_bad_import_is_rejected_wholesale_naming_lines():
    rows = services.read_year_csv(
        "date,kind,name\n"
        "2027-01-01,休,元旦\n"
        "2027-02-30,休,春节\n"  # line 3: no such date
        "2027-02-06,maybe,春节\n"  # line 4: bad kind
        "2027-01-01,休,元旦\n"  # line 5: duplicate of line 2
        "2028-01-01,休,元旦\n"  # line 6: another year
        "2027-02-08,班,调休\n"  # line 7: a Monday cannot be a make-up day
    )
    with pytest.raises(ValidationFailed) as caught:
        services.import_year(2027, rows, source="x")
    message = str(caught.value.message)
    assert "5 处错误" in message and "未做任何更改" in message
    for expected in (
        "第 3 行：日期“2027-02-30”无效",
        "第 4 行：类型“maybe”无效",
        "第 5 行：日期 2027-01-01 与第 2 行重复",
        "第 6 行：日期 2028-01-01 不在 2027 年内",
        "第 7 行：2027-02-08 是星期一",
    ):
        assert expected in message
    assert len(caught.value.fields["file"]) == 5
    assert not CalendarYear.objects.exists()
    assert not CalendarOverride.objects.exists()
    assert not AuditEntry.objects.exists()
    with pytest.raises(CalendarNotCovered):
        is_workday(date(2027, 1, 4))


def test_import_rules():
    with pytest.raises(Conflict):
        services.import_year(2026, ROWS_2027, source="x")  # the library knows 2026
    with pytest.raises(ValidationFailed):
        services.import_year(2027, [("2027-02-07", "班", "调休")], source="x")  # no holiday
    with pytest.raises(ValidationFailed):
        services.import_year(2027, ROWS_2027, source=" ")
    with pytest.raises(ValidationFailed):
        services.import_year(2207, ROWS_2027, source="x")
    services.import_year(2027, ROWS_2027, source="first")
    with pytest.raises(Conflict):
        services.import_year(2027, ROWS_2027, source="again")
    # Replacing swaps the imported rows; a manual override stays.
    services.set_override(date(2027, 3, 1), False, "县庆")
    services.import_year(2027, ROWS_2027[:2], source="second", replace=True)
    assert set(db_overrides()) == {date(2027, 1, 1), date(2027, 2, 6), date(2027, 3, 1)}
    assert is_workday(date(2027, 2, 8)) and not is_workday(date(2027, 3, 1))
    assert CalendarYear.objects.get(year=2027).source == "second"
    services.remove_year(2027)
    assert set(db_overrides()) == {date(2027, 3, 1)}
    with pytest.raises(CalendarNotCovered):
        is_workday(date(2027, 1, 4))
    actions = set(
        AuditEntry.objects.filter(stream="core.calendar:2027").values_list("action", flat=True)
    )
    assert actions == {"calendar.year.import", "calendar.year.replace", "calendar.year.remove"}


def test_import_conflicting_with_a_manual_override_is_refused():
    services.set_override(date(2027, 2, 7), False, "县里不调休")
    with pytest.raises(ValidationFailed) as caught:
        services.import_year(2027, ROWS_2027, source="x")
    assert "第 5 行：2027-02-07 已由管理员设为休息日" in str(caught.value.message)
    assert not CalendarYear.objects.exists()
    # The same kind as the manual override is fine: the manual row stays.
    services.set_override(date(2027, 2, 7), True, "调休上班")
    services.import_year(2027, ROWS_2027, source="x")
    assert CalendarOverride.objects.get(date=date(2027, 2, 7)).year_import is None


def test_read_year_csv_handles_bom_gbk_comments_and_header():
    text = "\ufeffdate,kind,name\n# 国办发明电\n\n2027-01-01,休,元旦\n2027-02-07,班,春节调休\n"
    rows = services.read_year_csv(text.encode("utf-8"))
    assert [(r.line, r.date, r.kind, r.name) for r in rows] == [
        (4, "2027-01-01", "休", "元旦"),
        (5, "2027-02-07", "班", "春节调休"),
    ]
    assert services.read_year_csv(text.replace("\ufeff", "").encode("gb18030")) == rows


# --------------------------------------------------------------------------- cache


def test_repeated_calls_are_served_from_memory(django_assert_num_queries, settings):
    settings.YIWANG_CALENDAR_CHECK_SECONDS = 3600
    add_workdays(date(2025, 3, 1), 20)  # warm: reads the revision and 2025
    with django_assert_num_queries(0):
        for i in range(2000):
            add_workdays(date(2025, 3, 1) + DAY * (i % 200), 20)
            is_workday(date(2025, 3, 1) + DAY * (i % 200))


def test_the_cache_is_cleared_when_an_override_commits(
    django_capture_on_commit_callbacks, settings
):
    settings.YIWANG_CALENDAR_CHECK_SECONDS = 3600
    day = date(2025, 10, 9)
    assert is_workday(day)  # cached
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.set_override(day, False, "县庆")
    assert callbacks, "the service registers an on-commit invalidation"
    assert not is_workday(day)
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 10)


@pytest.mark.django_db(transaction=True)
def test_a_committed_override_is_seen_at_once(settings):
    settings.YIWANG_CALENDAR_CHECK_SECONDS = 3600  # only the on-commit hook can help
    day = date(2025, 10, 9)
    assert is_workday(day)  # cached
    services.set_override(day, False, "县庆")  # commits (autocommit mode)
    assert not is_workday(day)
    services.remove_override(day)
    assert is_workday(day)


def test_uncommitted_writes_are_seen_and_rolled_back_cleanly(settings):
    settings.YIWANG_CALENDAR_CHECK_SECONDS = 3600
    day = date(2025, 10, 9)
    assert is_workday(day)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.set_override(day, False, "县庆")
        assert not is_workday(day)  # the writing transaction sees its own change
        raise RuntimeError("roll back")
    assert is_workday(day)  # and the rollback leaves nothing stale behind


def test_other_processes_notice_through_the_revision_token(settings):
    day = date(2025, 10, 9)
    settings.YIWANG_CALENDAR_CHECK_SECONDS = 3600
    assert is_workday(day)
    # Another process writes and bumps the token (simulated without the service).
    CalendarOverride.objects.create(date=day, is_workday=False, reason="elsewhere")
    CalendarRevision.objects.update_or_create(pk=1, defaults={"token": "other-process"})
    assert is_workday(day), "within the check interval the cached year is used"
    settings.YIWANG_CALENDAR_CHECK_SECONDS = 0
    cal._cache.checked_at = float("-inf")  # as if the interval had passed
    assert not is_workday(day)


# --------------------------------------------------------------------------- admin


def admin_login(client, user):
    """The admin wants a staff session that passed the TOTP check."""
    from tests.accounts.conftest import verified_login
    from tests.accounts.factories import add_totp

    add_totp(user)
    return verified_login(client, user)


def test_admin_goes_through_the_services(client, admin_user):
    admin_login(client, admin_user)
    resp = client.post(
        "/admin/core/calendaroverride/add/",
        {"date": "2025-10-09", "is_workday": "", "reason": "县庆"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert AuditEntry.objects.filter(action="calendar.override.set").count() == 1
    assert not is_workday(date(2025, 10, 9))
    override = CalendarOverride.objects.get(date=date(2025, 10, 9))
    resp = client.post(f"/admin/core/calendaroverride/{override.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert AuditEntry.objects.filter(action="calendar.override.remove").count() == 1
    assert is_workday(date(2025, 10, 9))


def test_admin_imports_a_year_from_a_file(client, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin_login(client, admin_user)
    bad = SimpleUploadedFile("2027.csv", "2027-01-01,休,元旦\n2027-13-01,休,x\n".encode())
    resp = client.post(
        "/admin/core/calendaryear/add/", {"year": "2027", "source": "国办", "file": bad}
    )
    assert resp.status_code == 200 and "第 2 行" in resp.content.decode()
    assert not CalendarYear.objects.exists()
    good = SimpleUploadedFile("2027.csv", "2027-01-01,休,元旦\n2027-02-07,班,调休\n".encode())
    resp = client.post(
        "/admin/core/calendaryear/add/", {"year": "2027", "source": "国办", "file": good}
    )
    assert resp.status_code == 302
    assert CalendarYear.objects.get(year=2027).overrides.count() == 2
    assert is_workday(date(2027, 2, 7))
    year = CalendarYear.objects.get(year=2027)
    resp = client.post(f"/admin/core/calendaryear/{year.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert not CalendarYear.objects.exists() and not CalendarOverride.objects.exists()


def test_audit_entries_are_read_only_in_the_admin(client, admin_user):
    admin_login(client, admin_user)
    services.set_override(date(2025, 10, 9), False, "县庆", by=admin_user)
    entry = AuditEntry.objects.get()
    assert client.get("/admin/core/auditentry/").status_code == 200
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert client.get(f"/admin/core/auditentry/{entry.pk}/delete/").status_code == 403
    resp = client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "forged"})
    assert resp.status_code == 403
    entry.refresh_from_db()
    assert entry.action == "calendar.override.set"
