"""Applying (online, at a window, or 代办 by a village agent), resuming a
draft, and the applicant's own pages: my cases, notifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from yiwang.accounts.decorators import public_login_required
from yiwang.accounts.models import AccountKind
from yiwang.accounts.scopes import has_role, roles_of
from yiwang.catalog import selectors as catalog
from yiwang.catalog.codesets import MaterialSource
from yiwang.catalog.models import ServiceItem
from yiwang.core.errors import ServiceError
from yiwang.regions.models import Hall

from .. import services
from ..models import Case, Delivery, Notification, Status
from .common import (
    DESK_ROLES,
    STATUS_BADGES,
    _case,
    _errors,
    base_template,
    case_page_required,
    is_staff,
)


def _issue_halls_for(hall_choices: list[Hall]) -> list[Hall]:
    """Halls a result may be issued at: those offering the item and the halls
    of the regions above them (the service checks the path)."""
    seen = {h.pk: h for h in hall_choices}
    for h in list(hall_choices):
        region = h.region.parent
        while region is not None:
            for up in Hall.objects.filter(region=region, is_active=True):
                seen.setdefault(up.pk, up)
            region = region.parent
    order = {"county": 0, "town": 1, "village": 2}
    halls = list(seen.values())
    for h in halls:
        h.region  # noqa: B018 - load for sorting
    return sorted(halls, key=lambda h: (order.get(h.region.level, 9), h.region.code, h.name))


def _material_rows(version, case=None, errors=None):
    uploaded = {}
    if case is not None:
        for m in case.materials.filter(is_current=True):
            uploaded.setdefault(m.requirement_id, []).append(m)
    rows = []
    for m in version.materials.order_by("position"):
        rows.append(
            {
                "req": m,
                "field": f"m-{m.pk}",
                "upload": m.source == MaterialSource.APPLICANT,
                "uploaded": uploaded.get(m.pk, []),
                "error": (errors or {}).get(f"m-{m.pk}", []),
            }
        )
    return rows


def _store_uploads(case, request, version, errors: dict) -> None:
    """Add every uploaded file; collect the refusals per input."""
    for m in version.materials.all():
        for upload in request.FILES.getlist(f"m-{m.pk}"):
            try:
                services.add_material(case, by=request.user, requirement=m.pk, upload=upload)
            except ServiceError as exc:
                errors.setdefault(f"m-{m.pk}", []).append(str(exc.message))


class _Rollback(Exception):
    pass


@case_page_required
def apply(request, item_id):
    """申请: a citizen or enterprise for themselves, or a clerk / village
    agent for a walk-in applicant (applicant name, ID number, phone)."""
    item = get_object_or_404(ServiceItem, pk=item_id, is_active=True)
    version = catalog.published_version(item)
    if version is None:
        raise Http404
    staff = is_staff(request.user)
    if staff and not has_role(request.user, *DESK_ROLES):
        raise Http404
    hall_choices = services.halls_offering(item)
    desk_halls = []
    if staff:
        desk_halls = [
            r.hall
            for r in roles_of(request.user, *DESK_ROLES)
            if r.hall_id and r.hall in hall_choices
        ]
    errors: dict = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        submit = "submit" in request.POST
        hall = None
        hall_id = request.POST.get("hall")
        if hall_id:
            hall = next((h for h in (desk_halls or hall_choices) if str(h.pk) == hall_id), None)
            if hall is None:
                errors["hall"] = [_("请选择可以受理该事项的大厅")]
        applicant = None
        if staff:
            applicant = {
                "kind": request.POST.get("applicant_kind") or AccountKind.CITIZEN,
                "name": request.POST.get("applicant_name", ""),
                "id_number": request.POST.get("id_number", ""),
                "phone": request.POST.get("phone", ""),
            }
        elif request.POST.get("phone"):
            applicant = {"phone": request.POST.get("phone")}
        case = None
        if not errors:
            try:
                with transaction.atomic():
                    case = services.create_draft(
                        item,
                        by=request.user,
                        hall=hall,
                        applicant=applicant,
                        title=request.POST.get("title", ""),
                        delivery=request.POST.get("delivery") or Delivery.WINDOW,
                        issue_hall=request.POST.get("issue_hall") or None,
                        mail_address=request.POST.get("mail_address", ""),
                    )
                    _store_uploads(case, request, version, errors)
                    if errors:
                        raise _Rollback
                    if submit:
                        services.submit(case, by=request.user)
            except _Rollback:
                case = None
                errors["form"] = _("有材料未能上传，请按提示更换文件后重新提交")
            except ServiceError as exc:
                case = None
                errors.update(_errors(exc))
        if case is not None:
            if submit:
                messages.success(request, _("申请已提交，办件编号 %(no)s") % {"no": case.case_no})
            else:
                messages.success(request, _("草稿已保存，可以随时继续填写"))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/apply.html",
        {
            "item": item,
            "version": version,
            "staff": staff,
            "base": base_template(request.user),
            "halls": desk_halls if staff else hall_choices,
            "issue_halls": _issue_halls_for(desk_halls or hall_choices),
            "deliveries": Delivery.choices,
            "kinds": [
                (AccountKind.CITIZEN, _("自然人")),
                (AccountKind.ENTERPRISE, _("法人（企业）")),
            ],
            "materials": _material_rows(version, errors=errors),
            "data": data,
            "errors": errors,
            "max_mb": services.max_upload_bytes() // 1048576,
        },
        status=400 if errors else 200,
    )


@case_page_required
def edit_draft(request, case_id):
    """Resume a draft: change the title, add materials, submit."""
    case = _case(request, case_id)
    if case.status != Status.DRAFT:
        return redirect("cases:detail", case_id=case.pk)
    staff = is_staff(request.user)
    errors: dict = {}
    if request.method == "POST":
        submit = "submit" in request.POST
        try:
            with transaction.atomic():
                services.update_draft(case, by=request.user, title=request.POST.get("title", ""))
                _store_uploads(case, request, case.version, errors)
                if errors:
                    raise _Rollback
                if submit:
                    services.submit(
                        case,
                        by=request.user,
                        expected_revision=request.POST.get("revision") or None,
                    )
        except _Rollback:
            errors["form"] = _("有材料未能上传，请按提示更换文件后重新提交")
        except ServiceError as exc:
            errors.update(_errors(exc))
        else:
            case.refresh_from_db()
            if submit:
                messages.success(request, _("申请已提交，办件编号 %(no)s") % {"no": case.case_no})
            else:
                messages.success(request, _("草稿已保存"))
            return redirect("cases:detail", case_id=case.pk)
        case.refresh_from_db()
    return render(
        request,
        "cases/edit_draft.html",
        {
            "case": case,
            "staff": staff,
            "base": base_template(request.user),
            "materials": _material_rows(case.version, case, errors),
            "missing": services.missing_materials(case),
            "errors": errors,
            "data": request.POST if request.method == "POST" else {"title": case.title},
            "max_mb": services.max_upload_bytes() // 1048576,
        },
        status=400 if errors else 200,
    )


@public_login_required
def mine(request):
    qs = (
        Case.objects.filter(applicant=request.user)
        .select_related("item", "hall")
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(
        request,
        "cases/mine.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "badges": STATUS_BADGES,
            "unread": unread,
        },
    )


@public_login_required
def notifications(request):
    if request.method == "POST":
        services.mark_notifications_read(request.user)
        return redirect("cases:notifications")
    qs = (
        Notification.objects.filter(user=request.user)
        .select_related("case", "case__item")
        .order_by("-created_at")
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request, "cases/notifications.html", {"page": page, "base": base_template(request.user)}
    )
