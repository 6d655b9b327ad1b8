"""Fixtures for the catalog tests: a small region tree, catalog admins at
county and town level, a clerk, retained proofs, and a guide that passes
every consistency rule."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import region_tree, staff_with_role
from yiwang.catalog import services
from yiwang.catalog.codesets import ItemType

from .factories import good_guide


@pytest.fixture
def tree(db):
    return region_tree()


@pytest.fixture
def admin(tree):
    """A county-level catalog administrator (审改办)."""
    return staff_with_role("catalog_admin", region=tree.county)


@pytest.fixture
def town_admin(tree):
    return staff_with_role("catalog_admin", region=tree.town)


@pytest.fixture
def clerk(tree):
    return staff_with_role("clerk", region=tree.town, hall=tree.town_hall)


@pytest.fixture
def proofs(db):
    return [
        services.create_retained_proof(by=None, name="出生医学证明", issuing_body="医疗机构"),
        services.create_retained_proof(by=None, name="死亡医学证明", issuing_body="医疗机构"),
    ]


@pytest.fixture
def item(tree, admin):
    return services.create_item(
        by=admin,
        code="511A0138000000-511602000000-000-11511301008778298W-1-00",
        name="临时救助审批",
        item_type=ItemType.ADMINISTRATIVE_LICENSE,
        department=tree.department,
        service_objects=["natural_person"],
        area_code="511602000000",
    )


@pytest.fixture
def draft(item, admin):
    """The item's v1 draft filled with a guide that passes every rule."""
    version = item.versions.get()
    guide = good_guide()
    return services.fill_draft(version, by=admin, **guide)


@pytest.fixture
def api():
    return APIClient()
