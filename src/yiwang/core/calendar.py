"""The working-day calendar (工作日历).

Every deadline in the platform (cases, hotline tickets, rectifications) comes
from the functions here. Whether a date is a working day is decided by:

1. ``chinesecalendar`` — statutory holidays and make-up working days (调休) for
   the years its installed release knows (a new release follows each year's
   State Council notice);
2. :class:`CalendarYear` — a year the county declared covered itself (``yiwang
   calendar import-year``) before the library knows it. Its base rule is
   "Monday to Friday work, weekends rest", and the imported holidays and
   make-up days are stored as :class:`CalendarOverride` rows;
3. :class:`CalendarOverride` — an administrator's correction of single dates
   (a local holiday, a make-up working day), applied on top of 1 or 2.

A date in a year that neither 1 nor 2 covers raises :class:`CalendarNotCovered`.
There is no silent weekend-only guess.

Counting conventions (Administrative Licensing Law art. 82: periods count in
working days, statutory holidays excluded). Throughout, the *start date is
never counted*; intervals are half-open ``(start, end]``:

- ``add_workdays(d, n)``, n ≥ 1: the n-th working day after ``d``;
  n = 0: ``d`` itself if it is a working day, else the next working day;
  n < 0: the |n|-th working day before ``d``.
- ``workdays_between(a, b)``: working days in ``(a, b]``; ``-workdays_between(b, a)``
  when b < a. So ``workdays_between(d, add_workdays(d, n)) == n`` for n ≥ 1.
- ``deadline(start, n, pauses)``: like ``add_workdays`` but working days inside
  the pauses (closed date intervals, suspensions) are not counted.

Dates are calendar dates of the Shanghai day; turn an aware datetime into one
with :func:`to_local_date`. Passing a ``datetime`` where a date is expected is a
``TypeError`` (its UTC date may be the wrong day).

Caching: each year's working days are built once (a sorted list of ordinals,
so ``add_workdays`` is a bisect) and kept in memory. The service functions
(``calendar_services``) bump the :class:`CalendarRevision` token and clear the
cache on commit; every process re-reads the token at most every
``YIWANG_CALENDAR_CHECK_SECONDS`` (default 5) seconds, so other processes notice
within that time. Inside a transaction that has written calendar data but not
committed yet, reads bypass the shared cache and use a per-transaction one
(they see their own writes, and a rollback never leaves stale data in the
shared cache). Only writes through the services are noticed: never save the
calendar models directly.
"""

from __future__ import annotations

import threading
import time
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import ServiceError
from .ids import uuid7

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)
# Years an administrator may declare or correct (guards against typos such as 2207).
MIN_YEAR = 2000
MAX_YEAR = 2099
LIBRARY_SOURCE = "chinesecalendar " + getattr(chinese_calendar, "__version__", "")
DEFAULT_CHECK_SECONDS = 5.0


# --------------------------------------------------------------------------- models


class CalendarYear(models.Model):
    """A year the county declared covered itself (e.g. from the State Council's
    notice, before a chinesecalendar release knows the year)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=200)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.CharField(_("录入人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("本地节假日年度")
        verbose_name_plural = _("本地节假日年度")
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}（{self.source}）"


class CalendarOverride(models.Model):
    """One date whose working-day status the county sets itself. Rows created by
    an import keep a link to their :class:`CalendarYear`; manual ones have none."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    reason = models.CharField(_("原因"), max_length=200)
    year_import = models.ForeignKey(
        CalendarYear,
        verbose_name=_("所属导入年度"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="overrides",
    )
    created_by = models.CharField(_("设置人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["date"]

    def __str__(self):
        kind = gettext("工作日") if self.is_workday else gettext("休息日")
        return f"{self.date.isoformat()} {kind}"


class CalendarRevision(models.Model):
    """A single row whose token changes with every calendar edit, so that every
    process can tell cheaply whether its cached calendar is still current."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(_("版本标记"), max_length=32)
    changed_at = models.DateTimeField(_("变更时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历版本")
        verbose_name_plural = _("工作日历版本")

    def __str__(self):
        return self.token


# --------------------------------------------------------------------------- errors


class CalendarNotCovered(ServiceError):
    """No source covers the year: the holiday schedule has not been entered."""

    status = 409
    code = "calendar_year_not_covered"

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            gettext(
                "%(year)s 年的节假日安排尚未录入：请由管理员通过“yiwang calendar import-year "
                "%(year)s 文件”或后台录入国务院办公厅公布的放假安排。"
            )
            % {"year": year}
        )


# --------------------------------------------------------------------------- cache


@dataclass(frozen=True, slots=True)
class _Year:
    year: int
    first: int  # ordinal of 1 January
    last: int  # ordinal of 31 December
    flags: bytes  # flags[ordinal - first] == 1 for a working day
    workdays: list[int]  # sorted ordinals of the working days
    source: str


class _Cache:
    def __init__(self):
        self.years: dict[int, _Year] = {}
        self.token: str | None = None
        self.checked_at = float("-inf")
        self.interval = DEFAULT_CHECK_SECONDS


_cache = _Cache()
_library: dict[int, bool] = {}
# Threads whose current transaction has written calendar data not yet committed.
_pending_threads: set[int] = set()
_local = threading.local()


def clear_cache() -> None:
    """Forget every cached year in this process (and re-read the revision token
    on the next call). Services do this on commit; tests may call it."""
    _cache.years = {}
    _cache.token = None
    _cache.checked_at = float("-inf")


def library_covers(year: int) -> bool:
    """Whether the installed chinesecalendar knows the year's holidays."""
    known = _library.get(year)
    if known is None:
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
            known = True
        except NotImplementedError:
            known = False
        _library[year] = known
    return known


def _read_token() -> str:
    return CalendarRevision.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def _refresh(now: float) -> None:
    from django.conf import settings

    token = _read_token()
    if token != _cache.token:
        _cache.years = {}
        _cache.token = token
    _cache.checked_at = now
    _cache.interval = float(
        getattr(settings, "YIWANG_CALENDAR_CHECK_SECONDS", DEFAULT_CHECK_SECONDS)
    )


def _build_year(year: int) -> _Year:
    if not 1 <= year <= 9998:
        raise CalendarNotCovered(year)
    lib = library_covers(year)
    local = CalendarYear.objects.filter(year=year).values_list("source", flat=True).first()
    if not lib and local is None:
        raise CalendarNotCovered(year)
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    first, last = jan1.toordinal(), dec31.toordinal()
    if lib:
        flags = bytearray(
            chinese_calendar.is_workday(date.fromordinal(o)) for o in range(first, last + 1)
        )
        source = LIBRARY_SOURCE
    else:
        flags = bytearray(date.fromordinal(o).weekday() < 5 for o in range(first, last + 1))
        source = local
    for day, workday in CalendarOverride.objects.filter(date__range=(jan1, dec31)).values_list(
        "date", "is_workday"
    ):
        flags[day.toordinal() - first] = workday
    workdays = [first + i for i, flag in enumerate(flags) if flag]
    return _Year(year, first, last, bytes(flags), workdays, source)


def _pending_years() -> dict[int, _Year] | None:
    """The per-transaction cache while this thread's transaction holds
    uncommitted calendar writes, else None.

    The writes stay pending while the outermost transaction open at the time
    of the write is still open. Whenever the stack of atomic blocks differs
    from the one the per-transaction cache was filled under (a savepoint was
    released or rolled back), that cache is rebuilt from the database."""
    outer = getattr(_local, "outer", None)
    blocks = transaction.get_connection().atomic_blocks
    if outer is None or not blocks or blocks[0] is not outer():
        _forget_pending()
        return None
    stack = tuple(blocks)
    if stack != _local.stack:
        _local.stack = stack
        _local.years = {}
    return _local.years


def _forget_pending() -> None:
    _local.outer = None
    _local.stack = ()
    _local.years = {}
    _pending_threads.discard(threading.get_ident())


def _note_write() -> None:
    """Called by the services right after they write calendar data, inside
    their own ``transaction.atomic()`` block."""
    blocks = transaction.get_connection().atomic_blocks
    _local.outer = weakref.ref(blocks[0])
    _local.stack = ()
    _local.years = {}
    _pending_threads.add(threading.get_ident())
    transaction.on_commit(_committed)


def _committed() -> None:
    clear_cache()
    if not transaction.get_connection().in_atomic_block:
        _forget_pending()


def _year(year: int) -> _Year:
    if _pending_threads and threading.get_ident() in _pending_threads:
        local = _pending_years()
        if local is not None:
            data = local.get(year)
            if data is None:
                data = local[year] = _build_year(year)
            return data
    now = time.monotonic()
    if now - _cache.checked_at >= _cache.interval:
        _refresh(now)
    data = _cache.years.get(year)
    if data is None:
        data = _build_year(year)
        _cache.years[year] = data
    return data


# --------------------------------------------------------------------------- the API


def _check_date(value) -> None:
    if type(value) is not date and (not isinstance(value, date) or isinstance(value, datetime)):
        raise TypeError(
            f"a date is required, not {type(value).__name__}; use to_local_date() for datetimes"
        )


def to_local_date(dt: datetime) -> date:
    """The Shanghai calendar date of an aware datetime (the day boundary for
    working-day arithmetic). A naive datetime is a ``ValueError``."""
    if not isinstance(dt, datetime):
        raise TypeError(f"an aware datetime is required, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: its Shanghai day is unknown")
    return dt.astimezone(SHANGHAI).date()


def local_today(now: datetime | None = None) -> date:
    """Today's Shanghai date (``now`` injectable for tests; default the current time)."""
    from django.utils import timezone

    return to_local_date(now if now is not None else timezone.now())


def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day. Raises CalendarNotCovered for an uncovered year."""
    _check_date(d)
    data = _year(d.year)
    return data.flags[d.toordinal() - data.first] == 1


def add_workdays(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` not counted).

    n = 0 gives ``start`` if it is a working day, else the next working day;
    n < 0 gives the |n|-th working day before ``start``. Only the years the walk
    passes through must be covered."""
    _check_date(start)
    if not isinstance(n, int):
        raise TypeError("n must be an int")
    o = start.toordinal()
    if n > 0:
        try:
            data = _year(start.year)
            i = bisect_right(data.workdays, o)
        except CalendarNotCovered:
            if (start.month, start.day) != (12, 31):
                raise
            data, i = _year(start.year + 1), 0
        remaining = n
        while True:
            days = data.workdays
            if remaining <= len(days) - i:
                return date.fromordinal(days[i + remaining - 1])
            remaining -= len(days) - i
            data, i = _year(data.year + 1), 0
    if n == 0:
        return start if is_workday(start) else add_workdays(start, 1)
    try:
        data = _year(start.year)
        i = bisect_left(data.workdays, o)
    except CalendarNotCovered:
        if (start.month, start.day) != (1, 1):
            raise
        data = _year(start.year - 1)
        i = len(data.workdays)
    remaining = -n
    while True:
        if remaining <= i:
            return date.fromordinal(data.workdays[i - remaining])
        remaining -= i
        data = _year(data.year - 1)
        i = len(data.workdays)


def next_workday(d: date) -> date:
    """The first working day strictly after ``d`` (== ``add_workdays(d, 1)``)."""
    return add_workdays(d, 1)


def previous_workday(d: date) -> date:
    """The last working day strictly before ``d`` (== ``add_workdays(d, -1)``)."""
    return add_workdays(d, -1)


def workdays_between(start: date, end: date) -> int:
    """The number of working days in ``(start, end]``: start excluded, end
    included; 0 when equal; ``-workdays_between(end, start)`` when end < start."""
    _check_date(start)
    _check_date(end)
    if end < start:
        return -workdays_between(end, start)
    lo, hi = start.toordinal(), end.toordinal()
    if lo == hi:
        return 0
    year = start.year
    if (start.month, start.day) == (12, 31):  # nothing of the start year is counted
        year += 1
    total = 0
    while True:
        data = _year(year)
        total += bisect_right(data.workdays, min(hi, data.last)) - bisect_right(data.workdays, lo)
        if hi <= data.last:
            return total
        year += 1


def _merge(pauses: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    spans = []
    for pause in pauses:
        first, last = pause
        _check_date(first)
        _check_date(last)
        if last < first:
            raise ValueError(f"pause ends before it starts: {first} .. {last}")
        spans.append((first, last))
    spans.sort()
    merged: list[tuple[date, date]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + ONE_DAY:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def deadline(start: date, n: int, pauses: Iterable[tuple[date, date]] = ()) -> date:
    """The date by which n working days have run after ``start``, not counting
    the working days inside ``pauses``.

    ``start`` is not counted (the day of receipt; the period runs from the next
    working day). Each pause is a closed interval ``(first, last)`` of Shanghai
    dates, both included: every working day ``first <= d <= last`` is skipped
    (a suspension still running: pass today as ``last``; the deadline then moves
    as days pass). Pauses may overlap and may lie outside the period.

    The result is the working day, outside every pause, on which the n-th
    counted working day falls: with no pauses it equals ``add_workdays(start, n)``;
    a pause holding k working days between ``start`` and that date moves it by
    exactly k working days. n = 0 gives ``start`` if it is a counted working
    day, else the next one. n < 0 is a ``ValueError``."""
    if not isinstance(n, int):
        raise TypeError("n must be an int")
    if n < 0:
        raise ValueError("a deadline needs n >= 0 working days")
    spans = _merge(pauses) if pauses else []
    if not spans:
        return add_workdays(start, n)
    _check_date(start)
    if n == 0:
        if is_workday(start) and not any(a <= start <= b for a, b in spans):
            return start
        n = 1
    pos, remaining = start, n
    while True:
        candidate = add_workdays(pos, remaining)
        skipped = 0
        for first, last in spans:
            if last <= pos:
                continue
            if first > candidate:
                break
            skipped += workdays_between(max(first - ONE_DAY, pos), min(last, candidate))
        if not skipped:
            return candidate
        pos, remaining = candidate, skipped


@dataclass(frozen=True)
class Coverage:
    year: int
    covered: bool
    library: bool  # chinesecalendar knows the year
    local: CalendarYear | None  # the county declared it covered
    overrides: int  # local corrections within the year

    @property
    def source(self) -> str:
        if self.library:
            return LIBRARY_SOURCE
        if self.local is not None:
            return f"local: {self.local.source}"
        return ""


def coverage(year: int) -> Coverage:
    """Whether, and by which source, a year is covered (read straight from the database)."""
    lib = library_covers(year) if 1 <= year <= 9998 else False
    local = CalendarYear.objects.filter(year=year).first()
    count = CalendarOverride.objects.filter(date__year=year).count()
    return Coverage(year, lib or local is not None, lib, local, count)


def is_year_covered(year: int) -> bool:
    return coverage(year).covered
