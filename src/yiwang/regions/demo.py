"""The demo county: 广安区 with its real towns and villages, its resident
departments, the county centre, a convenience-service centre in every town
and a service room in every village, each with the standard window set.

``load()`` goes through the services (every object gets its audit entry) and
is idempotent: what exists (by division code, hall name in its region,
window number in its hall, department name) is left alone.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from . import services
from .models import Department, Hall, HallKind, Level, Region, Window
from .standards import (
    CATEGORY_DEPARTMENTS,
    COMPREHENSIVE,
    TOWN_WINDOW_SET,
    VILLAGE_WINDOW_SET,
)

DIVISIONS_FILE = "guangan-divisions.csv"
ITEMS_FILE = "guangan-service-items.csv"
COUNTY_CENTRE = "广安区政务服务中心"
COUNTY_COMPREHENSIVE_WINDOWS = 4
OPENING_HOURS = "周一至周五 9:00–12:00，13:30–17:30"


def data_file(name: str) -> Path:
    """The packaged copy (regions/data/), else the checkout's ../shared/data."""
    for folder in (
        Path(__file__).resolve().parent / "data",
        Path(getattr(settings, "PROJECT_DIR", ".")).parent / "shared" / "data",
    ):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(name)


def departments_from_items(path: Path) -> list[tuple[str, str]]:
    """(name, code) of each implementing department in the item list, in the
    order they first appear. The code is the DEPTCODE part (4th of 6) of the
    item codes most often seen for that department; rows of other shapes
    do not vote (a department with none gets no code)."""
    votes: dict[str, Counter] = defaultdict(Counter)
    order: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            name = row["department"].strip()
            if name not in votes:
                order.append(name)
                votes[name]  # noqa: B018 - register the department
            parts = row["item_code"].strip().split("-")
            if len(parts) == 6 and parts[3]:
                votes[name][parts[3].upper()] += 1
    result = []
    for name in order:
        ranked = sorted(votes[name].items(), key=lambda kv: (-kv[1], -(len(kv[0]) == 18), kv[0]))
        result.append((name, ranked[0][0] if ranked else ""))
    return result


def short_name(department_name: str) -> str:
    """区卫健局 → 卫健局, 广安区税务局 → 税务局."""
    for prefix in ("广安区", "区"):
        if department_name.startswith(prefix) and len(department_name) > len(prefix) + 1:
            return department_name[len(prefix) :]
    return department_name


def village_room_name(village: Region) -> str:
    """翠屏路社区居委会 → 翠屏路社区便民服务站; 石笋村村委会 → 石笋村便民服务室."""
    name = village.name
    for suffix in ("居委会", "村委会", "委会"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith("社区"):
        return f"{name}便民服务站"
    if not name.endswith("村"):
        name += "村"
    return f"{name}便民服务室"


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def load(stdout=None) -> dict:
    """Load the demo county. Returns counts: what was created this run
    (``*_created``) and what exists afterwards (``regions``, ``departments``,
    ``halls``, ``windows``). A second run creates nothing."""
    started = time.monotonic()
    counts = Counter()
    with transaction.atomic():
        report = services.import_divisions(data_file(DIVISIONS_FILE), by=None)
        counts["regions_created"] = len(report.created)
        counts["regions_renamed"] = len(report.renamed)

        county = Region.objects.get(level=Level.COUNTY, code="511602000000")
        departments = {d.name: d for d in Department.objects.all()}
        dept_order = []
        for name, code in departments_from_items(data_file(ITEMS_FILE)):
            dept_order.append(name)
            if name not in departments:
                departments[name] = services.create_department(
                    by=None, name=name, short_name=short_name(name), code=code, region=county
                )
                counts["departments_created"] += 1

        def category_departments(category: str) -> list[Department]:
            return [
                departments[n] for n in CATEGORY_DEPARTMENTS.get(category, ()) if n in departments
            ]

        halls = {(h.region_id, h.name): h for h in Hall.objects.all()}
        taken = defaultdict(set)
        for hall_id, number in Window.objects.values_list("hall_id", "number"):
            taken[hall_id].add(number)

        def hall(region: Region, name: str, kind: str) -> Hall:
            found = halls.get((region.pk, name))
            if found is None:
                found = services.create_hall(
                    by=None, region=region, name=name, kind=kind, opening_hours=OPENING_HOURS
                )
                halls[(region.pk, name)] = found
                counts["halls_created"] += 1
            return found

        def open_windows(h: Hall, specs: list[dict]) -> None:
            missing = [w for w in specs if w["number"] not in taken[h.pk]]
            if missing:
                services.create_windows(by=None, hall=h, windows=missing)
                taken[h.pk].update(w["number"] for w in missing)
                counts["windows_created"] += len(missing)

        # The county centre: comprehensive windows first, then one window per
        # resident department (categories follow the standard set where one fits).
        centre = hall(county, COUNTY_CENTRE, HallKind.CENTRE)
        category_of = {n: c for c, names in CATEGORY_DEPARTMENTS.items() for n in names}
        specs = [
            {
                "number": str(i + 1),
                "name": f"综合受理窗口{i + 1}",
                "category": COMPREHENSIVE,
                "is_comprehensive": True,
            }
            for i in range(COUNTY_COMPREHENSIVE_WINDOWS)
        ]
        for name in dept_order:
            specs.append(
                {
                    "number": str(len(specs) + 1),
                    "name": f"{short_name(name)}窗口",
                    "category": category_of.get(name, short_name(name))[:20],
                    "departments": [departments[name]],
                }
            )
        open_windows(centre, specs)

        # Towns and villages: the standard window sets (赤壁, 002: 二(五)2).
        def standard_windows(h: Hall, categories) -> None:
            open_windows(
                h,
                [
                    {
                        "number": str(number),
                        "name": f"{category}窗口",
                        "category": category,
                        "is_comprehensive": category == COMPREHENSIVE,
                        "departments": category_departments(category),
                    }
                    for number, category in enumerate(categories, start=1)
                ],
            )

        regions = Region.objects.filter(path__startswith=county.path, is_active=True)
        for town in regions.filter(level=Level.TOWN).order_by("code"):
            standard_windows(hall(town, f"{town.name}便民服务中心", HallKind.TOWN), TOWN_WINDOW_SET)
        for village in regions.filter(level=Level.VILLAGE).order_by("code"):
            room = hall(village, village_room_name(village), HallKind.VILLAGE)
            standard_windows(room, VILLAGE_WINDOW_SET)

    counts["regions"] = Region.objects.count()
    counts["departments"] = Department.objects.count()
    counts["halls"] = Hall.objects.count()
    counts["windows"] = Window.objects.count()
    for key in ("departments_created", "halls_created", "windows_created"):
        counts.setdefault(key, 0)
    _say(
        stdout,
        _(
            "区划与大厅：新建区划 %(regions_created)d，部门 %(departments_created)d，"
            "大厅 %(halls_created)d，窗口 %(windows_created)d（%(seconds).1f 秒）"
        )
        % {**counts, "seconds": time.monotonic() - started},
    )
    return dict(counts)
