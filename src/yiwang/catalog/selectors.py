"""Queries worth naming: the three lists, what a hall offers, the current guide.

Other apps read the catalog through these (the cases app:
``application_ref`` for the version a case is applied under and whether the
hall offers the item, ``halls_offering`` for where it can be applied).
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

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

    Every case submission asks this, so it is written in SQL: building the
    same query through the ORM costs some twenty times more CPU than running it."""
    item_key = _db_value(GuideVersion, "item", item.pk)
    with_hall, without_hall = _application_sql()
    if hall is None or not (hall.is_active and item.is_active):
        sql, params = without_hall, []
    else:
        hall_key = _db_value(ServiceItem.halls.through, "hall", hall.pk)
        sql, params = with_hall, [item_key, hall.region.level, LevelStatus.APPROVED, hall_key]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, item_key, GuideStatus.PUBLISHED])
        row = cursor.fetchone()
    if row is None:
        return None, False
    key = GuideVersion._meta.pk.to_python(row[0])
    return GuideVersion.from_db(connection.alias, ["id", "item_id"], [key, item.pk]), bool(row[1])


@lru_cache(maxsize=1)
def _application_sql() -> tuple[str, str]:
    """``application_ref``'s statement with and without the hall test, its
    tables and columns named by the models."""
    q = connection.ops.quote_name

    def col(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    halls = ServiceItem.halls.through
    offer = (
        f"SELECT 1 FROM {q(ItemLevel._meta.db_table)} l JOIN {q(halls._meta.db_table)} h"
        f" ON h.{col(halls, 'serviceitem')} = l.{col(ItemLevel, 'item')}"
        f" WHERE l.{col(ItemLevel, 'item')} = %s AND l.{col(ItemLevel, 'level')} = %s"
        f" AND l.{col(ItemLevel, 'status')} = %s AND h.{col(halls, 'hall')} = %s"
    )
    version = (
        f"FROM {q(GuideVersion._meta.db_table)} v"
        f" WHERE v.{col(GuideVersion, 'item')} = %s AND v.{col(GuideVersion, 'status')} = %s"
        f" ORDER BY v.{col(GuideVersion, 'number')} DESC LIMIT 1"
    )
    key = f"v.{col(GuideVersion, 'id')}"
    return f"SELECT {key}, EXISTS ({offer}) {version}", f"SELECT {key}, 0 = 1 {version}"


def _db_value(model, field: str, value):
    """``value`` as the database stores ``model.field`` (a UUID is text on SQLite)."""
    return model._meta.get_field(field).get_db_prep_value(value, connection)


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
