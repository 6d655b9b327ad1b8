"""Every state change of the catalog.

Views, serializers, the admin and the commands call these functions; each
checks who acts and the preconditions, writes, and records the audit entry in
one transaction. ``by`` is the acting user, or None for the system (the import
command, the demo loader).

Items: ``create_item``, ``update_item``.
Guide versions: ``create_draft``, ``update_draft``, ``set_materials``,
``set_steps``, ``add_material``/``update_material``/``delete_material``,
``add_step``/``update_step``/``delete_step``, and the lifecycle moves
``submit``, ``approve``, ``reject``, ``retire`` (``publish`` = submit + approve).
Retained proofs: ``create_retained_proof``, ``update_retained_proof``.
Lists: ``set_level``, ``request_level``, ``approve_level``, ``reject_level``,
``remove_level``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import Role
from yiwang.core.audit import record
from yiwang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yiwang.regions.models import Department, Hall, Region

from . import consistency, indexing, lifecycle
from . import themes as theme_rules
from .codes import code_problems, parse_code
from .codesets import HandlingForm, ItemType, Level, ServiceObject, item_type_from_code
from .models import (
    GUIDE_FIELDS,
    GuideStatus,
    GuideVersion,
    ItemLevel,
    LevelStatus,
    MaterialRequirement,
    ProcessStep,
    RetainedProof,
    ServiceItem,
    tag_string,
)

ITEM_EDITABLE = (
    "name",
    "group",
    "item_type",
    "department",
    "service_objects",
    "is_active",
    "themes",
    "life_events",
)
MATERIAL_EDITABLE = (
    "name",
    "issuing_body",
    "originals",
    "copies",
    "required",
    "source",
    "is_proof",
    "proof",
    "blank_form",
    "sample",
    "note",
)
STEP_EDITABLE = ("name", "department", "role", "days", "description")
DRAFT_EDITABLE = tuple(f for f in GUIDE_FIELDS)


# ---------------------------------------------------------------------------
# helpers


def require_admin(by) -> None:
    """Catalog writes need a catalog administrator (or a system administrator)."""
    if not lifecycle.may_act(by, lifecycle.ADMIN_ROLES):
        raise Forbidden(_("只有事项管理员可以维护事项清单和办事指南"), code="catalog.forbidden")


def _invalid(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, code="invalid", fields={field: [message]})


def _from_django(exc: ValidationError) -> ValidationFailed:
    fields = getattr(exc, "message_dict", None) or {"__all__": exc.messages}
    first = next(iter(fields.values()))[0]
    return ValidationFailed(first, fields=fields)


def item_snapshot(item: ServiceItem) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "group": item.group,
        "item_type": item.item_type,
        "department": item.department.name if item.department_id else "",
        "service_objects": list(item.service_objects or []),
        "halls": sorted(str(h) for h in item.halls.values_list("name", flat=True))
        if item.pk
        else [],
        "is_active": item.is_active,
        "themes": item.theme_list,
        "life_events": item.life_event_list,
    }


def version_snapshot(version: GuideVersion) -> dict:
    data = {"number": version.number, "status": version.status}
    data.update({f: getattr(version, f) for f in GUIDE_FIELDS})
    data["materials"] = [material_snapshot(m) for m in version.materials.order_by("position")]
    data["steps"] = [step_snapshot(s) for s in version.steps.order_by("position")]
    return data


def material_snapshot(m: MaterialRequirement) -> dict:
    return {
        "name": m.name,
        "issuing_body": m.issuing_body,
        "originals": m.originals,
        "copies": m.copies,
        "required": m.required,
        "source": m.source,
        "is_proof": m.is_proof,
        "proof": m.proof.name if m.proof_id else "",
        "blank_form": m.blank_form.name if m.blank_form else "",
        "sample": m.sample.name if m.sample else "",
        "note": m.note,
    }


def step_snapshot(s: ProcessStep) -> dict:
    return {
        "name": s.name,
        "department": s.department.name if s.department_id else "",
        "role": s.role,
        "days": s.days,
        "description": s.description,
    }


def _lock_version(version: GuideVersion) -> GuideVersion:
    """Lock the version's row and re-read it into the caller's instance: two
    admins pressing the same button at once — one wins, the other sees the
    new status (and the caller's object stays current)."""
    if not GuideVersion.objects.select_for_update().filter(pk=version.pk).exists():
        raise NotFound(_("指南版本不存在"))
    version.refresh_from_db()
    return version


def _require_draft(version: GuideVersion) -> None:
    if version.is_frozen:
        raise Conflict(_("已发布的版本不可修改，请新建草稿"), code="guide.frozen")
    if version.status != GuideStatus.DRAFT:
        raise Conflict(
            _("版本处于「%(status)s」状态，只有草稿可以修改")
            % {"status": version.get_status_display()},
            code="guide.not_draft",
        )


# ---------------------------------------------------------------------------
# items


def _clean_item_fields(data: dict) -> dict:
    out = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise _invalid("name", _("事项名称不能为空"))
        if len(name) > 200:
            raise _invalid("name", _("事项名称不能超过 200 个字"))
        out["name"] = name
    if "group" in data:
        out["group"] = (data["group"] or "").strip()[:200]
    if "item_type" in data:
        value = item_type_from_code(data["item_type"])
        if value is None:
            raise _invalid("item_type", _("未知的事项类型：%(v)s") % {"v": data["item_type"]})
        out["item_type"] = str(value)
    if "department" in data:
        dept = data["department"]
        if not isinstance(dept, Department):
            dept = Department.objects.filter(pk=dept).first() if dept else None
        if dept is None:
            raise _invalid("department", _("请选择实施部门"))
        out["department"] = dept
    if "service_objects" in data:
        values = list(data["service_objects"] or [])
        bad = [v for v in values if v not in ServiceObject.values]
        if bad:
            raise _invalid("service_objects", _("未知的服务对象：%(v)s") % {"v": "、".join(bad)})
        out["service_objects"] = values
    if "is_active" in data:
        out["is_active"] = bool(data["is_active"])
    for key, table, label in (
        ("themes", theme_rules.THEMES_BY_SLUG, _("主题")),
        ("life_events", theme_rules.LIFE_EVENTS_BY_SLUG, _("人生事件")),
    ):
        if key in data:
            values = data[key] or []
            values = values.split() if isinstance(values, str) else list(values)
            bad = [v for v in values if v not in table]
            if bad:
                raise _invalid(
                    key, _("未知的%(label)s：%(v)s") % {"label": label, "v": "、".join(bad)}
                )
            out[key] = tag_string(values)
    return out


def _resolve_halls(halls) -> list[Hall]:
    result = []
    for h in halls or []:
        hall = h if isinstance(h, Hall) else Hall.objects.filter(pk=h).first()
        if hall is None:
            raise _invalid("halls", _("大厅不存在：%(v)s") % {"v": h})
        result.append(hall)
    return result


@transaction.atomic
def create_item(
    *,
    by,
    code: str,
    name: str,
    item_type,
    department,
    group: str = "",
    service_objects=(),
    halls=(),
    area_code: str = "",
    with_draft: bool = True,
    levels=(),
    themes=None,
    life_events=None,
) -> ServiceItem:
    """A new item with its code parsed (see ``codes``), on the county / town
    lists named in ``levels`` (a village entry is only requested), and,
    unless told, an empty draft guide (version 1) named after it. Themes and
    life events not given are suggested by ``themes.suggest``. One audit
    entry covers all of it."""
    require_admin(by)
    problems = code_problems(code)
    if problems:
        raise _invalid("code", problems[0])
    code = code.strip()
    if ServiceItem.objects.filter(code=code).exists():
        raise Conflict(
            _("事项编码 %(code)s 已存在") % {"code": code},
            code="catalog.duplicate_code",
            fields={"code": [_("事项编码已存在")]},
        )
    data = _clean_item_fields(
        {
            "name": name,
            "group": group,
            "item_type": item_type,
            "department": department,
            "service_objects": list(service_objects or []),
        }
    )
    if themes is None or life_events is None:
        suggested = theme_rules.suggest(
            data["name"], data.get("group", ""), data["department"].name
        )
        themes = suggested[0] if themes is None else themes
        life_events = suggested[1] if life_events is None else life_events
    data.update(_clean_item_fields({"themes": themes, "life_events": life_events}))
    parsed = parse_code(code, area_code=area_code)
    item = ServiceItem(
        code=code,
        code_shape=parsed.shape,
        basic_code=parsed.basic_code[:32],
        code_parts=parsed.parts,
        code_issues=([parsed.warning] if parsed.warning else []) + parsed.issues,
        **data,
    )
    item.save(force_insert=True)
    if halls:
        item.halls.set(_resolve_halls(halls))
    now = timezone.now()
    entries = []
    for level in dict.fromkeys(levels or ()):
        level = _clean_level(level)
        approved = level != Level.VILLAGE
        entries.append(
            ItemLevel(
                item=item,
                level=level,
                status=LevelStatus.APPROVED if approved else LevelStatus.REQUESTED,
                requested_by=by,
                requested_at=now,
                decided_by=by if approved else None,
                decided_at=now if approved else None,
            )
        )
    ItemLevel.objects.bulk_create(entries)
    after = item_snapshot(item)
    after["levels"] = {e.level: e.status for e in entries}
    if with_draft:
        _new_version(item, by=by, fields={"name": item.name}, audit=False)
        after["draft"] = 1
    record(actor=by, action="catalog.item.create", target=item, after=after)
    indexing.schedule(item.pk)
    return item


@transaction.atomic
def update_item(item: ServiceItem, *, by, halls=None, **changes) -> ServiceItem:
    """Change any of name, group, item_type, department, service_objects,
    is_active, and (``halls``) the halls that offer it. The code never changes:
    it is the key cases and other systems hold."""
    require_admin(by)
    unknown = set(changes) - set(ITEM_EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            fields={k: [_("不可修改")] for k in unknown},
        )
    ServiceItem.objects.select_for_update().filter(pk=item.pk).exists()
    item.refresh_from_db()
    before = item_snapshot(item)
    for k, v in _clean_item_fields(changes).items():
        setattr(item, k, v)
    if halls is not None:
        item.halls.set(_resolve_halls(halls))
    after = item_snapshot(item)
    if after != before:
        item.save()
        record(actor=by, action="catalog.item.update", target=item, before=before, after=after)
        indexing.schedule(item.pk)
    return item


# ---------------------------------------------------------------------------
# guide versions


def _new_version(
    item: ServiceItem, *, by, fields: dict, number: int | None = None, audit: bool = True
) -> GuideVersion:
    if number is None:
        number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = GuideVersion(
        item=item, number=number, status=GuideStatus.DRAFT, created_by=by, **fields
    )
    try:
        with transaction.atomic():
            version.save(force_insert=True)
    except IntegrityError:
        raise Conflict(
            _("事项 %(code)s 已有未发布的草稿或待审核版本，请在该版本上修改") % {"code": item.code},
            code="guide.open_version_exists",
        )
    if audit:
        record(
            actor=by,
            action="catalog.guide.create",
            target=version,
            after={"item": item.code, "number": number},
        )
    return version


@transaction.atomic
def create_draft(item: ServiceItem, *, by, copy_from: GuideVersion | None = None) -> GuideVersion:
    """A new draft of the item's guide, copied (fields, materials, steps) from
    ``copy_from`` or else from the current published version, else from the
    latest version. Editing a published guide always goes through here."""
    require_admin(by)
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    open_version = item.versions.filter(status__in=[GuideStatus.DRAFT, GuideStatus.REVIEW]).first()
    if open_version is not None:
        raise Conflict(
            _("事项已有未发布的版本 v%(n)d（%(status)s），请在该版本上修改")
            % {"n": open_version.number, "status": open_version.get_status_display()},
            code="guide.open_version_exists",
        )
    source = copy_from or (
        item.versions.filter(status=GuideStatus.PUBLISHED).first()
        or item.versions.order_by("-number").first()
    )
    if source is not None and source.item_id != item.pk:
        raise _invalid("copy_from", _("只能复制同一事项的版本"))
    fields = source.content() if source is not None else {"name": item.name}
    version = _new_version(item, by=by, fields=fields)
    if source is not None:
        MaterialRequirement.objects.bulk_create(
            [
                MaterialRequirement(
                    version=version,
                    position=m.position,
                    **{f: getattr(m, f) for f in MATERIAL_EDITABLE},
                )
                for m in source.materials.order_by("position")
            ]
        )
        ProcessStep.objects.bulk_create(
            [
                ProcessStep(
                    version=version,
                    position=s.position,
                    **{f: getattr(s, f) for f in STEP_EDITABLE},
                )
                for s in source.steps.order_by("position")
            ]
        )
    return version


@transaction.atomic
def create_draft_with_content(
    item: ServiceItem, *, by, fields: dict, materials: list[dict], steps: list[dict]
) -> GuideVersion:
    """A new draft holding the given guide fields, materials and steps in one
    go (importers, the demo generator). Same checks as the step-by-step path."""
    require_admin(by)
    fields = _clean_guide_fields(None, dict(fields))
    probe = GuideVersion(item=item, number=1, **fields)
    try:
        probe.clean_fields(
            exclude=[
                "item",
                "created_by",
                "submitted_by",
                "reviewed_by",
                "published_by",
                "retired_by",
            ]
        )
    except ValidationError as exc:
        raise _from_django(exc)
    clean_materials = [_clean_material(dict(m)) for m in materials]
    clean_steps = [_clean_step(dict(s), item.department) for s in steps]
    version = _new_version(item, by=by, fields=fields)
    MaterialRequirement.objects.bulk_create(
        [
            MaterialRequirement(version=version, position=i, **d)
            for i, d in enumerate(clean_materials, 1)
        ]
    )
    ProcessStep.objects.bulk_create(
        [ProcessStep(version=version, position=i, **d) for i, d in enumerate(clean_steps, 1)]
    )
    return version


@transaction.atomic
def fill_draft(
    version: GuideVersion, *, by, fields: dict, materials: list[dict], steps: list[dict]
) -> GuideVersion:
    """Set a draft's fields, materials and steps in one go."""
    version = update_draft(version, by=by, **fields)
    set_materials(version, materials, by=by)
    set_steps(version, steps, by=by)
    return version


def _clean_guide_fields(version: GuideVersion | None, changes: dict) -> dict:
    unknown = set(changes) - set(DRAFT_EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            fields={k: [_("不可修改")] for k in unknown},
        )
    if "handling_forms" in changes:
        forms = list(changes["handling_forms"] or [])
        bad = [f for f in forms if f not in HandlingForm.values]
        if bad:
            raise _invalid(
                "handling_forms", _("未知的办理形式：%(v)s") % {"v": "、".join(map(str, bad))}
            )
        changes["handling_forms"] = forms
    for text_field in ("name", "consult_phone", "complaint_phone", "handling_place"):
        if text_field in changes and changes[text_field] is not None:
            changes[text_field] = str(changes[text_field]).strip()
    return changes


@transaction.atomic
def update_draft(version: GuideVersion, *, by, **changes) -> GuideVersion:
    """Change guide fields of a draft. A published (or retired) version never
    changes: Conflict ("已发布的版本不可修改，请新建草稿")."""
    require_admin(by)
    version = _lock_version(version)
    _require_draft(version)
    changes = _clean_guide_fields(version, changes)
    before = {f: getattr(version, f) for f in changes}
    for k, v in changes.items():
        setattr(version, k, v)
    try:
        version.clean_fields(
            exclude=[
                "item",
                "created_by",
                "submitted_by",
                "reviewed_by",
                "published_by",
                "retired_by",
            ]
        )
    except ValidationError as exc:
        raise _from_django(exc)
    after = {f: getattr(version, f) for f in changes}
    if after != before:
        version.save()
        record(actor=by, action="catalog.guide.update", target=version, before=before, after=after)
    return version


def _resolve_proof(data: dict) -> RetainedProof | None:
    """The retained proof a material refers to (by object, id or name), or
    None. Raises when the material is a proof not on the list."""
    name = (data.get("name") or "").strip()
    proof = data.get("proof")
    if proof is not None and not isinstance(proof, RetainedProof):
        proof = (
            RetainedProof.objects.filter(pk=proof).first()
            if _looks_like_pk(proof)
            else RetainedProof.objects.filter(name=str(proof).strip()).first()
        )
    is_proof = bool(data.get("is_proof")) or consistency.looks_like_proof(name) or proof is not None
    if not is_proof:
        return None
    if proof is None:
        proof = RetainedProof.objects.filter(name=name).first()
    if proof is None or not proof.is_active:
        message = _("证明「%(name)s」不在保留证明清单内，不能要求申请人提供（清单之外无证明）") % {
            "name": name
        }
        raise ValidationFailed(
            message, code="catalog.proof_not_retained", fields={"materials": [message]}
        )
    return proof


def _looks_like_pk(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def _clean_material(data: dict) -> dict:
    unknown = set(data) - set(MATERIAL_EDITABLE) - {"position", "id"}
    if unknown:
        raise ValidationFailed(
            _("未知的材料字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            fields={k: [_("未知字段")] for k in unknown},
        )
    name = (data.get("name") or "").strip()
    if not name:
        raise _invalid("materials", _("材料名称不能为空"))
    out = {k: v for k, v in data.items() if k in MATERIAL_EDITABLE and v is not None}
    out["name"] = name
    proof = _resolve_proof(data)
    out["proof"] = proof
    out["is_proof"] = proof is not None
    probe = MaterialRequirement(**{k: v for k, v in out.items()})
    try:
        probe.clean_fields(exclude=["version", "proof", "blank_form", "sample", "id"])
    except ValidationError as exc:
        raise _from_django(exc)
    return out


def _clean_step(data: dict, default_department=None) -> dict:
    unknown = set(data) - set(STEP_EDITABLE) - {"position", "id"}
    if unknown:
        raise ValidationFailed(
            _("未知的环节字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            fields={k: [_("未知字段")] for k in unknown},
        )
    name = (data.get("name") or "").strip()
    if not name:
        raise _invalid("steps", _("环节名称不能为空"))
    out = {k: v for k, v in data.items() if k in STEP_EDITABLE and v is not None}
    out["name"] = name
    dept = data.get("department")
    if dept is not None and not isinstance(dept, Department):
        dept = (
            Department.objects.filter(pk=dept).first()
            if _looks_like_pk(dept)
            else Department.objects.filter(name=str(dept)).first()
        )
        if dept is None:
            raise _invalid("steps", _("环节「%(name)s」的承办部门不存在") % {"name": name})
    out["department"] = dept or default_department
    role = out.get("role") or ""
    if role and role not in Role.values:
        raise _invalid(
            "steps", _("环节「%(name)s」的承办角色未知：%(role)s") % {"name": name, "role": role}
        )
    try:
        days = int(out.get("days") or 0)
    except (TypeError, ValueError):
        raise _invalid("steps", _("环节「%(name)s」的时限必须是整数") % {"name": name})
    if days < 0:
        raise _invalid("steps", _("环节「%(name)s」的时限不能为负数") % {"name": name})
    out["days"] = days
    return out


@transaction.atomic
def set_materials(version: GuideVersion, materials: list[dict], *, by) -> list[MaterialRequirement]:
    """Replace a draft's materials with ``materials`` (in order). A proof not
    on the retained-proofs list is refused, naming it."""
    require_admin(by)
    version = _lock_version(version)
    _require_draft(version)
    cleaned = [_clean_material(dict(m)) for m in materials]
    before = [material_snapshot(m) for m in version.materials.order_by("position")]
    version.materials.all().delete()
    rows = MaterialRequirement.objects.bulk_create(
        [
            MaterialRequirement(version=version, position=i, **data)
            for i, data in enumerate(cleaned, start=1)
        ]
    )
    after = [material_snapshot(m) for m in rows]
    if after != before:
        record(
            actor=by,
            action="catalog.guide.materials",
            target=version,
            before={"materials": before},
            after={"materials": after},
        )
    return rows


@transaction.atomic
def set_steps(version: GuideVersion, steps: list[dict], *, by) -> list[ProcessStep]:
    """Replace a draft's process steps with ``steps`` (in order)."""
    require_admin(by)
    version = _lock_version(version)
    _require_draft(version)
    cleaned = [_clean_step(dict(s), version.item.department) for s in steps]
    before = [step_snapshot(s) for s in version.steps.order_by("position")]
    version.steps.all().delete()
    rows = ProcessStep.objects.bulk_create(
        [
            ProcessStep(version=version, position=i, **data)
            for i, data in enumerate(cleaned, start=1)
        ]
    )
    after = [step_snapshot(s) for s in rows]
    if after != before:
        record(
            actor=by,
            action="catalog.guide.steps",
            target=version,
            before={"steps": before},
            after={"steps": after},
        )
    return rows


def _next_position(qs) -> int:
    return (qs.aggregate(n=Max("position"))["n"] or 0) + 1


@transaction.atomic
def add_material(version: GuideVersion, *, by, **data) -> MaterialRequirement:
    require_admin(by)
    version = _lock_version(version)
    _require_draft(version)
    cleaned = _clean_material(data)
    position = data.get("position") or _next_position(version.materials)
    material = MaterialRequirement(version=version, position=position, **cleaned)
    material.save(force_insert=True)
    record(
        actor=by, action="catalog.material.add", target=version, after=material_snapshot(material)
    )
    return material


@transaction.atomic
def update_material(material: MaterialRequirement, *, by, **changes) -> MaterialRequirement:
    require_admin(by)
    version = _lock_version(material.version)
    _require_draft(version)
    before = material_snapshot(material)
    current = {f: getattr(material, f) for f in MATERIAL_EDITABLE}
    if "proof" not in changes and "name" in changes:
        current["proof"] = None
    cleaned = _clean_material({**current, **changes})
    for k, v in cleaned.items():
        setattr(material, k, v)
    if "position" in changes:
        material.position = int(changes["position"])
    material.save()
    record(
        actor=by,
        action="catalog.material.update",
        target=version,
        before=before,
        after=material_snapshot(material),
    )
    return material


@transaction.atomic
def delete_material(material: MaterialRequirement, *, by) -> None:
    require_admin(by)
    version = _lock_version(material.version)
    _require_draft(version)
    before = material_snapshot(material)
    material.delete()
    record(actor=by, action="catalog.material.delete", target=version, before=before)


@transaction.atomic
def add_step(version: GuideVersion, *, by, **data) -> ProcessStep:
    require_admin(by)
    version = _lock_version(version)
    _require_draft(version)
    cleaned = _clean_step(data, version.item.department)
    position = data.get("position") or _next_position(version.steps)
    step = ProcessStep(version=version, position=position, **cleaned)
    step.save(force_insert=True)
    record(actor=by, action="catalog.step.add", target=version, after=step_snapshot(step))
    return step


@transaction.atomic
def update_step(step: ProcessStep, *, by, **changes) -> ProcessStep:
    require_admin(by)
    version = _lock_version(step.version)
    _require_draft(version)
    before = step_snapshot(step)
    current = {f: getattr(step, f) for f in STEP_EDITABLE}
    cleaned = _clean_step({**current, **changes}, version.item.department)
    for k, v in cleaned.items():
        setattr(step, k, v)
    if "position" in changes:
        step.position = int(changes["position"])
    step.save()
    record(
        actor=by,
        action="catalog.step.update",
        target=version,
        before=before,
        after=step_snapshot(step),
    )
    return step


@transaction.atomic
def delete_step(step: ProcessStep, *, by) -> None:
    require_admin(by)
    version = _lock_version(step.version)
    _require_draft(version)
    before = step_snapshot(step)
    step.delete()
    record(actor=by, action="catalog.step.delete", target=version, before=before)


def check_publishable(version: GuideVersion) -> None:
    """Raise ValidationFailed naming every broken consistency rule (rule and
    field) — a guide that breaks one cannot be published."""
    found = consistency.violations(version)
    if not found:
        return
    fields: dict[str, list[str]] = {}
    for v in found:
        fields.setdefault(v.field, []).append(str(v))
    message = _("指南不符合发布规则，不能发布：%(list)s") % {
        "list": "；".join(str(v) for v in found)
    }
    raise ValidationFailed(message, code="guide.inconsistent", fields=fields)


def _move(version: GuideVersion, action: str, *, by, note: str = "") -> GuideVersion:
    version = _lock_version(version)
    transition = lifecycle.check(version, action, by)
    before = {"status": version.status}
    now = timezone.now()
    if action == "submit":
        check_publishable(version)
        version.submitted_by, version.submitted_at = by, now
        version.review_note = ""
    elif action == "reject":
        if not (note or "").strip():
            raise _invalid("note", _("退回时必须写明理由"))
        version.reviewed_by, version.reviewed_at = by, now
        version.review_note = note.strip()[:500]
    elif action == "approve":
        check_publishable(version)
        previous = (
            GuideVersion.objects.select_for_update()
            .filter(item_id=version.item_id, status=GuideStatus.PUBLISHED)
            .exclude(pk=version.pk)
            .first()
        )
        if previous is not None:
            previous.status = GuideStatus.RETIRED
            previous.retired_by, previous.retired_at = by, now
            previous.save(update_fields=["status", "retired_by", "retired_at", "updated_at"])
            record(
                actor=by,
                action="catalog.guide.retire",
                target=previous,
                before={"status": GuideStatus.PUBLISHED},
                after={"status": GuideStatus.RETIRED, "superseded_by": version.number},
            )
        version.reviewed_by, version.reviewed_at = by, now
        version.review_note = (note or "").strip()[:500]
        version.published_by, version.published_at = by, now
    elif action == "retire":
        version.retired_by, version.retired_at = by, now
    version.status = transition.target
    version.save()
    record(
        actor=by,
        action=f"catalog.guide.{action}",
        target=version,
        before=before,
        after={"status": version.status, "note": note or ""},
    )
    if action in ("approve", "retire"):
        indexing.schedule(version.item_id)
    return version


@transaction.atomic
def submit(version: GuideVersion, *, by) -> GuideVersion:
    """draft → review. The consistency rules are checked already here so
    reviewers only see guides that can be published."""
    return _move(version, "submit", by=by)


@transaction.atomic
def approve(version: GuideVersion, *, by, note: str = "") -> GuideVersion:
    """review → published; the previously published version is retired."""
    return _move(version, "approve", by=by, note=note)


@transaction.atomic
def reject(version: GuideVersion, *, by, note: str) -> GuideVersion:
    """review → draft, with the reason."""
    return _move(version, "reject", by=by, note=note)


@transaction.atomic
def retire(version: GuideVersion, *, by, note: str = "") -> GuideVersion:
    """published → retired (the item then has no published guide)."""
    return _move(version, "retire", by=by, note=note)


@transaction.atomic
def publish(version: GuideVersion, *, by, note: str = "") -> GuideVersion:
    """submit (when a draft) and approve in one go: the CLI and the demo."""
    if version.status == GuideStatus.DRAFT:
        version = submit(version, by=by)
    return approve(version, by=by, note=note)


# ---------------------------------------------------------------------------
# retained proofs (保留证明清单)


def _proof_snapshot(p: RetainedProof) -> dict:
    return {
        "name": p.name,
        "issuing_body": p.issuing_body,
        "legal_basis": p.legal_basis,
        "is_active": p.is_active,
    }


@transaction.atomic
def create_retained_proof(
    *, by, name: str, issuing_body: str = "", legal_basis: str = "", is_active: bool = True
) -> RetainedProof:
    require_admin(by)
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("证明名称不能为空"))
    if RetainedProof.objects.filter(name=name).exists():
        raise Conflict(
            _("保留证明清单中已有「%(name)s」") % {"name": name}, fields={"name": [_("已存在")]}
        )
    proof = RetainedProof(
        name=name,
        issuing_body=(issuing_body or "").strip(),
        legal_basis=legal_basis or "",
        is_active=is_active,
    )
    proof.save(force_insert=True)
    record(actor=by, action="catalog.proof.create", target=proof, after=_proof_snapshot(proof))
    return proof


@transaction.atomic
def update_retained_proof(proof: RetainedProof, *, by, **changes) -> RetainedProof:
    require_admin(by)
    unknown = set(changes) - {"name", "issuing_body", "legal_basis", "is_active"}
    if unknown:
        raise ValidationFailed(_("不能修改这些字段"), fields={k: [_("不可修改")] for k in unknown})
    before = _proof_snapshot(proof)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise _invalid("name", _("证明名称不能为空"))
        if RetainedProof.objects.filter(name=name).exclude(pk=proof.pk).exists():
            raise Conflict(
                _("保留证明清单中已有「%(name)s」") % {"name": name}, fields={"name": [_("已存在")]}
            )
        changes["name"] = name
    for k, v in changes.items():
        setattr(proof, k, v)
    after = _proof_snapshot(proof)
    if after != before:
        proof.save()
        record(actor=by, action="catalog.proof.update", target=proof, before=before, after=after)
    return proof


# ---------------------------------------------------------------------------
# the county / town / village lists and village admission (准入制)


def is_county_catalog_admin(user) -> bool:
    """A catalog administrator whose region scope is the county itself."""
    if user is None:
        return True
    from yiwang.accounts.scopes import is_active_account, roles_of

    return is_active_account(user) and any(
        r.region.level == Level.COUNTY for r in roles_of(user, Role.CATALOG_ADMIN)
    )


def _level_snapshot(entry: ItemLevel) -> dict:
    return {
        "item": entry.item.code,
        "level": entry.level,
        "status": entry.status,
        "reason": entry.reason,
    }


def _clean_level(level) -> str:
    if level not in Level.values:
        raise _invalid("level", _("层级必须是 county、town 或 village"))
    return level


@transaction.atomic
def set_level(item: ServiceItem, level: str, *, by, reason: str = "") -> ItemLevel:
    """Put an item on the county or town list (approved at once). For the
    village list this only files a request (see ``request_level``)."""
    level = _clean_level(level)
    if level == Level.VILLAGE:
        return request_level(item, level, by=by, reason=reason)
    require_admin(by)
    now = timezone.now()
    entry, created = ItemLevel.objects.select_for_update().get_or_create(
        item=item,
        level=level,
        defaults={
            "status": LevelStatus.APPROVED,
            "requested_by": by,
            "requested_at": now,
            "decided_by": by,
            "decided_at": now,
            "reason": reason,
        },
    )
    if not created and entry.status != LevelStatus.APPROVED:
        before = _level_snapshot(entry)
        entry.status, entry.decided_by, entry.decided_at, entry.reason = (
            LevelStatus.APPROVED,
            by,
            now,
            reason,
        )
        entry.save()
        record(
            actor=by,
            action="catalog.level.set",
            target=entry,
            before=before,
            after=_level_snapshot(entry),
        )
    elif created:
        record(actor=by, action="catalog.level.set", target=entry, after=_level_snapshot(entry))
    return entry


@transaction.atomic
def request_level(item: ServiceItem, level: str, *, by, reason: str = "") -> ItemLevel:
    """Ask for an item to be admitted to a list. Village entries wait for a
    county catalog administrator's approval; until then villages cannot offer
    the item. A rejected entry may be requested again."""
    require_admin(by)
    level = _clean_level(level)
    if level != Level.VILLAGE:
        return set_level(item, level, by=by, reason=reason)
    now = timezone.now()
    entry = ItemLevel.objects.select_for_update().filter(item=item, level=level).first()
    if entry is not None and entry.status != LevelStatus.REJECTED:
        raise Conflict(
            _("该事项的村级准入已是「%(status)s」") % {"status": entry.get_status_display()},
            code="catalog.level_exists",
        )
    before = _level_snapshot(entry) if entry else None
    if entry is None:
        entry = ItemLevel(item=item, level=level)
    entry.status = LevelStatus.REQUESTED
    entry.requested_by, entry.requested_at = by, now
    entry.decided_by, entry.decided_at = None, None
    entry.reason = (reason or "").strip()[:500]
    entry.save()
    record(
        actor=by,
        action="catalog.level.request",
        target=entry,
        before=before,
        after=_level_snapshot(entry),
    )
    return entry


def _decide(entry: ItemLevel, *, by, status: str, reason: str) -> ItemLevel:
    if not is_county_catalog_admin(by):
        raise Forbidden(_("村级事项准入只能由县级事项管理员审批"), code="catalog.level_forbidden")
    entry = ItemLevel.objects.select_for_update().select_related("item").get(pk=entry.pk)
    if entry.status != LevelStatus.REQUESTED:
        raise Conflict(
            _("该准入申请已是「%(status)s」，不能再审批") % {"status": entry.get_status_display()},
            code="catalog.level_decided",
        )
    before = _level_snapshot(entry)
    entry.status = status
    entry.decided_by, entry.decided_at = by, timezone.now()
    if reason:
        entry.reason = reason.strip()[:500]
    entry.save()
    record(
        actor=by,
        action=f"catalog.level.{'approve' if status == LevelStatus.APPROVED else 'reject'}",
        target=entry,
        before=before,
        after=_level_snapshot(entry),
    )
    return entry


@transaction.atomic
def approve_level(entry: ItemLevel, *, by, reason: str = "") -> ItemLevel:
    """Admit an item to the village list: only a county catalog administrator."""
    return _decide(entry, by=by, status=LevelStatus.APPROVED, reason=reason)


@transaction.atomic
def reject_level(entry: ItemLevel, *, by, reason: str) -> ItemLevel:
    if not (reason or "").strip():
        raise _invalid("reason", _("驳回时必须写明理由"))
    return _decide(entry, by=by, status=LevelStatus.REJECTED, reason=reason)


@transaction.atomic
def remove_level(entry: ItemLevel, *, by) -> None:
    """Take an item off a list (动态管理)."""
    require_admin(by)
    if (
        entry.level == Level.VILLAGE
        and entry.status == LevelStatus.APPROVED
        and not is_county_catalog_admin(by)
    ):
        raise Forbidden(_("村级事项准入只能由县级事项管理员调整"), code="catalog.level_forbidden")
    before = _level_snapshot(entry)
    record(actor=by, action="catalog.level.remove", target=entry, before=before)
    entry.delete()


# ---------------------------------------------------------------------------
# departments (the importers need them by exact name)


def ensure_department(
    name: str, *, region: Region | None = None, code: str = "", by=None
) -> tuple[Department, bool]:
    """The department named exactly ``name``; created through
    ``regions.services`` when missing. Returns (department, created)."""
    name = (name or "").strip()
    existing = Department.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    from yiwang.regions import services as region_services

    code = (code or "").strip().upper()
    if len(code) not in (0, 9, 18) or not code.isalnum():
        code = ""
    return region_services.create_department(by=by, name=name, code=code, region=region), True


__all__ = [
    "ItemType",
    "approve",
    "approve_level",
    "check_publishable",
    "create_draft",
    "create_item",
    "create_retained_proof",
    "ensure_department",
    "publish",
    "reject",
    "reject_level",
    "remove_level",
    "request_level",
    "retire",
    "set_level",
    "set_materials",
    "set_steps",
    "submit",
    "update_draft",
    "update_item",
    "update_retained_proof",
]
