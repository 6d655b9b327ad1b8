"""The documents a case produces (受理通知书, 不予受理通知书, 补正告知书, the
decision, the pickup receipt) as PDFs.

A move creates a ``CaseDocument`` row with what the notice says, frozen at
that moment, in the move's transaction, and emits ``cases.document_created``;
the worker renders the PDF (WeasyPrint over an HTML template, Noto CJK fonts,
a QR code to the case's public progress page) off the request. ``render`` is
idempotent: the same row renders to the same file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from yiwang.core import calendar, outbox

from .models import Case, CaseDocument, DocumentKind

KIND_CODES = {
    DocumentKind.ACCEPTANCE: "SL",
    DocumentKind.REFUSAL: "BSL",
    DocumentKind.CORRECTION: "BZ",
    DocumentKind.APPROVAL: "JD",
    DocumentKind.DENIAL: "BYJD",
    DocumentKind.RECEIPT: "CJ",
}


def public_base_url() -> str:
    return getattr(settings, "YIWANG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def progress_url(case: Case) -> str:
    from django.urls import reverse

    return public_base_url() + reverse("cases:progress") + f"?no={case.case_no}"


def create_document(case: Case, kind: str, content: dict, *, at=None) -> CaseDocument:
    """Record the document (inside the move's transaction) and queue its rendering."""
    count = CaseDocument.objects.filter(case=case, kind=kind).count()
    number = f"{case.case_no}-{KIND_CODES[kind]}" + (f"-{count + 1}" if count else "")
    at = at or timezone.now()
    doc = CaseDocument.objects.create(
        case=case,
        kind=kind,
        number=number,
        content={
            "date": calendar.local_today(at),
            **content,
            "case_no": case.case_no,
            "item": case.item.name,
            "applicant": case.applicant_name,
            "hall": case.hall.name,
            "status": case.get_status_display(),
            "accepted_on": case.accepted_on,
            "promised_due": case.promised_due,
            "statutory_due": case.statutory_due,
            "promised_days": case.promised_days,
            "handling_place": case.version.handling_place,
            "consult_phone": case.version.consult_phone or case.hall.phone,
            "complaint_phone": case.version.complaint_phone or "12345",
            "department": case.department.name,
        },
        created_at=at,
    )
    outbox.emit("cases.document_created", {"document": str(doc.pk)}, key=f"cases.case:{case.pk}")
    return doc


def document_path(doc: CaseDocument) -> Path:
    return Path(settings.MEDIA_ROOT) / doc.path


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=3, dark="#000")


DATE_KEYS = ("accepted_on", "promised_due", "statutory_due", "date")


def _content(doc: CaseDocument) -> dict:
    """The stored content with its dates back as dates (JSON keeps them as ISO text)."""
    import datetime as dt

    content = dict(doc.content)
    for key in DATE_KEYS:
        if isinstance(content.get(key), str):
            content[key] = dt.date.fromisoformat(content[key])
    return content


def render_html(doc: CaseDocument) -> str:
    case = doc.case
    with translation.override("zh-hans"):
        return render_to_string(
            "cases/documents/notice.html",
            {
                "doc": doc,
                "case": case,
                "c": _content(doc),
                "title": doc.get_kind_display(),
                "qr": qr_svg(progress_url(case)),
                "progress_url": progress_url(case),
            },
        )


def render(doc: CaseDocument) -> CaseDocument:
    """Render the PDF to MEDIA_ROOT/cases/<case>/docs/<number>.pdf."""
    from weasyprint import HTML

    relative = Path("cases") / str(doc.case_id) / "docs" / f"{doc.number}.pdf"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    pdf = HTML(string=render_html(doc)).write_pdf()
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(pdf)
    tmp.replace(target)
    CaseDocument.objects.filter(pk=doc.pk).update(
        path=str(relative), sha256=hashlib.sha256(pdf).hexdigest(), rendered_at=timezone.now()
    )
    doc.refresh_from_db()
    return doc
