"""Shared model bases and the kernel's own tables."""

import functools

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

from .ids import uuid7


class UUIDModel(models.Model):
    """Base for every domain record: a time-ordered UUIDv7 key."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        # Django's ``get_<field>_display()``, with the choices' labels mapped
        # once per field: Django rebuilds the mapping on every call, hashing
        # (and so translating) every label, ~70 µs for a status. The labels
        # stay lazy: each call still answers in the active language.
        value = getattr(self, field.attname)
        label = _choice_labels(field).get(make_hashable(value), value)
        return force_str(label, strings_only=True)


@functools.cache
def _choice_labels(field) -> dict:
    """``{value: label}`` of a model field's choices (declared once, with the
    model; never a callable that could answer differently later)."""
    return {make_hashable(value): label for value, label in field.flatchoices}


class TimeStampedModel(UUIDModel):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


# The audit trail's tables live in core.audit; import them so Django sees them.
from .audit import AuditCheckpoint, AuditEntry, AuditSealedHead, AuditStream  # noqa: E402,F401

# The working-day calendar's tables live in core.calendar.
from .calendar import CalendarOverride, CalendarRevision, CalendarYear  # noqa: E402,F401
from .outbox import OutboxDelivery, OutboxEvent  # noqa: E402,F401
from .search.models import SearchDocument, SearchSynonym, SearchWord  # noqa: E402,F401
