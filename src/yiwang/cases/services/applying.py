"""Applying: where an item may be applied for, checking an application and
building its case (online, at a window, or 代办 by a village agent), drafts,
and submission with its case number."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import connection, transaction
from django.db.models import Subquery
from django.utils.translation import gettext as _

from yiwang.accounts.models import AccountKind, Role, User
from yiwang.accounts.scopes import has_role, is_active_account, roles_of
from yiwang.catalog import selectors as catalog
from yiwang.core import pii
from yiwang.core.audit import record
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed
from yiwang.core.identifiers import parse_credit_code, parse_phone, parse_resident_id
from yiwang.core.prepared import insert, prepared, statement_cursor, together
from yiwang.regions.models import Hall

from .. import lifecycle, parties
from ..models import Case, CaseEvent, Channel, Delivery, Status
from . import clock
from .base import (
    _authorise,
    _commit_move,
    _emit_moved,
    _invalid,
    _lock,
    _require_editable,
    _text,
    snapshot,
)
from .materials import missing_materials

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


# A walk-in's account, if their number has one: every window application
# asks, and the case needs only the account's key.
@prepared(str)
def _enterprise_account(credit_code: str):
    return User.objects.filter(credit_code=credit_code, status="active").only("pk")[:1]


@prepared(uuid.UUID, str, uuid.UUID, str)
def _offer_and_citizen(item_pk, level: str, hall_pk, id_number_hash: str):
    """``catalog.application_ref``'s question with the citizen's account
    (``citizen_account``: its key, or None) in the same statement: a
    resident applying at a window costs one round trip less."""
    account = User.objects.filter(id_number_hash=id_number_hash, status="active").values("pk")[:1]
    return catalog.offered_version(item_pk, level, hall_pk).annotate(
        citizen_account=Subquery(account)
    )[:1]


def _identify(applicant: dict, errors: dict) -> tuple[str, str, str, str, uuid.UUID | None]:
    """(kind, name, id number, phone, account key) of a walk-in applicant. A
    citizen's account is looked up with the item's offer (``_new_case``):
    here the key is None for them."""
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
    if number and "applicant.id_number" not in errors and kind == AccountKind.ENTERPRISE:
        found = _enterprise_account.first(number)
        account = found.pk if found is not None else None
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
        kind, name, account = by.kind, by.real_name, by.pk
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
    # Only the version's key is needed here (its guide is read when used).
    if (
        by.kind == AccountKind.STAFF
        and kind == AccountKind.CITIZEN
        and number
        and "applicant.id_number" not in errors
    ):
        version, offered, account = _offer_for_citizen(item, hall, number)
    else:
        version, offered = catalog.application_ref(item, hall)
    if version is None or not item.is_active:
        raise _invalid("item", _("该事项没有已发布的办事指南，暂不能申请"), "case.item_unpublished")
    if hall is None:
        raise _invalid("hall", _("没有可以受理该事项的大厅"), "case.no_hall")
    if not offered:
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
        applicant_id=account,
        applicant_kind=kind,
        applicant_name=name,
        created_by=by,
        agent=by if channel == Channel.AGENT else None,
        title=_text(title, "title", _("申请事由"), required=False, max_length=300),
        form_data=form_data or {},
        status=Status.DRAFT,
    )
    pii.seal_into(case, "id_number", number)
    pii.seal_into(case, "phone", phone)
    return case


def _offer_for_citizen(item, hall, number: str) -> tuple:
    """``(version, offered, account key)`` for a resident applying at
    ``hall``: ``catalog.application_ref`` and the account their ID number
    has, in one statement. Without an active hall and item the application
    is refused whatever the account: none is looked up."""
    if hall is None or not (hall.is_active and item.is_active):
        return (*catalog.application_ref(item, hall), None)
    id_hash = pii.search_hash("id_number", number)
    found = _offer_and_citizen.first(item.pk, hall.region.level, hall.pk, id_hash)
    return (*catalog.read_offer(found), found.citizen_account if found is not None else None)


def _created_event(case: Case, by) -> CaseEvent:
    return CaseEvent(
        case=case,
        seq=1,
        action="create",
        from_status="",
        to_status=Status.DRAFT,
        actor=by,
        actor_name=by.real_name or by.username,
        at=clock.now(),
    )


@transaction.atomic
def create_draft(item, *, by, **fields) -> Case:
    """Start an application (a draft, no number yet); see ``_new_case`` for
    who applies where and what is checked."""
    case = _new_case(item, by=by, **fields)
    case.save()
    _created_event(case, by).save()
    record(actor=by, action="cases.create", target=case, after=snapshot(case), new_stream=True)
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
    with together():  # the case, its events, audit entry and outbox event: one statement
        _write_submitted(case, by)
    return case


def _write_submitted(case: Case, by) -> None:
    insert(case)
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
    insert(created, submitted)
    record(
        actor=by,
        action="cases.submit",
        target=case,
        after={**snapshot(case), "created": True},
        new_stream=True,
    )
    _emit_moved(case, submitted)


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
    day = clock.today()
    case.case_no = next_case_no(case.region.code, day)
    case.status = Status.RECEIVED
    case.submitted_at = clock.now()
    case.received_on = day


def _submit(case: Case, by) -> Case:
    _check_materials(case)
    before = snapshot(case)
    _number(case)
    _commit_move(case, "submit", before, by=by)
    return case


def _bump_counter(key: str) -> int:
    """The next value of one counter, inside the caller's transaction: an
    upsert that returns the new value, so only writers of the same key wait."""
    table = connection.ops.quote_name("cases_casecounter")
    cursor = statement_cursor(connection)
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
