"""Queries worth naming: a user's cases, an approver's queue, the public
progress lookup."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.accounts.models import Role
from yiwang.accounts.scopes import department_ids, scope_queryset
from yiwang.catalog.models import ServiceItem
from yiwang.core import pii
from yiwang.core.prepared import prepared

from .models import Case, CaseStep, StepKind, StepState
from .rules import CASE_SCOPE


def visible_cases(user) -> QuerySet[Case]:
    """The cases ``user`` may see (scope: own / region subtree / department)."""
    qs = Case.objects.select_related("item", "hall", "region", "department")
    return scope_queryset(user, qs, CASE_SCOPE)


def queue(user) -> QuerySet[CaseStep]:
    """An approver's queue: the active back-office steps of their departments
    that are theirs or nobody's yet, most urgent (earliest due) first."""
    from django.db.models import Q

    ids = department_ids(user, Role.APPROVER)
    return (
        CaseStep.objects.filter(state=StepState.ACTIVE, kind=StepKind.REVIEW, department_id__in=ids)
        .filter(Q(assignee__isnull=True) | Q(assignee=user))
        .select_related("department", "case", "case__item", "case__hall")
        .order_by("due_on", "started_at")
    )


def desk_cases(user) -> QuerySet[Case]:
    """What the front desk has to answer: received cases in the clerk's
    scope, oldest first."""
    from .models import Status

    return visible_cases(user).filter(status=Status.RECEIVED).order_by("submitted_at")


def find_by_number_and_phone(case_no: str, phone: str) -> Case | None:
    """The public progress lookup: the case number and the applicant's phone
    must both match (the phone is compared through its search hash)."""
    case_no = str(case_no or "").strip()
    phone = pii.normalise("phone", phone)
    if not case_no or not phone:
        return None
    return _by_number_and_phone_hash.first(case_no, pii.search_hash("phone", phone))


@prepared(str, str)
def _by_number_and_phone_hash(case_no: str, phone_hash: str):
    # Anyone may ask, over and over: compiled once (the number is unique).
    return Case.objects.select_related("item", "hall").filter(
        case_no=case_no, phone_hash=phone_hash
    )


def search(user, text: str) -> QuerySet[Case]:
    """A clerk's case search: by case number (prefix), applicant name, item
    name, or the applicant's full ID number or phone (through their hashes)."""
    from django.db.models import Q

    text = str(text or "").strip()
    qs = visible_cases(user)
    if not text:
        return qs
    q = Q(case_no__startswith=text) | Q(applicant_name=text)
    # The items first (a small table): every arm of the OR is then an index
    # on the cases table, which PostgreSQL combines (BitmapOr) instead of
    # scanning all cases joined to their items.
    item_ids = list(ServiceItem.objects.filter(name__contains=text).values_list("pk", flat=True))
    if item_ids:
        q |= Q(item_id__in=item_ids)
    normal = pii.normalise("id_number", text)
    if len(normal) in (15, 18):
        q |= Q(id_number_hash=pii.search_hash("id_number", normal))
    digits = pii.normalise("phone", text)
    if len(digits) == 11:
        q |= Q(phone_hash=pii.search_hash("phone", digits))
    return qs.filter(q)
