"""Fixtures for the case tests: the small 广安区 tree, a village room and its
agent, town and county clerks, two department approvers, a citizen, and a
licensing item whose published guide is offered at the county centre, the
town hall and the village room."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import CitizenFactory, make_hall, region_tree, staff_with_role
from tests.catalog.factories import good_guide
from yiwang.cases import services
from yiwang.catalog import services as catalog
from yiwang.catalog.codesets import ItemType


class Clock:
    """The cases services' clock (``services.clock.now``), moved by hand (tests never sleep)."""

    def __init__(self, start: dt.datetime):
        self.at = start

    def __call__(self):
        return self.at

    def set_day(self, day: dt.date, hour: int = 10):
        from zoneinfo import ZoneInfo

        self.at = dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))
        return self.at


@pytest.fixture
def clock(monkeypatch):
    # Monday 2026-03-02, 10:00 Shanghai: a normal working week.
    c = Clock(None)
    c.set_day(dt.date(2026, 3, 2))
    monkeypatch.setattr(services.clock, "now", c)
    return c


def publish_item(
    admin,
    department,
    halls,
    *,
    code_suffix="01",
    guide=None,
    name="临时救助审批",
    levels=("county", "town", "village"),
    item_type=ItemType.ADMINISTRATIVE_LICENSE,
):
    item = catalog.create_item(
        by=admin,
        code=f"511A0138000000-511602000000-000-11511301008778298W-1-{code_suffix}",
        name=name,
        item_type=item_type,
        department=department,
        service_objects=["natural_person"],
        area_code="511602000000",
    )
    version = item.versions.get()
    catalog.fill_draft(version, by=admin, **(guide or good_guide()))
    catalog.submit(version, by=admin)
    catalog.approve(version, by=admin)
    for level in levels:
        entry = catalog.set_level(item, level, by=admin)
        if level == "village":
            catalog.approve_level(entry, by=admin)
    catalog.update_item(item, by=admin, halls=[h.pk for h in halls])
    item.refresh_from_db()
    return item


@pytest.fixture
def world(db, clock):
    t = region_tree()
    village_room = make_hall(t.village, "翠屏路社区便民服务室")
    admin = staff_with_role("catalog_admin", region=t.county)
    item = publish_item(admin, t.department, [t.county_hall, t.town_hall, village_room])
    return SimpleNamespace(
        tree=t,
        village_room=village_room,
        admin=admin,
        item=item,
        citizen=CitizenFactory(region=t.village),
        other_citizen=CitizenFactory(region=t.other_village),
        agent=staff_with_role("agent", region=t.village, hall=village_room),
        town_clerk=staff_with_role("clerk", region=t.town, hall=t.town_hall),
        county_clerk=staff_with_role("clerk", region=t.county, hall=t.county_hall),
        other_clerk=staff_with_role("clerk", region=t.other_town, hall=t.other_town_hall),
        approver=staff_with_role("approver", department=t.department),
        approver2=staff_with_role("approver", department=t.department),
        other_approver=staff_with_role("approver", department=t.other_department),
    )


WALK_IN = {"kind": "citizen", "name": "王大明", "id_number": "", "phone": "13900001111"}


@pytest.fixture
def walk_in():
    from tests.accounts.factories import resident_id

    return {**WALK_IN, "id_number": resident_id(4242)}


@pytest.fixture
def api():
    return APIClient()
