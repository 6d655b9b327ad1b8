"""Importing the real item list of 广安区 (1,135 rows, 34 departments)."""

from __future__ import annotations

from collections import Counter

import pytest

from yiwang.catalog import selectors
from yiwang.catalog.codes import parse_code
from yiwang.catalog.importer import import_csv
from yiwang.catalog.models import GuideStatus, GuideVersion, ItemLevel, ServiceItem
from yiwang.regions.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def items_csv(shared_data):
    return shared_data / "guangan-service-items.csv"


def test_real_file_imports_and_reports_odd_codes(items_csv):
    progress = []
    report = import_csv(items_csv, progress=lambda done, total: progress.append((done, total)))
    assert report.rows == 1135
    assert report.created == 1135 and report.errors == []
    assert ServiceItem.objects.count() == 1135
    assert Department.objects.count() == 34
    assert report.departments_created == 34
    # The 37 rows with 4, 7 or 8 parts, and the one whose code names the
    # province (510000000000) instead of the district, are imported, each
    # reported with a reason (data/README.md counts 38 odd rows).
    assert len(report.warnings) == 38
    parts = Counter(len(w.code.split("-")) for w in report.warnings)
    assert parts == {4: 3, 6: 1, 7: 16, 8: 18}
    province = next(w for w in report.warnings if len(w.code.split("-")) == 6)
    assert "510000000000" in province.reason
    for w in report.warnings:
        assert w.reason and ServiceItem.objects.filter(code=w.code).exists()
    unrecognised = [w for w in report.warnings if "无法识别" in w.reason]
    assert len(unrecognised) == 3
    assert ServiceItem.objects.get(code="E-000021-001-1111111111111111").code_shape == ""
    # Every item has a bare draft and is on the county list.
    assert GuideVersion.objects.filter(status=GuideStatus.DRAFT).count() == 1135
    assert selectors.items_for_level("county").count() == 1135
    assert progress[-1] == (1135, 1135)
    # Codes are keys, names are not: the repeated names are separate items.
    names = Counter(ServiceItem.objects.values_list("name", flat=True))
    assert sum(1 for n in names.values() if n > 1) == 2


def test_second_import_changes_nothing(items_csv):
    import_csv(items_csv)
    from yiwang.core.audit import AuditEntry

    entries = AuditEntry.objects.count()
    report = import_csv(items_csv)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1135)
    assert report.departments_created == 0
    assert AuditEntry.objects.count() == entries
    assert ItemLevel.objects.count() == 1135


def test_demo_guides_are_generated_and_published(items_csv, proofs):
    report = import_csv(items_csv, demo_guides_=True, publish=True)
    assert report.guides_generated == 1135
    assert report.publish_failures == [], report.publish_failures[:3]
    assert report.published == 1135
    published = GuideVersion.objects.filter(status=GuideStatus.PUBLISHED)
    assert published.count() == 1135
    assert not published.filter(is_generated=False).exists()
    again = import_csv(items_csv, demo_guides_=True, publish=True)
    assert (again.created, again.updated, again.guides_generated, again.published) == (0, 0, 0, 0)


def test_bad_rows_are_reported_never_crash(tmp_path, tree):
    path = tmp_path / "items.csv"
    path.write_text(
        "department,group,name,item_code,task_type,area_code\n"
        "区民政局,未分类,好事项,511A0138000000-511602000000-000-11511301008778298W-1-00,1,511602000000\n"
        "区民政局,未分类,无编码,,1,511602000000\n"
        "区民政局,未分类,坏类型,511A0138000001-511602000000-000-11511301008778298W-1-00,99,511602000000\n"
        "区民政局,未分类,重复,511A0138000000-511602000000-000-11511301008778298W-1-00,1,511602000000\n"
        ",未分类,无部门,511A0138000002-511602000000-000-11511301008778298W-1-00,1,511602000000\n",
        encoding="utf-8",
    )
    report = import_csv(path)
    assert report.created == 1
    reasons = [e.reason for e in report.errors]
    assert len(reasons) == 4
    assert any("不能为空" in r for r in reasons)
    assert any("99" in r for r in reasons)
    assert any("重复" in r for r in reasons)
    assert any("部门" in r for r in reasons)


def test_missing_columns_refused(tmp_path, db):
    from yiwang.core.errors import ValidationFailed

    path = tmp_path / "x.csv"
    path.write_text("名称,编码\n甲,1\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        import_csv(path)
    assert "item_code" in exc.value.message


@pytest.mark.parametrize(
    "code,shape,basic",
    [
        ("511A0138000000-511602000000-000-115113010833722043-1-00", "sichuan", "511A0138000000"),
        ("511Z07001006-511602000000-000-11511301008778183N-1-00", "sichuan", "511Z07001006"),
        (
            "512C0107400001-511602000000-000-00877868-5-1-00",
            "sichuan_hyphenated_org",
            "512C0107400001",
        ),
        (
            "G-000007-001-511602000000-000-115113010833722043-1-00",
            "sichuan_letter_basic",
            "G-000007-001",
        ),
        (
            "1J-5100-00027-511602000000-000-11511301008778386B-1-00",
            "sichuan_letter_basic",
            "1J-5100-00027",
        ),
        ("11511301008778298W4511A01380000", "national", "511A01380000"),
        ("11511301008778298W4511A0138000001", "national", "511A01380000"),
        ("H-000185-001-4444444444", "", ""),
    ],
)
def test_code_shapes(code, shape, basic):
    parsed = parse_code(code)
    assert parsed.shape == shape
    assert parsed.basic_code == basic
    assert bool(parsed.warning) == (shape not in ("sichuan", "national"))


def test_code_part_checks():
    assert parse_code("511A0138000000-511602000000-000-11511301008778298W-1-00").issues == []
    bad = parse_code("511A0138000000-511602000000-000-1151130108778239R-1-00")
    assert "长度为 17 位" in bad.issues[0]
    other = parse_code(
        "511A0138000000-511603000000-000-11511301008778298W-1-00", area_code="511602000000"
    )
    assert "不一致" in other.warning
