"""Case pages: the public progress page, and downloads of materials and
documents (never served from the media folder directly: every download is
checked against the case's scope)."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.accounts.scopes import get_scoped_object_or_404
from yiwang.core.errors import TooManyAttempts

from . import documents, progress_lookup, services
from .models import Case, CaseDocument, CaseMaterial
from .pages.common import base_template
from .rules import CASE_SCOPE


def progress(request):
    """公开进度查询: the case number and the applicant's phone, both required."""
    case_no = request.GET.get("no", "").strip()
    phone = request.GET.get("phone", "").strip()
    case, error, refused = None, "", None
    if case_no and phone:
        try:
            case = progress_lookup.lookup(case_no, phone)
        except TooManyAttempts as exc:
            error, refused = exc.message, exc
        else:
            if case is None:
                error = _("未找到该办件，请核对办件编号和手机号")
    elif request.GET.get("phone") is not None:
        error = _("请填写办件编号和申请人手机号")
    response = render(
        request,
        "cases/progress.html",
        {
            "case": case,
            "case_no": case_no,
            "error": error,
            "steps": case.steps.all() if case else [],
            "events": case.events.all() if case else [],
        },
        status=refused.status if refused else 200,
    )
    if refused:
        response["Retry-After"] = str(refused.retry_after)
    return response


def _case(request, case_id) -> Case:
    return get_scoped_object_or_404(request, Case.objects.all(), CASE_SCOPE, pk=case_id)


def material_file(request, case_id, material_id):
    case = _case(request, case_id)
    material = CaseMaterial.objects.filter(case=case, pk=material_id).first()
    if material is None:
        raise Http404
    path = services.material_path(material)
    if not path.exists():
        raise Http404
    return FileResponse(
        open(path, "rb"),
        content_type=material.content_type,
        as_attachment=True,
        filename=material.original_name,
    )


# Seconds after which a page asking for a document not yet rendered looks again.
PENDING_RETRY_S = 3


def document_file(request, case_id, document_id):
    case = _case(request, case_id)
    doc = CaseDocument.objects.filter(case=case, pk=document_id).first()
    if doc is None:
        raise Http404
    if not doc.path:
        # Not rendered yet: PDFs are made by the worker, never in a request
        # (the outbox's ``cases.document_created``). Say so, and look again.
        response = render(
            request,
            "cases/document_pending.html",
            {
                "case": case,
                "document": doc,
                "retry_after": PENDING_RETRY_S,
                "base": base_template(request.user),
            },
            status=202,
        )
        response["Retry-After"] = str(PENDING_RETRY_S)
        return response
    path = documents.document_path(doc)
    if not path.exists():
        raise Http404
    return FileResponse(
        open(path, "rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{doc.number}.pdf",
    )
