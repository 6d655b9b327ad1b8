"""The demo county: counts, standard window sets, departments, idempotency."""

import time

import pytest

from yiwang.core.audit import AuditEntry
from yiwang.regions import demo
from yiwang.regions.models import Department, Hall, Window
from yiwang.regions.standards import TOWN_WINDOW_SET, VILLAGE_WINDOW_SET

pytestmark = pytest.mark.django_db


def test_departments_from_the_item_list(shared_data):
    depts = dict(demo.departments_from_items(shared_data / "guangan-service-items.csv"))
    assert len(depts) == 34
    assert depts["区行政审批局"] == "115113016823646795"
    assert depts["广安区税务局"] == "11511301MB1549994W"
    assert depts["区委统战部"] == ""  # only odd-shaped codes: no vote
    assert depts["区教科体局"] == "083372204"  # the most common, even if not 18 chars


def test_village_room_names():
    class V:
        name = "翠屏路社区居委会"

    assert demo.village_room_name(V) == "翠屏路社区便民服务站"
    V.name = "石笋村村委会"
    assert demo.village_room_name(V) == "石笋村便民服务室"
    V.name = "青山村委会"
    assert demo.village_room_name(V) == "青山村便民服务室"


def test_demo_load_counts_and_idempotency():
    started = time.monotonic()
    counts = demo.load()
    elapsed = time.monotonic() - started
    assert elapsed < 60  # aim: well under 20 s on SQLite
    assert counts["regions_created"] == 358
    assert counts["departments_created"] == 34
    assert counts["halls_created"] == 1 + 25 + 332
    county_windows = 4 + 34
    assert counts["windows_created"] == county_windows + 25 * 12 + 332 * 6

    assert Hall.objects.filter(kind="centre").count() == 1
    assert Hall.objects.filter(kind="town").count() == 25
    assert Hall.objects.filter(kind="village").count() == 332
    centre = Hall.objects.get(kind="centre")
    assert centre.name == "广安区政务服务中心"
    assert centre.windows.filter(is_comprehensive=True).count() == 4
    assert Hall.objects.filter(name="浓洄街道便民服务中心").exists()
    assert Hall.objects.filter(name="翠屏路社区便民服务站").exists()

    town_hall = Hall.objects.get(name="浓洄街道便民服务中心")
    cats = [w.category for w in sorted(town_hall.windows.all(), key=lambda w: int(w.number))]
    assert tuple(cats) == TOWN_WINDOW_SET
    room = Hall.objects.get(name="翠屏路社区便民服务站")
    cats = [w.category for w in sorted(room.windows.all(), key=lambda w: int(w.number))]
    assert tuple(cats) == VILLAGE_WINDOW_SET

    health = town_hall.windows.get(category="卫计")
    assert [d.name for d in health.departments.all()] == ["区卫健局"]
    farming = town_hall.windows.get(category="农牧林水")
    assert {d.name for d in farming.departments.all()} == {"区农业农村局", "区林业局", "区水务局"}
    comprehensive = town_hall.windows.get(category="综合")
    assert comprehensive.is_comprehensive and not comprehensive.departments.exists()
    assert Department.objects.get(name="区卫健局").windows.count() == 1 + 25 + 332

    # every created object has its audit entry
    assert AuditEntry.objects.filter(action="window.create").count() == counts["windows"]
    assert AuditEntry.objects.filter(action="hall.create").count() == 358

    entries = AuditEntry.objects.count()
    again = demo.load()
    assert again["regions_created"] == again["departments_created"] == 0
    assert again["halls_created"] == again["windows_created"] == 0
    assert again["windows"] == counts["windows"] == Window.objects.count()
    assert AuditEntry.objects.count() == entries
