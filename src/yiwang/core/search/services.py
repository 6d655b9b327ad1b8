"""State changes of the synonym dictionary: every change checks the
actor's role (when an actor is given), writes, and records an audit entry
in one transaction. Permission: catalog_admin or sysadmin; ``actor=None`` is
the system (data loaders, the demo)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit
from ..errors import Forbidden, ValidationFailed
from . import synonyms, text
from .models import SearchSynonym

EDITOR_ROLES = ("catalog_admin", "sysadmin")
MAX_EXPANSIONS = 20


def can_edit_synonyms(user) -> bool:
    from yiwang.accounts.scopes import has_role, is_active_account

    return is_active_account(user) and has_role(user, *EDITOR_ROLES)


def _check(actor) -> None:
    if actor is not None and not can_edit_synonyms(actor):
        raise Forbidden(
            _(
                "只有事项管理员或系统管理员可以维护同义词 / Only catalog or system administrators may edit synonyms"
            )
        )


def _clean(term: str, expansions, note: str) -> tuple[str, list[str], str]:
    term = text.normalise(term or "")
    fields = {}
    if not term:
        fields["term"] = _("请填写说法 / Term is required")
    elif len(term) > 50:
        fields["term"] = _("说法最多 50 个字 / At most 50 characters")
    if isinstance(expansions, str):
        expansions = expansions.replace("／", "/").replace("\n", "/").split("/")
    cleaned = []
    for e in expansions or ():
        e = text.normalise(str(e))
        if e and e not in cleaned and e != term:
            cleaned.append(e)
    if not cleaned:
        fields["expansions"] = _("至少填写一个扩展词 / At least one expansion")
    elif len(cleaned) > MAX_EXPANSIONS or any(len(e) > 50 for e in cleaned):
        fields["expansions"] = _(
            "最多 20 个扩展词，每个不超过 50 字 / At most 20 expansions of 50 characters"
        )
    if fields:
        raise ValidationFailed(_("同义词无效 / Invalid synonym"), fields=fields)
    return term, cleaned, (note or "").strip()[:200]


def _snapshot(s: SearchSynonym) -> dict:
    return {
        "term": s.term,
        "expansions": list(s.expansions),
        "note": s.note,
        "is_active": s.is_active,
    }


def create_synonym(
    *, actor, term: str, expansions, note: str = "", is_active: bool = True
) -> SearchSynonym:
    _check(actor)
    term, expansions, note = _clean(term, expansions, note)
    with transaction.atomic():
        if SearchSynonym.objects.filter(term=term).exists():
            raise ValidationFailed(
                _("该说法已存在 / This term already exists"), fields={"term": _("已存在 / exists")}
            )
        s = SearchSynonym.objects.create(
            term=term, expansions=expansions, note=note, is_active=is_active
        )
        audit.record(actor=actor, action="search.synonym.create", target=s, after=_snapshot(s))
        transaction.on_commit(synonyms.invalidate)
    synonyms.invalidate()
    return s


def update_synonym(*, actor, synonym: SearchSynonym, **changes) -> SearchSynonym:
    _check(actor)
    with transaction.atomic():
        s = SearchSynonym.objects.select_for_update().get(pk=synonym.pk)
        before = _snapshot(s)
        term, expansions, note = _clean(
            changes.get("term", s.term),
            changes.get("expansions", s.expansions),
            changes.get("note", s.note),
        )
        if term != s.term and SearchSynonym.objects.filter(term=term).exclude(pk=s.pk).exists():
            raise ValidationFailed(
                _("该说法已存在 / This term already exists"), fields={"term": _("已存在 / exists")}
            )
        s.term, s.expansions, s.note = term, expansions, note
        if "is_active" in changes:
            s.is_active = bool(changes["is_active"])
        s.save()
        audit.record(
            actor=actor, action="search.synonym.update", target=s, before=before, after=_snapshot(s)
        )
        transaction.on_commit(synonyms.invalidate)
    synonyms.invalidate()
    return s


def delete_synonym(*, actor, synonym: SearchSynonym) -> None:
    _check(actor)
    with transaction.atomic():
        s = SearchSynonym.objects.select_for_update().get(pk=synonym.pk)
        before = _snapshot(s)
        audit.record(actor=actor, action="search.synonym.delete", target=s, before=before)
        s.delete()
        transaction.on_commit(synonyms.invalidate)
    synonyms.invalidate()
