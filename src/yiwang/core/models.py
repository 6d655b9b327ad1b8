"""Shared model bases and the kernel's own tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .ids import uuid7


class UUIDModel(models.Model):
    """Base for every domain record: a time-ordered UUIDv7 key."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)

    class Meta:
        abstract = True


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
