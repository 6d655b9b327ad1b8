"""Every state change of a case.

Each public function is one move of the lifecycle (``lifecycle.TRANSITIONS``):
it locks the case row, checks the expected revision (a stale client gets a
conflict), checks the move against the table and the actor against its
parties, changes the case, appends a ``CaseEvent`` to the case's history,
records the audit entry and emits the outbox event — all in one transaction.
Two clerks pressing "accept" at once: one wins, the other's move finds the
case already accepted and gets a 409.

Time is working days: the period runs from ``accepted_on`` (the day of
acceptance, or the day of receipt when the front desk did not ask for
corrections within 5 working days, 行政许可法 art. 32); suspensions
(特别程序, art. 45) are stored as intervals and every deadline is recomputed
from them by ``recompute_deadlines``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.models import AccountKind, Role, User
from yiwang.accounts.scopes import has_role, in_scope, is_active_account, roles_of
from yiwang.catalog import selectors as catalog
from yiwang.catalog.codesets import CaseType, MaterialSource, TimeUnit
from yiwang.core import calendar, outbox, pii
from yiwang.core.audit import record
from yiwang.core.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from yiwang.core.identifiers import parse_credit_code, parse_phone, parse_resident_id
from yiwang.regions.models import Hall

from . import lifecycle, parties
from .models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    Channel,
    CorrectionNotice,
    Delivery,
    DocumentKind,
    Extension,
    ExtensionStatus,
    Notification,
    Status,
    StepKind,
    StepState,
    Suspension,
    SuspensionKind,
)
from .rules import CASE_SCOPE

ONE_DAY = dt.timedelta(days=1)
# 行政许可法 art. 32: corrections must be asked within 5 working days of receipt.
CORRECTION_WINDOW_DAYS = 5


def now() -> dt.datetime:
    """The service clock (tests monkeypatch ``yiwang.cases.services.now``)."""
    return timezone.now()


def today() -> dt.date:
    return calendar.local_today(now())


def max_extension_days() -> int:
    return int(getattr(settings, "YIWANG_MAX_EXTENSION_DAYS", 10))


def max_upload_bytes() -> int:
    return int(getattr(settings, "YIWANG_UPLOAD_MAX_MB", 20)) * 1024 * 1024


def _invalid(field: str, message, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [message]})


def _text(value, field: str, label, *, required: bool = True, max_length: int = 2000) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(field, _("请填写%(label)s") % {"label": label}, "required")
    if len(text) > max_length:
        raise _invalid(field, _("%(label)s不能超过 %(n)s 个字") % {"label": label, "n": max_length})
    return text


# ---------------------------------------------------------------------------
# Case numbers


def _bump_counter(key: str) -> int:
    """The next value of one counter, inside the caller's transaction: an
    upsert that returns the new value, so only writers of the same key wait."""
    table = connection.ops.quote_name("cases_casecounter")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, value) VALUES (%s, 1) "
            f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [key],
        )
        return cursor.fetchone()[0]


def next_case_no(region_code: str, day: dt.date) -> str:
    """``<12-digit region code>-<yyyymmdd>-<5-digit sequence>``: the region
    and Shanghai day where the case was made, so numbers made on different
    servers never collide. Must run inside the submitting transaction."""
    stamp = day.strftime("%Y%m%d")
    seq = _bump_counter(f"{region_code}:{stamp}")
    return f"{region_code}-{stamp}-{seq:05d}"


# ---------------------------------------------------------------------------
# Snapshots, history, notifications


def snapshot(case: Case) -> dict:
    return {
        "case_no": case.case_no,
        "status": case.status,
        "revision": case.revision,
        # Steps exist only once a case is accepted: no query before that.
        "step": getattr(parties.active_step(case), "name", "") if case.accepted_on else "",
        "accepted_on": case.accepted_on,
        "promised_due": case.promised_due,
        "statutory_due": case.statutory_due,
    }


def _lock(case: Case, expected_revision: int | None = None) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("item", "version", "hall__region", "issue_hall__region", "region")
        .filter(pk=case.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("办件不存在"), code="not_found")
    if expected_revision is not None and int(expected_revision) != locked.revision:
        raise Conflict(
            _("办件已被他人更新（当前修订号 %(now)s，您看到的是 %(seen)s），请刷新后重试")
            % {"now": locked.revision, "seen": expected_revision},
            code="case.stale",
        )
    return locked


def _authorise(case: Case, action: str, by) -> lifecycle.Transition:
    """Scope first (outside it: 404), then the status (409), then the party (403)."""
    if by is not None and not in_scope(by, case, CASE_SCOPE):
        raise NotFound(_("办件不存在"), code="not_found")
    transition = lifecycle.check_status(case, action)
    if not parties.may(by, case, transition):
        raise Forbidden(
            _("您不能对此办件执行「%(action)s」") % {"action": transition.label},
            code="case.forbidden",
        )
    return transition


def _append_event(
    case: Case,
    action: str,
    from_status: str,
    *,
    by,
    opinion: str = "",
    step: CaseStep | None = None,
    data: dict | None = None,
) -> CaseEvent:
    last = case.events.order_by("-seq").values_list("seq", "to_status").first()
    if last is not None and last[1] != from_status:
        # The status column and the history disagree: refuse rather than guess.
        raise Conflict(
            _("办件状态与办理轨迹不一致，请联系系统管理员"), code="case.history_mismatch"
        )
    return CaseEvent.objects.create(
        case=case,
        seq=(last[0] if last else 0) + 1,
        action=action,
        from_status=from_status,
        to_status=case.status,
        national_code=lifecycle.national_code(action, case.status),
        actor=by,
        actor_name=(by.real_name or by.username) if by else _("系统"),
        at=now(),
        step_name=step.name if step else "",
        opinion=opinion,
        data=data or {},
    )


def _commit_move(
    case: Case,
    action: str,
    before: dict,
    *,
    by,
    opinion: str = "",
    step: CaseStep | None = None,
    data: dict | None = None,
) -> CaseEvent:
    """Save the case, append its history, audit and emit: the tail of every move."""
    from_status = before["status"]
    case.revision += 1
    case.save()
    event = _append_event(case, action, from_status, by=by, opinion=opinion, step=step, data=data)
    after = snapshot(case)
    record(
        actor=by,
        action=f"cases.{action}",
        target=case,
        before=before,
        after={**after, "opinion": opinion, **({"data": data} if data else {})},
    )
    _emit_moved(case, event)
    return event


def _emit_moved(case: Case, event: CaseEvent) -> None:
    outbox.emit(
        "cases.moved",
        {
            "case": str(case.pk),
            "event": str(event.pk),
            "case_no": case.case_no,
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
        },
        key=f"cases.case:{case.pk}",
    )


# ---------------------------------------------------------------------------
# Deadlines


def pauses(case: Case, until: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
    """The suspended intervals as closed date ranges: from the day a special
    procedure started to the day before it ended (the clock runs again on
    the day of resumption). A running one lasts until ``until`` (today)."""
    until = until or today()
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


# ---------------------------------------------------------------------------
# Applying


hall_offers = catalog.hall_offers
LEVEL_ORDER = {"county": 0, "town": 1, "village": 2}


def halls_offering(item) -> list[Hall]:
    """The halls where ``item`` can be applied for, county first, then by
    region code and name."""
    halls = list(catalog.halls_offering(item))
    halls.sort(key=lambda h: (LEVEL_ORDER.get(h.region.level, 9), h.region.code, h.name))
    return halls


def default_hall(item) -> Hall | None:
    """Where an online application goes when the applicant names no hall:
    the highest-level hall that offers the item."""
    halls = halls_offering(item)
    return halls[0] if halls else None


def _clean_issue_hall(hall: Hall, issue_hall) -> Hall | None:
    """The result may be issued at the accepting hall or at a hall of a region
    above it (基层受理…中心窗口集中反馈): both clerks' scopes hold the case."""
    if issue_hall in (None, ""):
        return None
    if not isinstance(issue_hall, Hall):
        issue_hall = Hall.objects.filter(pk=issue_hall, is_active=True).first()
        if issue_hall is None:
            raise _invalid("issue_hall", _("出件大厅不存在"))
    if not issue_hall.region.contains(hall.region):
        raise _invalid(
            "issue_hall", _("只能选择受理大厅或其上级区划的大厅出件"), "case.issue_hall_out_of_path"
        )
    return issue_hall


def _identify(applicant: dict, errors: dict) -> tuple[str, str, str, str, User | None]:
    """(kind, name, id number, phone, account) of a walk-in applicant."""
    kind = applicant.get("kind") or AccountKind.CITIZEN
    if kind not in (AccountKind.CITIZEN, AccountKind.ENTERPRISE):
        errors["applicant.kind"] = [_("申请人类型只能是自然人或法人")]
        kind = AccountKind.CITIZEN
    name = str(applicant.get("name") or "").strip()
    if not name:
        errors["applicant.name"] = [_("请填写申请人姓名或名称")]
    number = pii.normalise("id_number", applicant.get("id_number"))
    try:
        if kind == AccountKind.ENTERPRISE:
            parse_credit_code(number, field="applicant.id_number")
        else:
            parse_resident_id(number, field="applicant.id_number")
    except ValidationFailed as exc:
        errors["applicant.id_number"] = [exc.message]
    phone = ""
    try:
        phone = parse_phone(applicant.get("phone"), field="applicant.phone")
    except ValidationFailed as exc:
        errors["applicant.phone"] = [exc.message]
    account = None
    if number and "applicant.id_number" not in errors:
        if kind == AccountKind.ENTERPRISE:
            account = User.objects.filter(credit_code=number, status="active").first()
        else:
            account = User.objects.filter(
                id_number_hash=pii.search_hash("id_number", number), status="active"
            ).first()
    return kind, name, number, phone, account


def _new_case(
    item,
    *,
    by,
    hall=None,
    applicant: dict | None = None,
    title: str = "",
    form_data: dict | None = None,
    delivery: str = Delivery.WINDOW,
    issue_hall=None,
    mail_address: str = "",
) -> Case:
    """Check an application and build its (unsaved) case under the item's published guide.

    A citizen or enterprise applies for themselves online (``hall``: where it
    will be accepted; the item's default hall when omitted). A clerk at a
    window or a village agent applies for a walk-in applicant described by
    ``applicant`` (kind, name, id_number, phone), at their own hall."""
    if not is_active_account(by):
        raise Forbidden(_("请先登录"), code="not_authenticated")
    # Only the version's key is needed here (its guide is read when used).
    version = catalog.published_version_ref(item)
    if version is None or not item.is_active:
        raise _invalid("item", _("该事项没有已发布的办事指南，暂不能申请"), "case.item_unpublished")
    errors: dict = {}
    if by.kind == AccountKind.STAFF:
        desk_roles = roles_of(by, *parties.DESK_ROLES)
        if not desk_roles:
            raise Forbidden(_("只有窗口人员和代办员可以代为申请"), code="case.forbidden")
        if hall is None:
            hall = next((r.hall for r in desk_roles if r.hall_id), None) or (
                Hall.objects.filter(region=desk_roles[0].region, is_active=True)
                .order_by("name")
                .first()
            )
        if hall is None or not parties.is_desk(by, hall.region):
            raise _invalid("hall", _("请选择您所在的大厅"), "case.hall_out_of_scope")
        channel = (
            Channel.AGENT
            if has_role(by, Role.AGENT) and not has_role(by, Role.CLERK)
            else Channel.WINDOW
        )
        kind, name, number, phone, account = _identify(applicant or {}, errors)
    else:
        hall = hall or default_hall(item)
        channel = Channel.ONLINE
        kind, name, account = by.kind, by.real_name, by
        number = (
            by.credit_code
            if by.kind == AccountKind.ENTERPRISE
            else pii.reveal_value(by.id_number_enc)
        )
        phone = pii.normalise("phone", (applicant or {}).get("phone")) or pii.reveal_value(
            by.phone_enc
        )
        if not phone:
            errors["applicant.phone"] = [_("请填写联系电话")]
    if hall is None:
        raise _invalid("hall", _("没有可以受理该事项的大厅"), "case.no_hall")
    if not hall_offers(hall, item):
        raise _invalid(
            "hall",
            _("%(hall)s不能受理该事项") % {"hall": hall.name},
            "case.hall_does_not_offer",
        )
    if delivery not in Delivery.values:
        errors["delivery"] = [_("出件方式无效")]
    if delivery == Delivery.MAIL and not str(mail_address or "").strip():
        errors["mail_address"] = [_("邮寄送达须填写邮寄地址")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, code="invalid", fields=errors)
    case = Case(
        item=item,
        version=version,
        department_id=item.department_id,  # no query for the department row
        hall=hall,
        region=hall.region,
        issue_hall=_clean_issue_hall(hall, issue_hall),
        channel=channel,
        delivery=delivery,
        mail_address=str(mail_address or "").strip()[:300],
        applicant=account,
        applicant_kind=kind,
        applicant_name=name,
        created_by=by,
        agent=by if channel == Channel.AGENT else None,
        title=_text(title, "title", _("申请事由"), required=False, max_length=300),
        form_data=form_data or {},
        status=Status.DRAFT,
    )
    case.id_number_enc, case.id_number_hash = pii.seal("id_number", number)
    case.phone_enc, case.phone_hash = pii.seal("phone", phone)
    return case


def _created_event(case: Case, by) -> CaseEvent:
    return CaseEvent(
        case=case,
        seq=1,
        action="create",
        from_status="",
        to_status=Status.DRAFT,
        actor=by,
        actor_name=by.real_name or by.username,
        at=now(),
    )


@transaction.atomic
def create_draft(item, *, by, **fields) -> Case:
    """Start an application (a draft, no number yet); see ``_new_case`` for
    who applies where and what is checked."""
    case = _new_case(item, by=by, **fields)
    case.save()
    _created_event(case, by).save()
    record(actor=by, action="cases.create", target=case, after=snapshot(case))
    return case


def _require_editable(case: Case, by) -> Case:
    case = _lock(case)
    if by is None or not in_scope(by, case, CASE_SCOPE):
        raise NotFound(_("办件不存在"), code="not_found")
    if case.status not in (Status.DRAFT, Status.RECEIVED, Status.CORRECTING):
        raise Conflict(_("办件已受理，材料和申请表不能再修改"), code="case.not_editable")
    if not (parties.is_applicant(by, case) or parties.is_clerk(by, case)):
        raise Forbidden(_("您不能修改此办件"), code="case.forbidden")
    return case


@transaction.atomic
def update_draft(case: Case, *, by, title=None, form_data=None) -> Case:
    case = _require_editable(case, by)
    if case.status != Status.DRAFT:
        raise Conflict(_("申请已提交，申请表不能再修改"), code="case.not_editable")
    if title is not None:
        case.title = _text(title, "title", _("申请事由"), required=False, max_length=300)
    if form_data is not None:
        if not isinstance(form_data, dict):
            raise _invalid("form_data", _("申请表格式有误"))
        case.form_data = form_data
    case.save(update_fields=["title", "form_data", "updated_at"])
    return case


# Accepted upload types, recognised by their first bytes (never by the name).
SNIFFERS = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"PK\x03\x04", "application/ofd", ".ofd"),  # OFD (GB/T 33190) is a zip
)


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in SNIFFERS:
        if head.startswith(magic):
            return content_type, ext
    return None


def _safe_name(name: str) -> str:
    base = Path(str(name or "")).name.replace("\x00", "")
    return "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*')[:200] or "材料"


def _store_file(case: Case, by, upload, label: str, requirement=None) -> CaseMaterial:
    """Check and write one uploaded file: its type sniffed from its content
    (PDF, PNG, JPEG, OFD), size-limited, stored outside the web root under a
    generated name."""
    size = getattr(upload, "size", None)
    limit = max_upload_bytes()
    if not size:
        raise _invalid("file", _("上传的文件是空的"), "case.upload_empty")
    if size > limit:
        raise _invalid(
            "file",
            _("文件过大（%(size).1f MB），单个文件不能超过 %(limit)s MB")
            % {"size": size / 1048576, "limit": limit // 1048576},
            "case.upload_too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    kind = sniff(head)
    if kind is None:
        raise _invalid("file", _("只接受 PDF、JPG、PNG 或 OFD 文件"), "case.upload_type")
    content_type, ext = kind
    upload.seek(0)
    digest = hashlib.sha256()
    material = CaseMaterial(
        case=case,
        requirement=requirement,
        name=label,
        original_name=_safe_name(getattr(upload, "name", "")),
        content_type=content_type,
        size=size,
        uploaded_by=by,
        uploaded_at=now(),
    )
    relative = Path("cases") / str(case.pk) / f"{material.pk}{ext}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            digest.update(chunk)
            out.write(chunk)
    material.path = str(relative)
    material.sha256 = digest.hexdigest()
    material.save()
    return material


@transaction.atomic
def add_material(case: Case, *, by, upload, requirement=None, name: str = "") -> CaseMaterial:
    """An applicant's material (or the clerk's scan of it) while the case is
    still at the front desk. See ``_store_file`` for what a file must be."""
    case = _require_editable(case, by)
    if requirement not in (None, ""):
        requirement = (
            case.version.materials.filter(pk=requirement).first()
            if not hasattr(requirement, "pk")
            else requirement
        )
        if requirement is None or requirement.version_id != case.version_id:
            raise _invalid("requirement", _("该材料不属于本事项的办事指南"))
    else:
        requirement = None
    label = (requirement.name if requirement else "") or _text(
        name, "name", _("材料名称"), max_length=200
    )
    material = _store_file(case, by, upload, label, requirement)
    if requirement is not None:  # a new upload replaces the earlier one
        case.materials.filter(requirement=requirement, is_current=True).exclude(
            pk=material.pk
        ).update(is_current=False)
    record(
        actor=by,
        action="cases.material_add",
        target=case,
        after={"material": label, "sha256": material.sha256, "size": material.size},
    )
    return material


@transaction.atomic
def attach(
    case: Case, *, by, upload, name: str, opinion: str = "", expected_revision=None
) -> CaseMaterial:
    """Staff add a file to the case's record (a site-inspection report, an
    expert opinion, a signed receipt scan): stored like a material and named
    in the timeline, so every action's attachments are traced."""
    case = _lock(case, expected_revision)
    _authorise(case, "attach", by)
    label = _text(name, "name", _("附件名称"), max_length=200)
    material = _store_file(case, by, upload, label)
    before = snapshot(case)
    _commit_move(
        case,
        "attach",
        before,
        by=by,
        opinion=_text(opinion, "opinion", _("说明"), required=False),
        step=case.steps.filter(state=StepState.ACTIVE).first(),
        data={"attachment": str(material.pk), "name": label, "sha256": material.sha256},
    )
    return material


def material_path(material: CaseMaterial) -> Path:
    return Path(settings.MEDIA_ROOT) / material.path


def missing_materials(case: Case) -> list[str]:
    """Required materials the applicant must bring that have no upload
    (e-license and shared-data materials are fetched, never asked for)."""
    uploaded = (
        set()
        if case._state.adding  # a case being made has no uploads yet
        else set(
            case.materials.filter(is_current=True, requirement__isnull=False).values_list(
                "requirement_id", flat=True
            )
        )
    )
    return [
        m.name
        for m in case.version.materials.all()
        if m.required and m.source == MaterialSource.APPLICANT and m.pk not in uploaded
    ]


@transaction.atomic
def submit(case: Case, *, by, expected_revision: int | None = None) -> Case:
    """draft → received (已接件): the case gets its number; the period will
    run from acceptance. Online and agent applications must carry every
    required material (an online pre-review that is not only a form); at a
    window the clerk checks the paper."""
    case = _lock(case, expected_revision)
    _authorise(case, "submit", by)
    return _submit(case, by)


@transaction.atomic
def submit_new(item, *, by, **fields) -> Case:
    """Apply and submit in one move (a walk-in at the window, an API client
    that sends everything at once): the draft and its submission are written
    together — one row, its two timeline events, one audit entry — since a
    case made in this transaction can be held by nobody else."""
    case = _new_case(item, by=by, **fields)
    transition = lifecycle.check_status(case, "submit")
    if not parties.may(by, case, transition):
        raise Forbidden(
            _("您不能对此办件执行「%(action)s」") % {"action": transition.label},
            code="case.forbidden",
        )
    _check_materials(case)
    _number(case)
    case.revision = 1
    case.save()
    created = _created_event(case, by)
    submitted = CaseEvent(
        case=case,
        seq=2,
        action="submit",
        from_status=Status.DRAFT,
        to_status=case.status,
        national_code=lifecycle.national_code("submit", case.status),
        actor=by,
        actor_name=created.actor_name,
        at=created.at,
    )
    CaseEvent.objects.bulk_create([created, submitted])
    record(actor=by, action="cases.submit", target=case, after={**snapshot(case), "created": True})
    _emit_moved(case, submitted)
    return case


def _check_materials(case: Case) -> None:
    if case.channel != Channel.WINDOW:
        missing = missing_materials(case)
        if missing:
            raise ValidationFailed(
                _("还缺少必备材料：%(list)s") % {"list": "、".join(missing)},
                code="case.materials_missing",
                fields={"materials": missing},
            )


def _number(case: Case) -> None:
    day = today()
    case.case_no = next_case_no(case.region.code, day)
    case.status = Status.RECEIVED
    case.submitted_at = now()
    case.received_on = day


def _submit(case: Case, by) -> Case:
    _check_materials(case)
    before = snapshot(case)
    _number(case)
    _commit_move(case, "submit", before, by=by)
    return case


# ---------------------------------------------------------------------------
# Front desk


def _document(case: Case, kind: str, content: dict) -> CaseDocument:
    from .documents import create_document

    return create_document(case, kind, {"date": today(), **content}, at=now())


def _instantiate_steps(case: Case, day: dt.date, by) -> None:
    """Copy the version's process template onto the case. The first step
    named 受理 (or owned by the front desk) is the acceptance just made;
    trailing front-desk steps (送达) complete when the result is issued;
    the steps between are the back office's. No template: one review step
    for the item's department within the promised limit."""
    template = list(case.version.steps.order_by("position"))
    if not template:
        template = [None]
    rows = []
    desk = {Role.CLERK, Role.AGENT}
    last_review = max(
        (i for i, s in enumerate(template) if s is None or s.role not in desk), default=-1
    )
    for i, s in enumerate(template):
        if s is None:
            kind, name, role, days, dept, desc = (
                StepKind.REVIEW,
                _("审批"),
                Role.APPROVER,
                case.promised_days or 0,
                None,
                "",
            )
        else:
            name, role, days, dept, desc = s.name, s.role, s.days, s.department_id, s.description
            if i == 0 and (role in desk or name == "受理"):
                kind = StepKind.ACCEPTANCE
            elif i > last_review and role in desk:
                kind = StepKind.DELIVERY
            else:
                kind = StepKind.REVIEW
        rows.append(
            CaseStep(
                case=case,
                position=i,
                name=name,
                kind=kind,
                department_id=dept or case.department_id,
                role=role,
                days=days,
                description=desc,
            )
        )
    if (
        not any(r.kind == StepKind.REVIEW for r in rows)
        and case.version.case_type != CaseType.INSTANT
    ):
        rows.insert(
            1 if rows and rows[0].kind == StepKind.ACCEPTANCE else 0,
            CaseStep(
                case=case,
                position=0,
                name=_("审批"),
                kind=StepKind.REVIEW,
                department_id=case.department_id,
                role=Role.APPROVER,
                days=case.promised_days or 0,
            ),
        )
    for i, r in enumerate(rows):
        r.position = i
    at = now()
    for r in rows:
        if r.kind == StepKind.ACCEPTANCE:
            r.state, r.started_on, r.started_at = StepState.DONE, day, at
            r.finished_at, r.finished_by, r.outcome = at, by, "pass"
    CaseStep.objects.bulk_create(rows)


def _activate(step: CaseStep, day: dt.date) -> None:
    step.state = StepState.ACTIVE
    step.started_on, step.started_at = day, now()
    step.finished_at = step.finished_by = None
    step.outcome = step.opinion = ""
    step.save()


def _first_step(case: Case, kind: str) -> CaseStep | None:
    return case.steps.filter(kind=kind, state=StepState.PENDING).order_by("position").first()


@transaction.atomic
def accept(case: Case, *, by, opinion: str = "", expected_revision: int | None = None) -> Case:
    """received → accepted (受理): the steps are laid out from the item's
    template, the clock starts, the acceptance notice is made. An instant
    item (即办件) concludes at the desk in the same move."""
    case = _lock(case, expected_revision)
    _authorise(case, "accept", by)
    before = snapshot(case)
    day = today()
    case.status = Status.ACCEPTED
    case.accepted_at, case.accepted_by = now(), by
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
    case.concluded_at = now()
    case.result_note = reasons
    _commit_move(case, "refuse", before, by=by, opinion=reasons)
    _document(case, DocumentKind.REFUSAL, {"reasons": reasons})
    return case


def correction_deadline_passed(case: Case, day: dt.date | None = None) -> bool:
    """More than 5 working days since receipt: corrections can no longer be
    asked; the case counts as accepted on receipt (行政许可法 art. 32)."""
    if case.received_on is None:
        return False
    return calendar.workdays_between(case.received_on, day or today()) > CORRECTION_WINDOW_DAYS


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
        issued_at=now(),
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
    CorrectionNotice.objects.filter(case=case, resolved_at__isnull=True).update(resolved_at=now())
    case.status = Status.RECEIVED
    case.received_on = today()
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
    day = day or today()
    count = 0
    for case in Case.objects.filter(status=Status.RECEIVED).only("pk", "received_on"):
        if correction_deadline_passed(case, day):
            try:
                accept(case, by=None, opinion=_("收件后 5 个工作日内未告知补正，依法视为受理"))
                count += 1
            except Conflict:
                continue  # someone acted meanwhile
    return count


# ---------------------------------------------------------------------------
# Back office


def _active(case: Case) -> CaseStep:
    step = case.steps.filter(state=StepState.ACTIVE).first()
    if step is None:
        raise Conflict(_("办件当前没有待办环节"), code="case.no_active_step")
    return step


@transaction.atomic
def claim(case: Case, *, by, expected_revision: int | None = None) -> Case:
    """accepted → in progress: an approver takes the step (签收)."""
    case = _lock(case, expected_revision)
    _authorise(case, "claim", by)
    step = _active(case)
    before = snapshot(case)
    step.assignee = by
    step.save(update_fields=["assignee"])
    case.status = Status.IN_PROGRESS
    _commit_move(case, "claim", before, by=by, step=step)
    return case


def _finish_step(step: CaseStep, by, outcome: str, opinion: str, state=StepState.DONE) -> None:
    step.state = state
    step.finished_at, step.finished_by = now(), by
    step.outcome, step.opinion = outcome, opinion
    if step.assignee_id is None:
        step.assignee = by
    step.save()


@transaction.atomic
def pass_step(case: Case, *, by, opinion: str = "", expected_revision: int | None = None) -> Case:
    """The active step passes; the next back-office step starts, or — after
    the last — the case concludes approved and its result document is made."""
    case = _lock(case, expected_revision)
    _authorise(case, "pass", by)
    opinion = _text(opinion, "opinion", _("意见"), required=False)
    step = _active(case)
    before = snapshot(case)
    _finish_step(step, by, "pass", opinion)
    nxt = _first_step(case, StepKind.REVIEW)
    if nxt is not None:
        _activate(nxt, today())
        case.status = Status.IN_PROGRESS
        recompute_deadlines(case)
        _commit_move(
            case, "pass", before, by=by, opinion=opinion, step=step, data={"next": nxt.name}
        )
        return case
    case.status = Status.IN_PROGRESS
    _commit_move(case, "pass", before, by=by, opinion=opinion, step=step)
    _conclude(case, by=by, approved=True, opinion=opinion)
    return case


@transaction.atomic
def return_step(case: Case, *, by, opinion: str, expected_revision: int | None = None) -> Case:
    """Send the case back to the previous back-office step, with reasons."""
    case = _lock(case, expected_revision)
    _authorise(case, "return", by)
    opinion = _text(opinion, "opinion", _("退回理由"))
    step = _active(case)
    previous = (
        case.steps.filter(kind=StepKind.REVIEW, position__lt=step.position, state=StepState.DONE)
        .order_by("-position")
        .first()
    )
    if previous is None:
        raise Conflict(_("已是第一个审批环节，不能再退回"), code="case.no_previous_step")
    before = snapshot(case)
    _finish_step(step, by, "return", opinion, state=StepState.PENDING)
    step.assignee = None
    step.started_on = step.started_at = step.due_on = None
    step.save()
    previous_owner = previous.finished_by
    _activate(previous, today())
    previous.assignee = previous_owner
    previous.save(update_fields=["assignee"])
    recompute_deadlines(case)
    _commit_move(
        case, "return", before, by=by, opinion=opinion, step=step, data={"to": previous.name}
    )
    return case


@transaction.atomic
def handover(
    case: Case, *, by, to, opinion: str = "", expected_revision: int | None = None
) -> Case:
    """Hand the active step to another approver of its department (转交)."""
    case = _lock(case, expected_revision)
    _authorise(case, "handover", by)
    step = _active(case)
    if not isinstance(to, User):
        to = User.objects.filter(pk=to).first() if to else None
    if (
        to is None
        or not is_active_account(to)
        or not parties.approves_department(to, step.department_id or case.department_id)
    ):
        raise _invalid("to", _("只能转交给本部门的审批人员"), "case.handover_target")
    before = snapshot(case)
    step.assignee = to
    step.save(update_fields=["assignee"])
    case.status = Status.IN_PROGRESS
    _commit_move(
        case,
        "handover",
        before,
        by=by,
        opinion=opinion,
        step=step,
        data={"to": to.real_name or to.username},
    )
    return case


@transaction.atomic
def deny(case: Case, *, by, reasons: str, expected_revision: int | None = None) -> Case:
    """Conclude not approved (办结·不通过), with the reasons."""
    case = _lock(case, expected_revision)
    _authorise(case, "deny", by)
    reasons = _text(reasons, "reasons", _("不予许可的理由"))
    step = _active(case)
    _finish_step(step, by, "deny", reasons)
    _conclude(case, by=by, approved=False, opinion=reasons, action="deny", step=step)
    return case


def _conclude(
    case: Case, *, by, approved: bool, opinion: str, action: str = "conclude", step=None
) -> None:
    """The case concludes: the status, the on-time flag, the result document,
    and the delivery steps start (the result goes to the chosen window)."""
    before = snapshot(case)
    at = now()
    day = calendar.to_local_date(at)
    case.status = Status.APPROVED if approved else Status.DENIED
    case.concluded_at = at
    case.result_note = opinion
    case.concluded_on_time = case.promised_due is None or day <= case.promised_due
    for s in case.steps.filter(state=StepState.PENDING, kind=StepKind.REVIEW):
        s.state = StepState.SKIPPED
        s.save(update_fields=["state"])
    delivery = _first_step(case, StepKind.DELIVERY)
    if delivery is not None:
        _activate(delivery, day)
    _commit_move(case, action, before, by=by, opinion=opinion, step=step)
    _document(
        case,
        DocumentKind.APPROVAL if approved else DocumentKind.DENIAL,
        {"opinion": opinion, "result_name": case.version.result_name},
    )


@transaction.atomic
def suspend(
    case: Case, *, by, kind: str, reason: str, expected_revision: int | None = None
) -> Case:
    """Start a special procedure (特别程序): the clock stops from today."""
    case = _lock(case, expected_revision)
    _authorise(case, "suspend", by)
    if kind not in SuspensionKind.values:
        raise _invalid("kind", _("特别程序种类无效"))
    reason = _text(reason, "reason", _("启动特别程序的理由"))
    step = _active(case)
    before = snapshot(case)
    Suspension.objects.create(
        case=case, kind=kind, reason=reason, started_on=today(), started_at=now(), started_by=by
    )
    case.status = Status.SUSPENDED
    recompute_deadlines(case)
    _commit_move(
        case,
        "suspend",
        before,
        by=by,
        opinion=reason,
        step=step,
        data={"kind": kind, "kind_label": str(SuspensionKind(kind).label)},
    )
    return case


@transaction.atomic
def resume(case: Case, *, by, result: str = "", expected_revision: int | None = None) -> Case:
    """End the special procedure: the clock runs again from today, and every
    deadline moves by the working days it was stopped."""
    case = _lock(case, expected_revision)
    _authorise(case, "resume", by)
    result = _text(result, "result", _("特别程序结果"), required=False)
    running = case.suspensions.filter(ended_on__isnull=True).first()
    before = snapshot(case)
    if running is not None:
        running.ended_on, running.ended_at, running.ended_by = today(), now(), by
        running.result = result
        running.save()
    case.status = Status.IN_PROGRESS
    recompute_deadlines(case)
    _commit_move(
        case,
        "resume",
        before,
        by=by,
        opinion=result,
        step=case.steps.filter(state=StepState.ACTIVE).first(),
    )
    return case


@transaction.atomic
def request_extension(
    case: Case, *, by, days: int, reason: str, expected_revision: int | None = None
) -> Extension:
    """Ask for more time on the statutory period (延长审批, art. 42: at most
    10 working days; configurable). Another approver of the department decides."""
    case = _lock(case, expected_revision)
    _authorise(case, "request_extension", by)
    limit = max_extension_days() - extension_days(case)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise _invalid("days", _("请填写延长的工作日数")) from None
    if days < 1 or days > limit:
        raise _invalid(
            "days",
            _("延长天数须在 1 到 %(n)s 个工作日之间") % {"n": max(limit, 0)},
            "case.extension_days",
        )
    if case.extensions.filter(status=ExtensionStatus.REQUESTED).exists():
        raise Conflict(_("已有一项延长申请等待批准"), code="case.extension_pending")
    reason = _text(reason, "reason", _("延长理由"))
    before = snapshot(case)
    ext = Extension.objects.create(
        case=case, days=days, reason=reason, requested_by=by, requested_at=now()
    )
    _commit_move(case, "request_extension", before, by=by, opinion=reason, data={"days": days})
    return ext


@transaction.atomic
def decide_extension(
    case: Case, *, by, approve: bool, note: str = "", expected_revision: int | None = None
) -> Extension:
    case = _lock(case, expected_revision)
    ext = case.extensions.filter(status=ExtensionStatus.REQUESTED).first()
    if ext is None:
        raise Conflict(_("没有等待批准的延长申请"), code="case.no_pending_extension")
    _authorise(case, "decide_extension", by)
    before = snapshot(case)
    ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    ext.decided_by, ext.decided_at = by, now()
    ext.decision_note = _text(note, "note", _("批准意见"), required=not approve)
    ext.save()
    recompute_deadlines(case)
    _commit_move(
        case,
        "decide_extension",
        before,
        by=by,
        opinion=ext.decision_note,
        data={"days": ext.days, "approved": bool(approve)},
    )
    return ext


# ---------------------------------------------------------------------------
# Results and withdrawal


@transaction.atomic
def issue(
    case: Case,
    *,
    by,
    method: str | None = None,
    signed_by: str = "",
    tracking_no: str = "",
    expected_revision: int | None = None,
) -> Case:
    """Hand out the result (出件): at the window against a signature (a signed
    receipt is made), by mail with its tracking number, or for download."""
    case = _lock(case, expected_revision)
    _authorise(case, "issue", by)
    if case.issued_at is not None:
        raise Conflict(_("办理结果已出件"), code="case.already_issued")
    method = method or case.delivery
    if method not in Delivery.values:
        raise _invalid("method", _("出件方式无效"))
    data = {"method": method}
    if method == Delivery.WINDOW:
        case.receipt_signed_by = _text(signed_by, "signed_by", _("领取人姓名"), max_length=100)
        data["signed_by"] = case.receipt_signed_by
    elif method == Delivery.MAIL:
        tracking_no = _text(tracking_no, "tracking_no", _("快递单号"), max_length=40)
        if not tracking_no.isalnum():
            raise _invalid("tracking_no", _("快递单号只能包含字母和数字"))
        case.tracking_no = tracking_no
        data["tracking_no"] = tracking_no
    before = snapshot(case)
    case.delivery = method
    case.issued_at, case.issued_by = now(), by
    for s in case.steps.filter(kind=StepKind.DELIVERY).exclude(state=StepState.DONE):
        _finish_step(s, by, "pass", "")
    _commit_move(case, "issue", before, by=by, data=data)
    if method == Delivery.WINDOW:
        _document(case, DocumentKind.RECEIPT, {"signed_by": case.receipt_signed_by})
    return case


@transaction.atomic
def withdraw(case: Case, *, by, reason: str = "", expected_revision: int | None = None) -> Case:
    """The applicant withdraws before conclusion (已撤件 before acceptance, 撤回 after)."""
    case = _lock(case, expected_revision)
    transition = _authorise(case, "withdraw", by)
    reason = _text(reason, "reason", _("撤回理由"), required=False)
    before = snapshot(case)
    case.status = lifecycle.next_status(case, transition)
    case.concluded_at = now()
    for s in case.steps.filter(state__in=[StepState.ACTIVE, StepState.PENDING]):
        s.state = StepState.SKIPPED
        s.save(update_fields=["state"])
    case.suspensions.filter(ended_on__isnull=True).update(ended_on=today(), ended_at=now())
    _commit_move(case, "withdraw", before, by=by, opinion=reason)
    return case


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


def mark_notifications_read(user, *, case: Case | None = None) -> int:
    """Mark the user's unread notifications (of one case, or all) as read."""
    if not is_active_account(user):
        return 0
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if case is not None:
        qs = qs.filter(case=case)
    return qs.update(read_at=now())
