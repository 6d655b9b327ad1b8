"""Queries worth naming: the three lists, what a hall offers, the current guide.

Other apps read the catalog through these (the cases app:
``application_ref`` for the version a case is applied under and whether the
hall offers the item, ``halls_offering`` for where it can be applied).
"""

from __future__ import annotations

import uuid

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from yiwang.core.prepared import prepared

from .codesets import Level
from .models import GuideStatus, GuideVersion, ItemLevel, LevelStatus, ServiceItem


def items() -> QuerySet[ServiceItem]:
    """All items with their department."""
    return ServiceItem.objects.select_related("department")


def active_items() -> QuerySet[ServiceItem]:
    return items().filter(is_active=True)


def published_version(item: ServiceItem) -> GuideVersion | None:
    """The published guide with its materials and steps (None when none is)."""
    return (
        GuideVersion.objects.filter(item=item, status=GuideStatus.PUBLISHED)
        .prefetch_related("materials", "steps")
        .first()
    )


def latest_version(item: ServiceItem) -> GuideVersion | None:
    return item.versions.order_by("-number").first()


def open_version(item: ServiceItem) -> GuideVersion | None:
    """The draft or the version in review, if any (at most one)."""
    return item.versions.filter(status__in=[GuideStatus.DRAFT, GuideStatus.REVIEW]).first()


def with_published_guide(qs: QuerySet[ServiceItem] | None = None) -> QuerySet[ServiceItem]:
    qs = items() if qs is None else qs
    return qs.prefetch_related(
        Prefetch(
            "versions",
            queryset=GuideVersion.objects.filter(status=GuideStatus.PUBLISHED),
            to_attr="published_versions",
        )
    )


def items_for_level(level: str) -> QuerySet[ServiceItem]:
    """The county, town or village list: active items with an approved entry
    for ``level``. A village entry still waiting for county approval does not
    count (准入制)."""
    approved = ItemLevel.objects.filter(
        item=OuterRef("pk"), level=level, status=LevelStatus.APPROVED
    )
    return active_items().filter(Exists(approved))


def offered_at_level(item: ServiceItem, level: str) -> bool:
    """True when the item is on the ``level`` list (for a village: approved)."""
    return (
        item.is_active
        and ItemLevel.objects.filter(item=item, level=level, status=LevelStatus.APPROVED).exists()
    )


def items_for_hall(hall) -> QuerySet[ServiceItem]:
    """Items a hall offers: those assigned to it that are on the list of the
    hall's level (a village room offers only admitted items)."""
    level = hall.region.level
    return items_for_level(level).filter(halls=hall)


def application_ref(item: ServiceItem, hall) -> tuple[GuideVersion | None, bool]:
    """What applying for ``item`` at ``hall`` needs from the catalog, in one
    query: the published guide version with only its key loaded (the rest
    loads when first read), and whether ``hall`` offers the item (the test of
    ``items_for_hall`` for one item: both active, the item assigned to the
    hall and on the list of the hall's level). ``(None, False)`` when the item
    has no published guide; ``hall`` None is offered nothing.

    Every case submission asks this: prepared (``core.prepared``), since
    building its ``EXISTS`` costs some twenty times more CPU than running it.
    A caller with more to ask in the same round trip prepares
    ``offered_version`` with annotations of its own and reads the row with
    ``read_offer``."""
    if hall is None or not (hall.is_active and item.is_active):
        return _published_ref.first(item.pk), False
    return read_offer(_published_ref_offered_at.first(item.pk, hall.region.level, hall.pk))


def read_offer(found) -> tuple[GuideVersion | None, bool]:
    """``(version, offered)`` from the row ``offered_version`` gave, or None."""
    if found is None:
        return None, False
    return found, found.listed and found.assigned


def _published(item_pk):
    return (
        GuideVersion.objects.filter(item_id=item_pk, status=GuideStatus.PUBLISHED)
        .only("id", "item_id")
        .order_by("-number")
    )


def offered_version(item_pk, level, hall_pk) -> QuerySet:
    """The item's published version (its key), annotated with whether the
    hall ``hall_pk`` of ``level`` offers it: ``listed`` on that level's list
    and ``assigned`` to the hall, two EXISTS each answered by an index. For
    an active item at an active hall (``application_ref`` checks both)."""
    return _published(item_pk).annotate(
        listed=Exists(
            ItemLevel.objects.filter(item_id=item_pk, level=level, status=LevelStatus.APPROVED)
        ),
        assigned=Exists(
            ServiceItem.halls.through.objects.filter(serviceitem_id=item_pk, hall_id=hall_pk)
        ),
    )


@prepared(uuid.UUID)
def _published_ref(item_pk):
    return _published(item_pk)[:1]


@prepared(uuid.UUID, str, uuid.UUID)
def _published_ref_offered_at(item_pk, level, hall_pk):
    return offered_version(item_pk, level, hall_pk)[:1]


def halls_offering(item: ServiceItem) -> QuerySet:
    """The active halls that offer ``item`` (with their region): assigned to
    it, at a level whose list holds it."""
    from yiwang.regions.models import Hall

    if not item.is_active:
        return Hall.objects.none()
    levels = ItemLevel.objects.filter(item=item, status=LevelStatus.APPROVED).values("level")
    return Hall.objects.filter(
        is_active=True, service_items=item, region__level__in=levels
    ).select_related("region")


def village_requests() -> QuerySet[ItemLevel]:
    """The admission queue (准入) for county catalog administrators."""
    return (
        ItemLevel.objects.filter(level=Level.VILLAGE, status=LevelStatus.REQUESTED)
        .select_related("item", "item__department", "requested_by")
        .order_by("requested_at")
    )


def stats() -> dict:
    from django.db.models import Count

    by_status = dict(
        GuideVersion.objects.values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    by_type = dict(
        ServiceItem.objects.values_list("item_type")
        .annotate(n=Count("id"))
        .values_list("item_type", "n")
    )
    by_level = dict(
        ItemLevel.objects.filter(status=LevelStatus.APPROVED)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    return {
        "items": ServiceItem.objects.count(),
        "departments": ServiceItem.objects.values("department").distinct().count(),
        "versions_by_status": by_status,
        "items_by_type": by_type,
        "items_by_level": by_level,
        "village_requests": village_requests().count(),
        "items_with_code_issues": ServiceItem.objects.exclude(code_issues=[]).count(),
        "generated_versions": GuideVersion.objects.filter(is_generated=True).count(),
    }
