"""Importing the published item list (CSV) and the catalog spreadsheet (xlsx).

``import_csv`` takes the real list as shipped (``department, group, name,
item_code, task_type, area_code``): it creates missing departments (by exact
name) and items (each with a draft guide), puts every item on the county list,
and reports each row it could not take, or took with a warning, and why. It
never crashes on a row, and importing the same file twice changes nothing.

``export_xlsx`` / ``import_xlsx`` round-trip the catalog: items, the current
guide of each (published, else the latest), its materials and steps.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core.errors import ServiceError, ValidationFailed
from yiwang.regions.models import Department, Region

from . import demo_guides, indexing, services
from .codes import code_problems, parse_code
from .codesets import Level, item_type_from_code
from .models import (
    GUIDE_FIELDS,
    GuideStatus,
    GuideVersion,
    ItemLevel,
    LevelStatus,
    RetainedProof,
    ServiceItem,
    tag_string,
)

REQUIRED_COLUMNS = ("department", "name", "item_code", "task_type")
BATCH = 200

Progress = Callable[[int, int], None]


@dataclass
class RowIssue:
    row: int  # 1-based data row number (the header is row 0)
    code: str
    name: str
    reason: str
    kind: str = "warning"  # "warning": imported anyway; "error": not imported

    def __str__(self):
        label = _("警告") if self.kind == "warning" else _("未导入")
        return f"[{label}] 第 {self.row} 行 {self.code or '-'} {self.name}: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    departments_created: int = 0
    guides_generated: int = 0
    published: int = 0
    warnings: list[RowIssue] = field(default_factory=list)  # odd code shapes
    errors: list[RowIssue] = field(default_factory=list)  # rows not imported
    notes: list[RowIssue] = field(default_factory=list)  # failed checks on code parts
    publish_failures: list[RowIssue] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        return _(
            "共 %(rows)d 行：新建 %(created)d，更新 %(updated)d，未变 %(unchanged)d，未导入 %(skipped)d，"
            "编码形态警告 %(warnings)d，编码校验提示 %(notes)d；新建部门 %(depts)d，生成演示指南 %(generated)d，"
            "发布 %(published)d"
        ) % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "warnings": len(self.warnings),
            "notes": len(self.notes),
            "depts": self.departments_created,
            "generated": self.guides_generated,
            "published": self.published,
        }

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "departments_created": self.departments_created,
            "guides_generated": self.guides_generated,
            "published": self.published,
            "warnings": [vars(w) for w in self.warnings],
            "errors": [vars(e) for e in self.errors],
            "notes": [vars(n) for n in self.notes],
            "publish_failures": [vars(p) for p in self.publish_failures],
        }


def read_csv(source) -> list[dict]:
    """Rows of a CSV given as a path, a text stream or bytes (UTF-8, with or
    without BOM; GB18030 as a fallback for files saved by Excel)."""
    if isinstance(source, (str, Path)):
        raw = Path(source).read_bytes()
    elif isinstance(source, bytes):
        raw = source
    else:
        data = source.read()
        raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(
            _("文件缺少必需的列：%(cols)s（需要 %(need)s）")
            % {"cols": "、".join(missing), "need": ", ".join(REQUIRED_COLUMNS)},
            code="catalog.import_columns",
        )
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _region_for(area_code: str, by) -> Region | None:
    if area_code:
        region = Region.objects.filter(code=area_code).first()
        if region is not None:
            return region
    region = Region.objects.filter(level=Level.COUNTY, is_active=True).order_by("code").first()
    if region is not None or not area_code:
        return region
    # A fresh database: create the county the file names, through regions.services.
    from yiwang.regions import services as region_services

    name = _division_name(area_code) or _("区划%(code)s") % {"code": area_code}
    return region_services.create_region(by=by, code=area_code, name=name)


def _division_name(code: str) -> str:
    """The division's name from the packaged division list, when present."""
    from yiwang.regions import demo as regions_demo

    try:
        path = regions_demo.data_file("guangan-divisions.csv")
    except (FileNotFoundError, AttributeError):
        return ""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("code") == code:
                return row.get("name", "")
    return ""


def _department_codes(rows: list[dict]) -> dict[str, str]:
    """Each department's most frequent valid org code in the file."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        parsed = parse_code(row.get("item_code", ""))
        org = parsed.org_code.replace("-", "").upper()
        if parsed.standard and len(org) == 18 and not parsed.issues:
            votes[row.get("department", "")][org] += 1
    return {name: c.most_common(1)[0][0] for name, c in votes.items() if c}


def import_csv(
    source,
    *,
    by=None,
    demo_guides_: bool = False,
    publish: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the item list. ``demo_guides_`` fills new (or still bare) drafts
    with generated guide data (演示数据); ``publish`` then publishes those that
    pass the consistency rules."""
    services.require_admin(by)
    rows = read_csv(source)
    report = ImportReport(rows=len(rows))
    area_codes = Counter(r.get("area_code", "") for r in rows if r.get("area_code"))
    default_area = area_codes.most_common(1)[0][0] if area_codes else ""
    dept_codes = _department_codes(rows)
    proofs = set(RetainedProof.objects.filter(is_active=True).values_list("name", flat=True))
    existing = {i.code: i for i in ServiceItem.objects.select_related("department")}
    departments = {d.name: d for d in Department.objects.all()}
    seen: dict[str, int] = {}
    total = len(rows)
    if progress:
        progress(0, total)

    with transaction.atomic():
        region = _region_for(default_area, by)
    for start in range(0, total, BATCH):
        with transaction.atomic(), indexing.deferred():
            for index in range(start, min(start + BATCH, total)):
                _import_row(
                    index + 1,
                    rows[index],
                    report=report,
                    by=by,
                    region=region,
                    existing=existing,
                    departments=departments,
                    dept_codes=dept_codes,
                    seen=seen,
                    proofs=proofs,
                    demo=demo_guides_,
                    publish=publish,
                )
        if progress:
            progress(min(start + BATCH, total), total)
    return report


def _import_row(
    number,
    row,
    *,
    report,
    by,
    region,
    existing,
    departments,
    dept_codes,
    seen,
    proofs,
    demo,
    publish,
):
    raw_code = row.get("item_code", "")
    name = row.get("name", "")

    def error(reason):
        report.errors.append(RowIssue(number, raw_code, name, str(reason), kind="error"))

    problems = code_problems(raw_code)
    if problems:
        return error(problems[0])
    code = raw_code.strip()
    if not name:
        return error(_("事项名称为空"))
    if len(name) > 200:
        return error(_("事项名称超过 200 个字"))
    item_type = item_type_from_code(row.get("task_type"))
    if item_type is None:
        return error(_("未知的事项类型代码：%(v)s") % {"v": row.get("task_type") or "（空）"})
    dept_name = row.get("department", "")
    if not dept_name:
        return error(_("实施部门为空"))
    if code in seen:
        return error(_("事项编码与第 %(n)d 行重复，已保留第一次出现的行") % {"n": seen[code]})
    seen[code] = number

    area_code = row.get("area_code", "")
    parsed = parse_code(code, area_code=area_code)
    if parsed.warning:
        report.warnings.append(RowIssue(number, code, name, parsed.warning))
    for issue in parsed.issues:
        report.notes.append(RowIssue(number, code, name, issue, kind="note"))

    try:
        with transaction.atomic():
            department = departments.get(dept_name)
            if department is None:
                department, created = services.ensure_department(
                    dept_name, region=region, code=dept_codes.get(dept_name, ""), by=by
                )
                departments[dept_name] = department
                report.departments_created += int(created)
            group = "" if row.get("group") in ("", "未分类") else row.get("group", "")
            item = existing.get(code)
            if item is None:
                generated = (
                    demo_guides.generate(_Probe(code, name, item_type, department), proofs=proofs)
                    if demo
                    else None
                )
                item = services.create_item(
                    by=by,
                    code=code,
                    name=name,
                    group=group,
                    item_type=item_type,
                    department=department,
                    area_code=area_code,
                    service_objects=generated["service_objects"] if generated else (),
                    with_draft=not demo,
                    levels=(Level.COUNTY,),
                )
                existing[code] = item
                report.created += 1
                if generated:
                    services.create_draft_with_content(
                        item,
                        by=by,
                        fields=generated["fields"],
                        materials=generated["materials"],
                        steps=generated["steps"],
                    )
                    report.guides_generated += 1
            else:
                changes = {}
                if item.name != name:
                    changes["name"] = name
                if item.group != group:
                    changes["group"] = group
                if item.item_type != item_type:
                    changes["item_type"] = item_type
                if item.department_id != department.pk:
                    changes["department"] = department
                if changes:
                    services.update_item(item, by=by, **changes)
                    report.updated += 1
                else:
                    report.unchanged += 1
                if demo and _fill_bare_draft(item, by=by, proofs=proofs):
                    report.guides_generated += 1
                if not ItemLevel.objects.filter(
                    item=item, level=Level.COUNTY, status=LevelStatus.APPROVED
                ).exists():
                    services.set_level(item, Level.COUNTY, by=by)
    except ServiceError as exc:
        return error(exc.message)
    if publish:
        _publish_generated(item, number, report=report, by=by)


class _Probe:
    """What the generator needs before the item exists."""

    def __init__(self, code, name, item_type, department):
        self.code, self.name, self.item_type, self.department = code, name, item_type, department


def _fill_bare_draft(item, *, by, proofs) -> bool:
    versions = list(item.versions.all()[:2])
    if len(versions) != 1 or versions[0].status != GuideStatus.DRAFT:
        return False
    draft = versions[0]
    if draft.legal_basis or draft.materials.exists() or draft.steps.exists():
        return False
    generated = demo_guides.generate(item, proofs=proofs)
    services.fill_draft(
        draft,
        by=by,
        fields=generated["fields"],
        materials=generated["materials"],
        steps=generated["steps"],
    )
    if not item.service_objects:
        services.update_item(item, by=by, service_objects=generated["service_objects"])
    return True


def _publish_generated(item, number, *, report, by):
    draft = item.versions.filter(
        status__in=[GuideStatus.DRAFT, GuideStatus.REVIEW], is_generated=True
    ).first()
    if draft is None:
        return
    try:
        with transaction.atomic():
            services.publish(draft, by=by)
        report.published += 1
    except ServiceError as exc:
        report.publish_failures.append(
            RowIssue(number, item.code, item.name, exc.message, kind="error")
        )


# ---------------------------------------------------------------------------
# xlsx export / import (round trip)

ITEM_COLUMNS = [
    "code",
    "name",
    "group",
    "item_type",
    "department",
    "service_objects",
    "levels",
    "is_active",
    "themes",
    "life_events",
]
GUIDE_COLUMNS = ["code", "number", "status", *GUIDE_FIELDS]
MATERIAL_COLUMNS = [
    "code",
    "position",
    "name",
    "issuing_body",
    "originals",
    "copies",
    "required",
    "source",
    "is_proof",
    "proof",
    "note",
]
STEP_COLUMNS = ["code", "position", "name", "department", "role", "days", "description"]
SHEETS = {"items": "事项", "guides": "办事指南", "materials": "申请材料", "steps": "办理环节"}


def _current_version(item) -> GuideVersion | None:
    return (
        item.versions.filter(status=GuideStatus.PUBLISHED).first()
        or item.versions.order_by("-number").first()
    )


def _cell(value):
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if value is None:
        return ""
    return value


def export_xlsx(target, *, items=None, progress: Progress | None = None) -> int:
    """Write the catalog to ``target`` (a path or a binary stream). Returns the
    number of items written. Sheets: 事项, 办事指南, 申请材料, 办理环节; the
    first row of each holds the column names (field names, for re-import)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheets = {key: wb.create_sheet(title) for key, title in SHEETS.items()}
    sheets["items"].append(ITEM_COLUMNS)
    sheets["guides"].append(GUIDE_COLUMNS)
    sheets["materials"].append(MATERIAL_COLUMNS)
    sheets["steps"].append(STEP_COLUMNS)
    qs = (
        (items if items is not None else ServiceItem.objects.all())
        .select_related("department")
        .order_by("code")
    )
    levels = defaultdict(list)
    for item_id, level in ItemLevel.objects.filter(status=LevelStatus.APPROVED).values_list(
        "item_id", "level"
    ):
        levels[item_id].append(level)
    count = 0
    total = qs.count()
    for item in qs.iterator(chunk_size=500):
        sheets["items"].append(
            [
                item.code,
                item.name,
                item.group,
                item.item_type,
                item.department.name,
                _cell(item.service_objects),
                _cell(sorted(levels[item.pk])),
                item.is_active,
                _cell(item.theme_list),
                _cell(item.life_event_list),
            ]
        )
        version = _current_version(item)
        if version is not None:
            sheets["guides"].append(
                [
                    item.code,
                    version.number,
                    version.status,
                    *[_cell(getattr(version, f)) for f in GUIDE_FIELDS],
                ]
            )
            for m in version.materials.select_related("proof").order_by("position"):
                sheets["materials"].append(
                    [
                        item.code,
                        m.position,
                        m.name,
                        m.issuing_body,
                        m.originals,
                        m.copies,
                        m.required,
                        m.source,
                        m.is_proof,
                        m.proof.name if m.proof_id else "",
                        m.note,
                    ]
                )
            for s in version.steps.select_related("department").order_by("position"):
                sheets["steps"].append(
                    [
                        item.code,
                        s.position,
                        s.name,
                        s.department.name if s.department_id else "",
                        s.role,
                        s.days,
                        s.description,
                    ]
                )
        count += 1
        if progress and count % 100 == 0:
            progress(count, total)
    wb.save(target)
    if progress:
        progress(count, total)
    return count


def _read_sheet(wb, key) -> list[dict]:
    title = SHEETS[key]
    if title not in wb.sheetnames:
        raise ValidationFailed(
            _("工作簿缺少工作表「%(name)s」") % {"name": title}, code="catalog.import_sheet"
        )
    rows = wb[title].iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        return []
    names = [str(h or "").strip() for h in header]
    return [dict(zip(names, r, strict=False)) for r in rows if any(v not in (None, "") for v in r)]


_BOOL_FIELDS = {
    f for f in GUIDE_FIELDS if GuideVersion._meta.get_field(f).get_internal_type() == "BooleanField"
}
_INT_FIELDS = {"promised_days", "statutory_days", "visits"}


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "是", "y")


def _list(value) -> list[str]:
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _guide_fields(row: dict) -> dict:
    out = {}
    for f in GUIDE_FIELDS:
        if f not in row:
            continue
        value = row[f]
        if f in _BOOL_FIELDS:
            out[f] = _bool(value)
        elif f in _INT_FIELDS:
            out[f] = None if value in (None, "") else int(value)
        elif f == "handling_forms":
            out[f] = _list(value)
        else:
            out[f] = "" if value is None else str(value)
    return out


def import_xlsx(source, *, by=None, progress: Progress | None = None) -> ImportReport:
    """Import a workbook written by ``export_xlsx``. Items are matched by code:
    new ones are created; for existing ones, a guide whose content differs from
    the item's current guide becomes a new draft (published again when the
    sheet says it was published). Importing the same workbook twice changes
    nothing."""
    from openpyxl import load_workbook

    services.require_admin(by)
    wb = load_workbook(source, read_only=True, data_only=True)
    items = _read_sheet(wb, "items")
    guides = {str(r["code"]): r for r in _read_sheet(wb, "guides")}
    materials = defaultdict(list)
    for r in _read_sheet(wb, "materials"):
        materials[str(r["code"])].append(r)
    steps = defaultdict(list)
    for r in _read_sheet(wb, "steps"):
        steps[str(r["code"])].append(r)
    report = ImportReport(rows=len(items))
    region = Region.objects.filter(level=Level.COUNTY, is_active=True).order_by("code").first()
    with indexing.deferred():
        _import_xlsx_rows(items, guides, materials, steps, by, region, report, progress)
    return report


def _import_xlsx_rows(items, guides, materials, steps, by, region, report, progress) -> None:
    total = len(items)
    for number, row in enumerate(items, start=1):
        code = str(row.get("code") or "").strip()
        name = str(row.get("name") or "").strip()
        try:
            with transaction.atomic():
                changed = _import_xlsx_item(
                    row,
                    guides.get(code),
                    materials[code],
                    steps[code],
                    by=by,
                    region=region,
                    report=report,
                )
            if changed == "created":
                report.created += 1
            elif changed == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
        except (ServiceError, ValueError, TypeError) as exc:
            report.errors.append(
                RowIssue(number, code, name, str(getattr(exc, "message", exc)), kind="error")
            )
        if progress and (number % 100 == 0 or number == total):
            progress(number, total)


def _materials_from_rows(rows) -> list[dict]:
    return [
        {
            "name": str(r.get("name") or ""),
            "issuing_body": str(r.get("issuing_body") or ""),
            "originals": int(r.get("originals") or 0),
            "copies": int(r.get("copies") or 0),
            "required": _bool(r.get("required")),
            "source": str(r.get("source") or "applicant"),
            "is_proof": _bool(r.get("is_proof")),
            "proof": str(r.get("proof") or "") or None,
            "note": str(r.get("note") or ""),
        }
        for r in sorted(rows, key=lambda r: int(r.get("position") or 0))
    ]


def _steps_from_rows(rows) -> list[dict]:
    return [
        {
            "name": str(r.get("name") or ""),
            "department": str(r.get("department") or "") or None,
            "role": str(r.get("role") or ""),
            "days": int(r.get("days") or 0),
            "description": str(r.get("description") or ""),
        }
        for r in sorted(rows, key=lambda r: int(r.get("position") or 0))
    ]


def _same_content(version: GuideVersion, fields: dict, mats: list[dict], stps: list[dict]) -> bool:
    if any(getattr(version, k) != v for k, v in fields.items()):
        return False
    have_m = [
        {
            "name": m.name,
            "issuing_body": m.issuing_body,
            "originals": m.originals,
            "copies": m.copies,
            "required": m.required,
            "source": m.source,
            "is_proof": m.is_proof,
            "proof": m.proof.name if m.proof_id else None,
            "note": m.note,
        }
        for m in version.materials.select_related("proof").order_by("position")
    ]
    have_s = [
        {
            "name": s.name,
            "department": s.department.name if s.department_id else None,
            "role": s.role,
            "days": s.days,
            "description": s.description,
        }
        for s in version.steps.select_related("department").order_by("position")
    ]
    # A step without a department in the sheet takes the item's department.
    want_s = [{**s, "department": s["department"] or version.item.department.name} for s in stps]
    return have_m == mats and have_s == want_s


def _import_xlsx_item(row, guide, mats, stps, *, by, region, report) -> str:
    code = str(row.get("code") or "").strip()
    dept_name = str(row.get("department") or "").strip()
    if not dept_name:
        raise ValidationFailed(_("实施部门为空"))
    department, created = services.ensure_department(dept_name, region=region, by=by)
    report.departments_created += int(created)
    item_fields = {
        "name": str(row.get("name") or "").strip(),
        "group": str(row.get("group") or "").strip(),
        "item_type": str(row.get("item_type") or "").strip(),
        "department": department,
        "service_objects": _list(row.get("service_objects")),
        "is_active": _bool(row.get("is_active"))
        if row.get("is_active") not in (None, "")
        else True,
    }
    for key in ("themes", "life_events"):
        if key in row:  # workbooks exported before these columns existed lack them
            item_fields[key] = tag_string(_list(row.get(key)))
    item = ServiceItem.objects.filter(code=code).first()
    result = "unchanged"
    if item is None:
        item = services.create_item(
            by=by,
            code=code,
            with_draft=guide is None,
            **{
                k: (v.split() if k in ("themes", "life_events") else v)
                for k, v in item_fields.items()
                if k != "is_active"
            },
        )
        if not item_fields["is_active"]:
            services.update_item(item, by=by, is_active=False)
        parsed = parse_code(code)
        if parsed.warning:
            report.warnings.append(RowIssue(0, code, item.name, parsed.warning))
        result = "created"
    else:
        current = {k: getattr(item, k) for k in item_fields}
        changes = {
            k: v
            for k, v in item_fields.items()
            if current[k] != (v if k != "item_type" else str(item_type_from_code(v) or v))
        }
        if changes:
            services.update_item(item, by=by, **changes)
            result = "updated"
    for level in _list(row.get("levels")):
        if not ItemLevel.objects.filter(
            item=item, level=level, status=LevelStatus.APPROVED
        ).exists():
            entry = services.set_level(item, level, by=by)
            if level == Level.VILLAGE and entry.status != LevelStatus.APPROVED:
                services.approve_level(entry, by=by)
            result = result if result != "unchanged" else "updated"
    if guide is None:
        return result
    fields = _guide_fields(guide)
    materials = _materials_from_rows(mats)
    steps = _steps_from_rows(stps)
    status = str(guide.get("status") or GuideStatus.DRAFT)
    current = _current_version(item)
    if current is not None and _same_content(current, fields, materials, steps):
        if status == GuideStatus.PUBLISHED and current.status != GuideStatus.PUBLISHED:
            services.publish(current, by=by)
            return result if result != "unchanged" else "updated"
        return result
    draft = item.versions.filter(status=GuideStatus.DRAFT).first()
    if draft is not None:
        services.fill_draft(draft, by=by, fields=fields, materials=materials, steps=steps)
    else:
        review = item.versions.filter(status=GuideStatus.REVIEW).first()
        if review is not None:
            review = services.reject(review, by=by, note=_("被表格导入的新内容取代"))
            draft = services.fill_draft(
                review, by=by, fields=fields, materials=materials, steps=steps
            )
        else:
            draft = services.create_draft_with_content(
                item, by=by, fields=fields, materials=materials, steps=steps
            )
    if status == GuideStatus.PUBLISHED:
        services.publish(draft, by=by)
    return result if result != "unchanged" else "updated"
