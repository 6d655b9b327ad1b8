"""Every change to divisions, halls, windows and departments.

Each function checks who acts (``by``: a user, or None for the system — the
importer, the demo loader, migrations), validates, writes and appends an
audit entry (before/after) in one transaction. Retiring never deletes: the
row stays with ``is_active=False`` and ``retired_at`` set, so history,
statistics and old cases keep their references.

Rules chosen here:

* A region cannot be retired while it still has active sub-divisions, halls
  or departments: the administrator retires (or moves) those first, so that
  nothing disappears from the directory by accident (no cascade).
* Retiring a hall retires its active windows with it (a window does not exist
  without its hall); reactivating the hall does not bring them back.
* Retiring a department leaves it on the windows it was assigned to (history);
  it cannot be assigned to a window again until reactivated.
* Nothing new can be created under something retired: no halls in a retired
  region, no windows in a retired hall, no retired department on a window.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.audit import record
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed

from .models import HALL_KINDS_BY_LEVEL, Department, Hall, Level, Region, Window
from .rules import can_administer
from .standards import code_problems, level_of_code, parent_code_of

# --------------------------------------------------------------------------
# helpers


def _require_admin(by) -> None:
    if by is not None and not can_administer(by):
        raise Forbidden(_("只有系统管理员可以维护区划、大厅、窗口和部门"))


def _invalid(field_name: str, message) -> ValidationFailed:
    return ValidationFailed(message, fields={field_name: [message]})


def snapshot(obj, *, departments: Iterable[Department] | None = None) -> dict:
    """The audited state of a region, hall, window or department (a window's
    departments may be passed in when known, saving a query)."""
    if isinstance(obj, Region):
        return {
            "code": obj.code,
            "name": obj.name,
            "level": obj.level,
            "parent": obj.parent.code if obj.parent_id else None,
            "is_active": obj.is_active,
            "retired_at": obj.retired_at,
        }
    if isinstance(obj, Hall):
        return {
            "region": obj.region.code,
            "name": obj.name,
            "kind": obj.kind,
            "address": obj.address,
            "phone": obj.phone,
            "opening_hours": obj.opening_hours,
            "is_active": obj.is_active,
            "retired_at": obj.retired_at,
        }
    if isinstance(obj, Window):
        return {
            "hall": str(obj.hall_id),
            "number": obj.number,
            "name": obj.name,
            "category": obj.category,
            "is_comprehensive": obj.is_comprehensive,
            "departments": sorted(
                d.name
                for d in (
                    departments
                    if departments is not None
                    else ([] if obj._state.adding else obj.departments.all())
                )
            ),
            "is_active": obj.is_active,
            "retired_at": obj.retired_at,
        }
    if isinstance(obj, Department):
        return {
            "name": obj.name,
            "short_name": obj.short_name,
            "code": obj.code,
            "region": obj.region.code,
            "is_active": obj.is_active,
            "retired_at": obj.retired_at,
        }
    raise TypeError(obj)


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _audit(by, action: str, obj, before: dict | None, after: dict | None) -> None:
    record(actor=by, action=action, target=obj, before=before, after=after)


def _locked(obj):
    """Lock ``obj``'s row for the rest of the transaction and refresh the
    caller's instance from it, so the caller sees the state it changed."""
    list(type(obj).objects.select_for_update().filter(pk=obj.pk).values_list("pk"))
    obj.refresh_from_db()
    return obj


def _retire(obj, *, by, action: str, already: str):
    if not obj.is_active:
        raise Conflict(already)
    before = snapshot(obj)
    obj.is_active = False
    obj.retired_at = timezone.now()
    obj.save(update_fields=["is_active", "retired_at", "updated_at"])
    _audit(by, action, obj, *_diff(before, snapshot(obj)))
    return obj


def _reactivate(obj, *, by, action: str, already: str):
    if obj.is_active:
        raise Conflict(already)
    before = snapshot(obj)
    obj.is_active = True
    obj.retired_at = None
    obj.save(update_fields=["is_active", "retired_at", "updated_at"])
    _audit(by, action, obj, *_diff(before, snapshot(obj)))
    return obj


def _clean_name(value, max_length: int, field_name: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise _invalid(field_name, _("名称不能为空"))
    if len(value) > max_length:
        raise _invalid(field_name, _("名称不能超过 %(n)d 个字") % {"n": max_length})
    return value


# --------------------------------------------------------------------------
# regions


def validate_new_region(*, code: str, name: str, level: str | None = None) -> Region | None:
    """Check a new region; return its parent (None for a county). Raises
    ValidationFailed naming the fields. Used by create_region and by forms."""
    code = (code or "").strip()
    problems = code_problems(code, level or None)
    if problems:
        raise ValidationFailed(problems[0], fields={"code": problems})
    _clean_name(name, 100)
    if Region.objects.filter(code=code).exists():
        raise _invalid("code", _("区划代码 %(code)s 已存在") % {"code": code})
    if level_of_code(code) == Level.COUNTY:
        return None
    parent = Region.objects.filter(code=parent_code_of(code)).first()
    if parent is None:
        raise _invalid("code", _("上级区划 %(code)s 不存在") % {"code": parent_code_of(code)})
    if not parent.is_active:
        raise _invalid("code", _("上级区划 %(name)s 已撤销") % {"name": parent.name})
    return parent


@transaction.atomic
def create_region(*, by, code: str, name: str, level: str | None = None) -> Region:
    """Add a division. Its level and parent follow from the code's shape."""
    _require_admin(by)
    parent = validate_new_region(code=code, name=name, level=level)
    code = code.strip()
    region = Region(code=code, name=name.strip(), level=level_of_code(code), parent=parent)
    region.save()
    _audit(by, "region.create", region, None, snapshot(region))
    return region


@transaction.atomic
def rename_region(region: Region, *, by, name: str) -> Region:
    _require_admin(by)
    name = _clean_name(name, 100)
    if name == region.name:
        return region
    before = snapshot(region)
    region.name = name
    region.save(update_fields=["name", "updated_at"])
    _audit(by, "region.rename", region, *_diff(before, snapshot(region)))
    return region


@transaction.atomic
def retire_region(region: Region, *, by) -> Region:
    """Retire a division. Refused while it still has active sub-divisions,
    halls or departments: retire those first."""
    _require_admin(by)
    region = _locked(region)
    blockers = {
        "children": region.children.filter(is_active=True).count(),
        "halls": region.halls.filter(is_active=True).count(),
        "departments": Department.objects.filter(region=region, is_active=True).count(),
    }
    if any(blockers.values()):
        raise Conflict(
            _(
                "%(name)s 下还有 %(children)d 个有效的下级区划、%(halls)d 个有效的服务大厅、"
                "%(departments)d 个有效的部门，请先撤销它们再撤销本区划"
            )
            % {"name": region.name, **blockers},
            code="has_active_dependants",
        )
    return _retire(region, by=by, action="region.retire", already=_("该区划已撤销"))


@transaction.atomic
def reactivate_region(region: Region, *, by) -> Region:
    _require_admin(by)
    region = _locked(region)
    if region.parent_id and not region.parent.is_active:
        raise Conflict(_("上级区划 %(name)s 已撤销，请先恢复上级") % {"name": region.parent.name})
    return _reactivate(region, by=by, action="region.reactivate", already=_("该区划未撤销"))


# --------------------------------------------------------------------------
# division import


@dataclass
class RowError:
    line: int
    code: str
    reasons: list[str]

    def __str__(self):
        return _("第 %(line)d 行（%(code)s）：%(reasons)s") % {
            "line": self.line,
            "code": self.code or "-",
            "reasons": "；".join(self.reasons),
        }


@dataclass
class ImportReport:
    """What an import did (or, with errors, would have refused to do)."""

    rows: int = 0
    created: list[str] = field(default_factory=list)  # codes
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # code, old, new
    unchanged: int = 0
    retired_kept: list[str] = field(default_factory=list)  # codes retired in the DB
    errors: list[RowError] = field(default_factory=list)
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRejected(ValidationFailed):
    """The file had bad rows; nothing was written (all or nothing)."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(
            _("导入文件有 %(n)d 行错误，未做任何更改") % {"n": len(report.errors)},
            fields={f"line {e.line}": e.reasons for e in report.errors},
        )


REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


def _read_rows(source) -> tuple[list[tuple[int, dict]], list[RowError]]:
    if isinstance(source, str | Path):
        text = Path(source).read_text(encoding="utf-8-sig")
    elif hasattr(source, "read"):
        text = source.read()
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
    else:
        text = "\n".join(source)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [RowError(1, "", [_("缺少列：%(cols)s") % {"cols": ", ".join(missing)}])]
    # line numbers as a spreadsheet shows them: the header is line 1
    return [(reader.line_num, row) for row in reader], []


def check_divisions(source) -> tuple[list[dict], ImportReport]:
    """Parse and validate a division file without writing. Returns the good
    rows (parents before children) and a report holding any errors."""
    report = ImportReport()
    rows, errors = _read_rows(source)
    report.errors.extend(errors)
    existing = {r.code: r for r in Region.objects.all()}
    seen: dict[str, int] = {}
    parsed = []
    for line, raw in rows:
        code = (raw.get("code") or "").strip()
        name = (raw.get("name") or "").strip()
        level = (raw.get("level") or "").strip()
        parent_code = (raw.get("parent_code") or "").strip()
        reasons = list(code_problems(code, level))
        if not level:
            reasons.append(_("缺少层级"))
        if not name:
            reasons.append(_("名称不能为空"))
        elif len(name) > 100:
            reasons.append(_("名称不能超过 100 个字"))
        if code in seen:
            reasons.append(_("代码重复（第 %(line)d 行已有）") % {"line": seen[code]})
        seen.setdefault(code, line)
        parsed.append((line, code, name, level, parent_code, reasons))
    valid_in_file = {p[1] for p in parsed if not p[5]}
    good = []
    for line, code, name, level, parent_code, reasons in parsed:
        if not reasons:
            expected = parent_code_of(code)
            if level == Level.COUNTY:
                if parent_code and parent_code != expected:
                    reasons.append(_("上级代码应为 %(code)s") % {"code": expected})
            elif parent_code != expected:
                reasons.append(_("上级代码应为 %(code)s") % {"code": expected})
            elif parent_code not in valid_in_file:
                parent = existing.get(parent_code)
                if parent is None:
                    reasons.append(
                        _("上级 %(code)s 既不在文件中也不在数据库中") % {"code": parent_code}
                    )
                elif not parent.is_active:
                    reasons.append(_("上级 %(code)s 已撤销") % {"code": parent_code})
        if reasons:
            report.errors.append(RowError(line, code, reasons))
        else:
            good.append({"line": line, "code": code, "name": name, "level": level})
    report.rows = len(parsed)
    order = {Level.COUNTY: 0, Level.TOWN: 1, Level.VILLAGE: 2}
    good.sort(key=lambda r: (order[r["level"]], r["code"]))
    return good, report


def import_divisions(source, *, by=None, dry_run: bool = False) -> ImportReport:
    """Load a division file (columns code,name,level,parent_code).

    All or nothing: if any row is bad, nothing is written and ImportRejected
    (a ValidationFailed) carries the report with every bad line and why.
    Idempotent: a known code with the same name is left alone; a known code
    with a new name is renamed (audited); new codes are created (audited).
    Divisions missing from the file are left as they are (files may cover
    part of the tree); retired ones in the file stay retired and are listed.
    ``source`` is a path, a file object or an iterable of lines."""
    _require_admin(by)
    rows, report = check_divisions(source)
    if report.errors:
        raise ImportRejected(report)
    with transaction.atomic():
        existing = {r.code: r for r in Region.objects.select_for_update()}
        for row in rows:
            report.by_level[row["level"]] = report.by_level.get(row["level"], 0) + 1
            region = existing.get(row["code"])
            if region is None:
                parent = None
                if row["level"] != Level.COUNTY:
                    parent = existing[parent_code_of(row["code"])]
                region = Region(
                    code=row["code"], name=row["name"], level=row["level"], parent=parent
                )
                region.save()
                existing[region.code] = region
                _audit(by, "region.create", region, None, snapshot(region))
                report.created.append(region.code)
                continue
            if not region.is_active:
                report.retired_kept.append(region.code)
            if region.name != row["name"]:
                old = region.name
                before = snapshot(region)
                region.name = row["name"]
                region.save(update_fields=["name", "updated_at"])
                _audit(by, "region.rename", region, *_diff(before, snapshot(region)))
                report.renamed.append((region.code, old, region.name))
            else:
                report.unchanged += 1
        if dry_run:
            transaction.set_rollback(True)
    return report


# --------------------------------------------------------------------------
# halls


def _clean_hall_kind(region: Region, kind: str | None) -> str:
    allowed = HALL_KINDS_BY_LEVEL[region.level]
    if not kind:
        return allowed[0]
    if kind not in allowed:
        raise _invalid(
            "kind",
            _("%(level)s区划的大厅类型只能是：%(kinds)s")
            % {
                "level": Level(region.level).label,
                "kinds": "、".join(str(k.label) for k in allowed),
            },
        )
    return kind


def validate_hall(
    *, region: Region, name: str, kind: str | None = None, hall: Hall | None = None
) -> tuple[str, str]:
    """Check a hall's region, name and kind; return the cleaned (name, kind)."""
    if region is None:
        raise _invalid("region", _("请选择区划"))
    # Ask the database: the caller's instance may predate a retirement.
    region_active = Region.objects.filter(pk=region.pk, is_active=True).exists()
    if not region_active and (hall is None or hall.region_id != region.pk):
        raise _invalid("region", _("区划 %(name)s 已撤销，不能设立大厅") % {"name": region.name})
    name = _clean_name(name, 120)
    kind = _clean_hall_kind(region, kind)
    clash = Hall.objects.filter(region=region, name=name)
    if hall is not None:
        clash = clash.exclude(pk=hall.pk)
    if clash.exists():
        raise _invalid("name", _("本区划已有名为 %(name)s 的大厅") % {"name": name})
    return name, kind


HALL_FIELDS = ("region", "name", "kind", "address", "phone", "opening_hours")


@transaction.atomic
def create_hall(
    *,
    by,
    region: Region,
    name: str,
    kind: str | None = None,
    address: str = "",
    phone: str = "",
    opening_hours: str = "",
) -> Hall:
    """Open a hall in an active region. ``kind`` defaults from the region's
    level (county → centre, town → town hall, village → service room)."""
    _require_admin(by)
    name, kind = validate_hall(region=region, name=name, kind=kind)
    hall = Hall(
        region=region,
        name=name,
        kind=kind,
        address=(address or "").strip(),
        phone=(phone or "").strip(),
        opening_hours=(opening_hours or "").strip(),
    )
    hall.save()
    _audit(by, "hall.create", hall, None, snapshot(hall))
    return hall


@transaction.atomic
def update_hall(hall: Hall, *, by, **changes) -> Hall:
    """Change any of region, name, kind, address, phone, opening_hours."""
    _require_admin(by)
    unknown = set(changes) - set(HALL_FIELDS)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段"), fields={k: [_("不可修改")] for k in unknown})
    if not changes:
        return hall
    region = changes.get("region", hall.region)
    name, kind = validate_hall(
        region=region,
        name=changes.get("name", hall.name),
        kind=changes.get("kind", hall.kind if region.level == hall.region.level else None),
        hall=hall,
    )
    before = snapshot(hall)
    hall.region, hall.name, hall.kind = region, name, kind
    for f in ("address", "phone", "opening_hours"):
        if f in changes:
            setattr(hall, f, (changes[f] or "").strip())
    after = snapshot(hall)
    if after == before:
        return hall
    hall.save()
    _audit(by, "hall.update", hall, *_diff(before, after))
    return hall


@transaction.atomic
def retire_hall(hall: Hall, *, by) -> Hall:
    """Close a hall; its active windows close with it."""
    _require_admin(by)
    hall = _locked(hall)
    if not hall.is_active:
        raise Conflict(_("该大厅已撤销"))
    for window in hall.windows.filter(is_active=True).prefetch_related("departments"):
        _retire(window, by=by, action="window.retire", already="")
    return _retire(hall, by=by, action="hall.retire", already=_("该大厅已撤销"))


@transaction.atomic
def reactivate_hall(hall: Hall, *, by) -> Hall:
    """Reopen a hall (its windows stay retired until reactivated one by one)."""
    _require_admin(by)
    hall = _locked(hall)
    if not hall.region.is_active:
        raise Conflict(_("区划 %(name)s 已撤销，请先恢复区划") % {"name": hall.region.name})
    return _reactivate(hall, by=by, action="hall.reactivate", already=_("该大厅未撤销"))


# --------------------------------------------------------------------------
# windows

WINDOW_FIELDS = ("number", "name", "category", "is_comprehensive", "departments")


def validate_window(
    *,
    hall: Hall,
    number: str,
    name: str,
    category: str,
    is_comprehensive: bool = False,
    departments: Iterable[Department] = (),
    window: Window | None = None,
) -> dict:
    """Check a window's fields; return them cleaned. A comprehensive window
    without a category gets 综合; a window without a name gets 〈category〉窗口."""
    from .standards import COMPREHENSIVE

    if hall is None:
        raise _invalid("hall", _("请选择大厅"))
    hall_active = Hall.objects.filter(pk=hall.pk, is_active=True).exists()
    if not hall_active and (window is None or window.hall_id != hall.pk):
        raise _invalid("hall", _("大厅 %(name)s 已撤销，不能设立窗口") % {"name": hall.name})
    number = str(number or "").strip()
    if not number:
        raise _invalid("number", _("窗口号不能为空"))
    if len(number) > 10:
        raise _invalid("number", _("窗口号不能超过 10 个字符"))
    category = (category or "").strip() or (COMPREHENSIVE if is_comprehensive else "")
    if not category:
        raise _invalid("category", _("请填写窗口类别"))
    if len(category) > 20:
        raise _invalid("category", _("窗口类别不能超过 20 个字"))
    name = (name or "").strip() or _("%(category)s窗口") % {"category": category}
    name = _clean_name(name, 60)
    clash = Window.objects.filter(hall=hall, number=number)
    if window is not None:
        clash = clash.exclude(pk=window.pk)
    if clash.exists():
        raise _invalid("number", _("本大厅已有 %(number)s 号窗口") % {"number": number})
    departments = list(departments)
    old = set(window.departments.values_list("pk", flat=True)) if window and window.pk else set()
    retired_ids = set(
        Department.objects.filter(pk__in=[d.pk for d in departments], is_active=False).values_list(
            "pk", flat=True
        )
    )
    retired = [d.name for d in departments if d.pk in retired_ids and d.pk not in old]
    if retired:
        raise _invalid(
            "departments", _("部门已撤销，不能进驻窗口：%(names)s") % {"names": "、".join(retired)}
        )
    return {
        "number": number,
        "name": name,
        "category": category,
        "is_comprehensive": bool(is_comprehensive),
        "departments": departments,
    }


@transaction.atomic
def create_window(
    *,
    by,
    hall: Hall,
    number: str,
    name: str = "",
    category: str = "",
    is_comprehensive: bool = False,
    departments: Iterable[Department] = (),
) -> Window:
    """Open a window in an active hall, with the departments it serves."""
    _require_admin(by)
    data = validate_window(
        hall=hall,
        number=number,
        name=name,
        category=category,
        is_comprehensive=is_comprehensive,
        departments=departments,
    )
    departments = data.pop("departments")
    window = Window(hall=hall, **data)
    window.save()
    if departments:
        window.departments.set(departments)
    _audit(by, "window.create", window, None, snapshot(window))
    return window


@transaction.atomic
def create_windows(*, by, hall: Hall, windows: Iterable[dict]) -> list[Window]:
    """Open several windows in one hall at once (a standard window set): the
    same checks and one audit entry per window as ``create_window``, with the
    checks and inserts batched. Each item holds create_window's arguments."""
    from .standards import COMPREHENSIVE

    _require_admin(by)
    if not Hall.objects.filter(pk=hall.pk, is_active=True).exists():
        raise _invalid("hall", _("大厅 %(name)s 已撤销，不能设立窗口") % {"name": hall.name})
    taken = set(Window.objects.filter(hall=hall).values_list("number", flat=True))
    specs = [dict(w) for w in windows]
    dept_ids = {d.pk for w in specs for d in w.get("departments", ())}
    retired = set(
        Department.objects.filter(pk__in=dept_ids, is_active=False).values_list("name", flat=True)
    )
    if retired:
        raise _invalid(
            "departments", _("部门已撤销，不能进驻窗口：%(names)s") % {"names": "、".join(retired)}
        )
    made = []
    for spec in specs:
        number = str(spec.get("number") or "").strip()
        if not number or len(number) > 10:
            raise _invalid("number", _("窗口号不能为空，且不超过 10 个字符"))
        if number in taken:
            raise _invalid("number", _("本大厅已有 %(number)s 号窗口") % {"number": number})
        taken.add(number)
        comprehensive = bool(spec.get("is_comprehensive"))
        category = (spec.get("category") or "").strip() or (COMPREHENSIVE if comprehensive else "")
        if not category or len(category) > 20:
            raise _invalid("category", _("请填写窗口类别（不超过 20 个字）"))
        name = (spec.get("name") or "").strip() or _("%(category)s窗口") % {"category": category}
        made.append(
            (
                Window(
                    hall=hall,
                    number=number,
                    name=_clean_name(name, 60),
                    category=category,
                    is_comprehensive=comprehensive,
                ),
                list(spec.get("departments", ())),
            )
        )
    Window.objects.bulk_create([w for w, _d in made])
    Through = Window.departments.through
    Through.objects.bulk_create(
        [Through(window_id=w.pk, department_id=d.pk) for w, depts in made for d in depts]
    )
    for window, depts in made:
        _audit(by, "window.create", window, None, snapshot(window, departments=depts))
    return [w for w, _d in made]


@transaction.atomic
def update_window(window: Window, *, by, **changes) -> Window:
    """Change any of number, name, category, is_comprehensive, departments."""
    _require_admin(by)
    unknown = set(changes) - set(WINDOW_FIELDS)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段"), fields={k: [_("不可修改")] for k in unknown})
    current = {
        "number": window.number,
        "name": window.name,
        "category": window.category,
        "is_comprehensive": window.is_comprehensive,
        "departments": list(window.departments.all()),
    }
    data = validate_window(hall=window.hall, window=window, **{**current, **changes})
    before = snapshot(window)
    departments = data.pop("departments")
    for k, v in data.items():
        setattr(window, k, v)
    window.save()
    if "departments" in changes:
        window.departments.set(departments)
    after = snapshot(window)
    if after != before:
        _audit(by, "window.update", window, *_diff(before, after))
    return window


@transaction.atomic
def retire_window(window: Window, *, by) -> Window:
    _require_admin(by)
    window = _locked(window)
    return _retire(window, by=by, action="window.retire", already=_("该窗口已撤销"))


@transaction.atomic
def reactivate_window(window: Window, *, by) -> Window:
    _require_admin(by)
    window = _locked(window)
    if not window.hall.is_active:
        raise Conflict(_("大厅 %(name)s 已撤销，请先恢复大厅") % {"name": window.hall.name})
    return _reactivate(window, by=by, action="window.reactivate", already=_("该窗口未撤销"))


# --------------------------------------------------------------------------
# departments

DEPARTMENT_FIELDS = ("name", "short_name", "code")


def _county() -> Region | None:
    return Region.objects.filter(level=Level.COUNTY, is_active=True).order_by("code").first()


def validate_department(
    *, name: str, short_name: str = "", code: str = "", department: Department | None = None
) -> dict:
    name = _clean_name(name, 100)
    short_name = (short_name or "").strip()
    if len(short_name) > 30:
        raise _invalid("short_name", _("简称不能超过 30 个字"))
    code = (code or "").strip().upper()
    if code and (len(code) > 18 or not code.isalnum()):
        raise _invalid("code", _("代码应为 18 位统一社会信用代码或 9 位组织机构代码"))
    clash = Department.objects.filter(name=name)
    if department is not None:
        clash = clash.exclude(pk=department.pk)
    if clash.exists():
        raise _invalid("name", _("已有名为 %(name)s 的部门") % {"name": name})
    return {"name": name, "short_name": short_name, "code": code}


@transaction.atomic
def create_department(
    *, by, name: str, short_name: str = "", code: str = "", region: Region | None = None
) -> Department:
    """Add a resident department; it belongs to the county unless told."""
    _require_admin(by)
    data = validate_department(name=name, short_name=short_name, code=code)
    region = region or _county()
    if region is None:
        raise _invalid("region", _("请先导入行政区划"))
    if not region.is_active:
        raise _invalid("region", _("区划 %(name)s 已撤销") % {"name": region.name})
    department = Department(region=region, **data)
    department.save()
    _audit(by, "department.create", department, None, snapshot(department))
    return department


@transaction.atomic
def update_department(department: Department, *, by, **changes) -> Department:
    """Change any of name, short_name, code."""
    _require_admin(by)
    unknown = set(changes) - set(DEPARTMENT_FIELDS)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段"), fields={k: [_("不可修改")] for k in unknown})
    current = {f: getattr(department, f) for f in DEPARTMENT_FIELDS}
    data = validate_department(department=department, **{**current, **changes})
    before = snapshot(department)
    for k, v in data.items():
        setattr(department, k, v)
    after = snapshot(department)
    if after == before:
        return department
    department.save()
    action = "department.rename" if set(changes) == {"name"} else "department.update"
    _audit(by, action, department, *_diff(before, after))
    return department


def rename_department(department: Department, *, by, name: str) -> Department:
    return update_department(department, by=by, name=name)


@transaction.atomic
def retire_department(department: Department, *, by) -> Department:
    """Retire a department. Windows keep it in their history; it cannot be
    assigned to a window again until reactivated."""
    _require_admin(by)
    department = _locked(department)
    return _retire(department, by=by, action="department.retire", already=_("该部门已撤销"))


@transaction.atomic
def reactivate_department(department: Department, *, by) -> Department:
    _require_admin(by)
    department = _locked(department)
    return _reactivate(department, by=by, action="department.reactivate", already=_("该部门未撤销"))
