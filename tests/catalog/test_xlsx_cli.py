"""xlsx export / import round trip, and the `yiwang catalog` command."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

from yiwang.catalog import services
from yiwang.catalog.importer import export_xlsx, import_xlsx
from yiwang.catalog.models import GUIDE_FIELDS, GuideVersion, ServiceItem
from yiwang.cli import main

pytestmark = pytest.mark.django_db


def catalog_state():
    state = {}
    for item in ServiceItem.objects.select_related("department").order_by("code"):
        version = (
            item.versions.filter(status="published").first()
            or item.versions.order_by("-number").first()
        )
        state[item.code] = {
            "name": item.name,
            "type": item.item_type,
            "department": item.department.name,
            "objects": item.service_objects,
            "levels": sorted(item.levels.filter(status="approved").values_list("level", flat=True)),
            "status": version.status,
            "guide": {f: getattr(version, f) for f in GUIDE_FIELDS},
            "materials": list(
                version.materials.order_by("position").values_list(
                    "name", "originals", "copies", "required", "source", "is_proof", "note"
                )
            ),
            "steps": list(
                version.steps.order_by("position").values_list(
                    "name", "role", "days", "description"
                )
            ),
        }
    return state


def wipe_catalog():
    from yiwang.catalog.models import ItemLevel, MaterialRequirement, ProcessStep

    MaterialRequirement.objects.all().delete()
    ProcessStep.objects.all().delete()
    ItemLevel.objects.all().delete()
    with connection.cursor() as cur:  # frozen versions refuse the ORM; this is a test reset
        cur.execute(f"DELETE FROM {GuideVersion._meta.db_table}")
    ServiceItem.objects.all().delete()


def test_xlsx_round_trip(tmp_path, draft, admin, proofs, tree):
    services.add_material(draft, by=admin, name="出生医学证明")
    services.publish(draft, by=admin)
    services.set_level(draft.item, "town", by=admin)
    services.create_item(
        by=admin,
        code="H-000185-001-4444444444",
        name="气象咨询",
        item_type="public_service",
        department=tree.other_department,
        levels=("county",),
    )
    before = catalog_state()
    path = tmp_path / "catalog.xlsx"
    assert export_xlsx(path) == 2
    wipe_catalog()
    assert ServiceItem.objects.count() == 0
    report = import_xlsx(path)
    assert report.errors == [] and report.created == 2
    assert catalog_state() == before
    again = import_xlsx(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_cli_import_show_publish_stats_export(tmp_path, shared_data, capsys, proofs):
    csv_path = shared_data / "guangan-service-items.csv"
    report_path = tmp_path / "report.json"
    assert main(["catalog", "import", str(csv_path), "--quiet", "--report", str(report_path)]) == 0
    out = capsys.readouterr()
    assert "新建 1135" in out.out
    assert "导入 Importing 1135/1135" in out.err
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert len(report["warnings"]) == 38
    assert main(["catalog", "import", str(csv_path), "--quiet"]) == 0
    assert "新建 0，更新 0" in capsys.readouterr().out
    code = "511A0138000000-511602000000-000-115113010833722043-1-00"
    assert main(["catalog", "show", code]) == 0
    assert "适龄儿童" in capsys.readouterr().out
    # A bare draft cannot be published: the rules say why; exit code non-zero.
    assert main(["catalog", "publish", code]) != 0
    assert "required_elements" in capsys.readouterr().err
    assert main(["catalog", "show", "NO-SUCH-CODE"]) != 0
    assert main(["catalog", "stats"]) == 0
    assert "items: 1135" in capsys.readouterr().out
    assert main(["catalog", "import", str(tmp_path / "missing.csv")]) != 0


def test_cli_publish_and_export(tmp_path, draft, capsys):
    assert main(["catalog", "publish", draft.item.code]) == 0
    draft.refresh_from_db()
    assert draft.status == "published"
    path = tmp_path / "out.xlsx"
    assert main(["catalog", "export", str(path)]) == 0
    assert path.exists()
    call_command("catalog", "import-xlsx", str(path))
