"""Materials and attachments: uploads sniffed by content, size-limited and
stored outside the web root; the required materials still missing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.catalog.codesets import MaterialSource
from yiwang.core.audit import record

from ..models import Case, CaseMaterial, StepState
from . import clock
from .base import _authorise, _commit_move, _invalid, _lock, _require_editable, _text, snapshot


def max_upload_bytes() -> int:
    return int(getattr(settings, "YIWANG_UPLOAD_MAX_MB", 20)) * 1024 * 1024


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
        uploaded_at=clock.now(),
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
