"""Queries worth naming."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Length

from .models import Department, Hall, Level, Region, Window


def active_windows() -> QuerySet:
    return (
        Window.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch("departments", queryset=Department.objects.filter(is_active=True))
        )
        .order_by(Length("number"), "number")
    )


def hall_directory(*, within: Region | None = None, level: str = "", q: str = "") -> QuerySet:
    """Active halls in tree order (county centre, then each town hall followed
    by its village rooms), with their active windows prefetched."""
    halls = Hall.objects.filter(is_active=True, region__is_active=True)
    if within is not None:
        halls = halls.filter(region__path__startswith=within.path)
    if level in Level.values:
        halls = halls.filter(region__level=level)
    if q:
        halls = halls.filter(
            Q(name__icontains=q) | Q(region__name__icontains=q) | Q(address__icontains=q)
        )
    return (
        halls.select_related("region", "region__parent")
        .prefetch_related(Prefetch("windows", queryset=active_windows(), to_attr="open_windows"))
        .order_by("region__path", "name")
    )


def towns(county: Region | None = None) -> QuerySet:
    qs = Region.objects.filter(level=Level.TOWN, is_active=True)
    if county is not None:
        qs = qs.filter(parent=county)
    return qs.order_by("code")
