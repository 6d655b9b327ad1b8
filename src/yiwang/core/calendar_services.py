"""Every change to the working-day calendar: local overrides and locally
imported years.

Each function checks who acts (``by``: a user, or None for the system),
validates everything first, then writes, appends audit entries (one stream
per date, ``core.calendar:2025-10-01``, and one per year,
``core.calendar:2027``) and bumps the calendar revision in one transaction.
On any error nothing is changed. Calendar edits are serialised by a lock on
the revision row (they are rare; readers never take it).

Rules chosen here:

* An override may be set for any date in 2000–2099, also in a year that is
  not covered yet (it does not make the year covered: only chinesecalendar or
  an imported year does).
* ``import_year`` is only for years the installed chinesecalendar does not
  know; for a known year, correct single dates with ``set_override``.
  Re-importing a year needs ``replace=True``, which replaces the rows of the
  earlier import (manual overrides stay).
* An import file lists every holiday (休) and every make-up working day (班)
  of the year. A make-up working day must fall on a weekend (on a weekday it
  would change nothing, so the date is surely mistyped). A date that already
  has a manual override of the same kind keeps it; of the other kind, the
  import is refused until the administrator removes the override.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import record
from .calendar import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarOverride,
    CalendarRevision,
    CalendarYear,
    _note_write,
    library_covers,
)
from .errors import Conflict, Forbidden, NotFound, ValidationFailed

HOLIDAY_WORDS = {"holiday", "休", "假", "休息", "休息日", "节假日", "rest"}
WORKDAY_WORDS = {"workday", "班", "上班", "工作日", "work"}
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
MAX_ERRORS_SHOWN = 30


@dataclass(frozen=True)
class DayRow:
    """One line of an import file: ``date,kind,name``."""

    line: int
    date: str | date
    kind: str
    name: str = ""


# --------------------------------------------------------------------------- helpers


def _require_admin(by) -> None:
    if by is not None and not by.has_perm("core.change_calendaroverride"):
        raise Forbidden(_("只有系统管理员可以维护工作日历"))


def _by_name(by) -> str:
    return getattr(by, "username", "") if by is not None else "system"


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field_name: [message]})


def _lock() -> None:
    """Serialise calendar edits on the revision row (created on first use)."""
    CalendarRevision.objects.select_for_update().get_or_create(
        pk=1, defaults={"token": uuid.uuid4().hex}
    )


def _bump(since: date) -> None:
    """The calendar changed from ``since`` on: invalidate every process's
    cache, and tell the apps that keep deadlines (``core.calendar_changed``,
    in this transaction) so they recompute the ones on or after that day."""
    revision = CalendarRevision.objects.get(pk=1)
    revision.token = uuid.uuid4().hex
    revision.save()
    _note_write()
    from . import outbox

    outbox.emit("core.calendar_changed", {"since": since.isoformat()}, key="core.calendar")


def _stream(key) -> str:
    return f"core.calendar:{key}"


def snapshot(override: CalendarOverride) -> dict:
    return {
        "date": override.date.isoformat(),
        "is_workday": override.is_workday,
        "reason": override.reason,
        "year_import": override.year_import.year if override.year_import_id else None,
    }


def _year_snapshot(year: CalendarYear) -> dict:
    return {"year": year.year, "source": year.source, "note": year.note}


def kind_label(is_workday: bool) -> str:
    return _("工作日") if is_workday else _("休息日")


def parse_kind(value: str) -> bool | None:
    """``True`` for a working day, ``False`` for a holiday, None if unknown."""
    word = (value or "").strip().lower()
    if word in WORKDAY_WORDS:
        return True
    if word in HOLIDAY_WORDS:
        return False
    return None


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def validate_override(day, is_workday, reason) -> str:
    """Check the fields of an override; return the cleaned reason."""
    if not isinstance(day, date) or hasattr(day, "hour"):
        raise _invalid("date", _("日期无效"))
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise _invalid(
            "date",
            _("日期 %(date)s 超出可设置的范围（%(min)s—%(max)s 年）")
            % {"date": day.isoformat(), "min": MIN_YEAR, "max": MAX_YEAR},
        )
    if not isinstance(is_workday, bool):
        raise _invalid("is_workday", _("请指明是工作日还是休息日"))
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("请填写调整原因"))
    if len(reason) > 200:
        raise _invalid("reason", _("调整原因不能超过 200 个字"))
    return reason


# --------------------------------------------------------------------------- overrides


def set_override(day: date, is_workday: bool, reason: str, by=None) -> CalendarOverride:
    """Make ``day`` a working day (True) or a rest day (False) locally,
    replacing any earlier override of that date (which then counts as manual)."""
    _require_admin(by)
    reason = validate_override(day, is_workday, reason)
    with transaction.atomic():
        _lock()
        override = (
            # of=self: PostgreSQL cannot lock the nullable side of the join.
            CalendarOverride.objects.select_for_update(of=("self",))
            .select_related("year_import")
            .filter(date=day)
            .first()
        )
        before = snapshot(override) if override else None
        if override is None:
            override = CalendarOverride(date=day)
        override.is_workday = is_workday
        override.reason = reason
        override.year_import = None
        override.created_by = _by_name(by)
        override.save()
        record(
            actor=by,
            action="calendar.override.set",
            target=override,
            before=before,
            after=snapshot(override),
            stream=_stream(day.isoformat()),
        )
        _bump(day)
    return override


def remove_override(day: date, by=None) -> None:
    """Remove the override of ``day``: the date follows its year's source again."""
    _require_admin(by)
    if not isinstance(day, date) or hasattr(day, "hour"):
        raise _invalid("date", _("日期无效"))
    with transaction.atomic():
        _lock()
        override = (
            # of=self: PostgreSQL cannot lock the nullable side of the join.
            CalendarOverride.objects.select_for_update(of=("self",))
            .select_related("year_import")
            .filter(date=day)
            .first()
        )
        if override is None:
            raise NotFound(_("%(date)s 没有本地调整") % {"date": day.isoformat()})
        record(
            actor=by,
            action="calendar.override.remove",
            target=override,
            before=snapshot(override),
            stream=_stream(day.isoformat()),
        )
        override.delete()
        _bump(day)


# --------------------------------------------------------------------------- years


def read_year_csv(source) -> list[DayRow]:
    """Read an import file (a path-less text or a binary/text file object) into
    rows, keeping line numbers. UTF-8 (with or without BOM) or GB18030 (what
    spreadsheet programs save in China). A first line ``date,kind,name`` is a
    header; blank lines and lines starting with ``#`` are skipped."""
    if hasattr(source, "read"):
        source = source.read()
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                source = source.decode("gb18030")
            except UnicodeDecodeError:
                raise _invalid("file", _("文件编码无法识别：请保存为 UTF-8 编码的 CSV"))
    source = source.lstrip("\ufeff")
    rows = []
    for line, cells in enumerate(csv.reader(io.StringIO(source)), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not rows and cells[0].lower() in ("date", "日期"):
            continue
        cells += [""] * (3 - len(cells))
        rows.append(DayRow(line, cells[0], cells[1], ",".join(c for c in cells[2:] if c)))
    return rows


def _rows(rows: Iterable) -> list[DayRow]:
    out = []
    for index, row in enumerate(rows, start=1):
        if isinstance(row, DayRow):
            out.append(row)
        else:
            cells = list(row) + ["", "", ""]
            out.append(DayRow(index, cells[0], cells[1], cells[2] or ""))
    return out


def _check_year_rows(year: int, rows: list[DayRow]) -> tuple[list[str], list[tuple]]:
    """Validate the rows: (errors, [(row, date, is_workday)])."""
    errors: list[str] = []
    planned: list[tuple] = []
    seen: dict[date, int] = {}
    for row in rows:
        where = _("第 %(line)s 行") % {"line": row.line}
        day = row.date if isinstance(row.date, date) else parse_date(row.date)
        if day is None or hasattr(day, "hour"):
            errors.append(
                _("%(where)s：日期“%(value)s”无效，应为 YYYY-MM-DD（如 %(year)s-10-01）")
                % {"where": where, "value": row.date, "year": year}
            )
            continue
        if day.year != year:
            errors.append(
                _("%(where)s：日期 %(date)s 不在 %(year)s 年内")
                % {"where": where, "date": day.isoformat(), "year": year}
            )
            continue
        is_workday = parse_kind(row.kind)
        if is_workday is None:
            errors.append(
                _("%(where)s：类型“%(value)s”无效，应为 holiday（休）或 workday（班）")
                % {"where": where, "value": row.kind}
            )
            continue
        if len(row.name) > 100:
            errors.append(_("%(where)s：名称不能超过 100 个字") % {"where": where})
            continue
        if day in seen:
            errors.append(
                _("%(where)s：日期 %(date)s 与第 %(other)s 行重复")
                % {"where": where, "date": day.isoformat(), "other": seen[day]}
            )
            continue
        seen[day] = row.line
        if is_workday and day.weekday() < 5:
            errors.append(
                _("%(where)s：%(date)s 是%(weekday)s，本来就是工作日；调休上班日应在周六或周日")
                % {"where": where, "date": day.isoformat(), "weekday": WEEKDAYS[day.weekday()]}
            )
            continue
        planned.append((row, day, is_workday))
    if not errors and not any(not workday for _row, _day, workday in planned):
        errors.append(
            _("文件中没有任何放假日期：请按国务院办公厅的通知列出全年的休息日与调休上班日")
        )
    return errors, planned


def _validate_year(year) -> None:
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise _invalid(
            "year",
            _("年份“%(year)s”无效，应在 %(min)s—%(max)s 之间")
            % {"year": year, "min": MIN_YEAR, "max": MAX_YEAR},
        )
    if library_covers(year):
        raise Conflict(
            _(
                "%(year)s 年的节假日安排已由 chinesecalendar 提供，无需导入；"
                "个别日期请用“yiwang calendar set”调整。"
            )
            % {"year": year}
        )


def _plan_import(year, rows, source: str, replace: bool):
    """Validate an import against the database; return (existing year row or
    None, cleaned source, rows to create, all planned rows). Raises on any problem."""
    _validate_year(year)
    source = (source or "").strip()
    if not source:
        raise _invalid("source", _("请填写来源（如国务院办公厅通知的文号）"))
    if len(source) > 200:
        raise _invalid("source", _("来源不能超过 200 个字"))
    errors, planned = _check_year_rows(year, _rows(rows))
    existing = CalendarYear.objects.filter(year=year).first()
    if existing is not None and not replace:
        raise Conflict(
            _("%(year)s 年已导入（来源：%(source)s）；如需重新导入，请使用 --replace")
            % {"year": year, "source": existing.source}
        )
    manual = {
        o.date: o
        for o in CalendarOverride.objects.filter(date__year=year, year_import__isnull=True)
    }
    to_create = []
    for row, day, is_workday in planned:
        current = manual.get(day)
        if current is None:
            to_create.append((row, day, is_workday))
        elif current.is_workday != is_workday:
            errors.append(
                _(
                    "第 %(line)s 行：%(date)s 已由管理员设为%(kind)s（%(reason)s），与文件冲突；"
                    "请先用“yiwang calendar unset %(date)s”取消该调整"
                )
                % {
                    "line": row.line,
                    "date": day.isoformat(),
                    "kind": kind_label(current.is_workday),
                    "reason": current.reason,
                }
            )
    if errors:
        shown = "\n".join(errors[:MAX_ERRORS_SHOWN])
        more = len(errors) - MAX_ERRORS_SHOWN
        if more > 0:
            shown += "\n" + _("……另有 %(n)s 处错误") % {"n": more}
        raise ValidationFailed(
            _("导入文件有 %(n)s 处错误，未做任何更改：") % {"n": len(errors)} + "\n" + shown,
            fields={"file": errors},
        )
    return existing, source, to_create, planned


def check_import_year(year: int, rows: Iterable, *, source: str, replace: bool = False) -> None:
    """Validate an import without writing anything (forms call this in ``clean``)."""
    _plan_import(year, rows, source, replace)


def import_year(
    year: int,
    rows: Iterable,
    *,
    by=None,
    source: str,
    note: str = "",
    replace: bool = False,
) -> CalendarYear:
    """Declare ``year`` covered locally: weekends rest, plus the holidays and
    make-up working days in ``rows`` (DayRow, or ``(date, kind, name)``
    sequences numbered from 1). Every problem is reported at once, naming the
    line; nothing is written unless the whole file is valid."""
    _require_admin(by)
    rows = _rows(rows)
    with transaction.atomic():
        _lock()
        existing, source, to_create, planned = _plan_import(year, rows, source, replace)
        name = _by_name(by)
        if existing is not None:
            for old in existing.overrides.select_related("year_import"):
                record(
                    actor=by,
                    action="calendar.override.remove",
                    target=old,
                    before=snapshot(old),
                    stream=_stream(old.date.isoformat()),
                )
                old.delete()
            before = _year_snapshot(existing)
            existing.source, existing.note, existing.created_by = source, note, name
            existing.save()
            calendar_year, action = existing, "calendar.year.replace"
        else:
            before = None
            calendar_year = CalendarYear.objects.create(
                year=year, source=source, note=note, created_by=name
            )
            action = "calendar.year.import"
        for row, day, is_workday in to_create:
            label = row.name or kind_label(is_workday)
            override = CalendarOverride.objects.create(
                date=day,
                is_workday=is_workday,
                reason=f"{label}（{source}）"[:200],
                year_import=calendar_year,
                created_by=name,
            )
            record(
                actor=by,
                action="calendar.override.set",
                target=override,
                after=snapshot(override),
                stream=_stream(day.isoformat()),
            )
        after = _year_snapshot(calendar_year)
        after["holidays"] = sorted(d.isoformat() for _r, d, w in planned if not w)
        after["workdays"] = sorted(d.isoformat() for _r, d, w in planned if w)
        record(
            actor=by,
            action=action,
            target=calendar_year,
            before=before,
            after=after,
            stream=_stream(year),
        )
        _bump(date(int(year), 1, 1))
    return calendar_year


def remove_year(year: int, by=None) -> None:
    """Withdraw a locally imported year and the overrides its import created
    (manual overrides stay). The year is no longer covered unless the library
    knows it."""
    _require_admin(by)
    with transaction.atomic():
        _lock()
        calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
        if calendar_year is None:
            raise NotFound(_("%(year)s 年没有本地导入的节假日安排") % {"year": year})
        for old in calendar_year.overrides.select_related("year_import"):
            record(
                actor=by,
                action="calendar.override.remove",
                target=old,
                before=snapshot(old),
                stream=_stream(old.date.isoformat()),
            )
            old.delete()
        record(
            actor=by,
            action="calendar.year.remove",
            target=calendar_year,
            before=_year_snapshot(calendar_year),
            stream=_stream(year),
        )
        calendar_year.delete()
        _bump(date(int(year), 1, 1))
