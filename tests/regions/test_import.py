"""Importing the division tree: the real file, idempotency, renames, bad rows."""

import pytest
from django.core.management import CommandError, call_command

from yiwang.core.audit import AuditEntry
from yiwang.regions import services
from yiwang.regions.models import Region

pytestmark = pytest.mark.django_db

HEADER = "code,name,level,parent_code"


def lines(*rows):
    return [HEADER, *rows]


def test_real_file_loads_the_whole_district(divisions_file):
    report = services.import_divisions(divisions_file)
    assert report.rows == 358
    assert len(report.created) == 358
    assert report.by_level == {"county": 1, "town": 25, "village": 332}
    assert Region.objects.filter(level="county").count() == 1
    assert Region.objects.filter(level="town").count() == 25
    assert Region.objects.filter(level="village").count() == 332
    county = Region.objects.get(code="511602000000")
    assert county.parent is None and county.name == "广安区"
    village = Region.objects.get(code="511602001001")
    assert village.parent.code == "511602001000"
    assert village.path == "/511602000000/511602001000/511602001001/"
    assert county.children.count() == 25
    # every created division has its audit entry
    assert (
        AuditEntry.objects.filter(target_type="regions.region", action="region.create").count()
        == 358
    )


def test_importing_twice_changes_nothing(divisions_file):
    services.import_divisions(divisions_file)
    entries = AuditEntry.objects.count()
    stamps = dict(Region.objects.values_list("code", "updated_at"))
    report = services.import_divisions(divisions_file)
    assert report.created == [] and report.renamed == []
    assert report.unchanged == 358
    assert AuditEntry.objects.count() == entries
    assert dict(Region.objects.values_list("code", "updated_at")) == stamps


def test_a_later_file_renames_with_history(divisions_file, tmp_path):
    services.import_divisions(divisions_file)
    text = divisions_file.read_text(encoding="utf-8").replace("翠屏路社区居委会", "翠屏社区居委会")
    later = tmp_path / "later.csv"
    later.write_text(text, encoding="utf-8")
    report = services.import_divisions(later)
    assert report.renamed == [("511602001001", "翠屏路社区居委会", "翠屏社区居委会")]
    assert report.unchanged == 357
    region = Region.objects.get(code="511602001001")
    assert region.name == "翠屏社区居委会"
    entry = AuditEntry.objects.get(target_id=str(region.pk), action="region.rename")
    assert entry.before == {"name": "翠屏路社区居委会"}
    assert entry.after == {"name": "翠屏社区居委会"}


def test_bad_rows_are_reported_by_line_and_nothing_is_written():
    rows = lines(
        "511602000000,广安区,county,511600000000",  # line 2: fine
        "511602001000,浓洄街道,town,511602000000",  # line 3: fine
        "51160200100A,坏代码,village,511602001000",  # line 4: not 12 digits
        "511602001001,翠屏路社区居委会,town,511602001000",  # line 5: level vs shape
        "511602009001,孤儿社区居委会,village,511602009000",  # line 6: unknown parent
        "511602001002,厚街社区居委会,village,511602001000",  # line 7: fine
        "511602001002,厚街社区居委会,village,511602001000",  # line 8: duplicate
        "511602001003,柑子园社区居委会,village,511602002000",  # line 9: wrong parent
        "511602001400,超范围村委会,village,511602001000",  # line 10: village part > 399
    )
    with pytest.raises(services.ImportRejected) as caught:
        services.import_divisions(rows)
    errors = {e.line: e for e in caught.value.report.errors}
    assert sorted(errors) == [4, 5, 6, 8, 9, 10]
    assert "12 位数字" in errors[4].reasons[0]
    assert "代码形态" in errors[5].reasons[0]
    assert "511602009000" in errors[6].reasons[0]
    assert "第 7 行" in errors[8].reasons[0]
    assert "511602001000" in errors[9].reasons[0]
    assert "001–399" in errors[10].reasons[0]
    assert "line 4" in caught.value.fields
    assert Region.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_parent_may_come_from_the_database():
    services.import_divisions(
        lines("511602000000,广安区,county,511600000000", "511602001000,浓洄街道,town,511602000000")
    )
    report = services.import_divisions(lines("511602001001,翠屏路社区居委会,village,511602001000"))
    assert report.created == ["511602001001"]


def test_retired_parent_is_refused(tree):
    services.retire_region(tree["community"], by=None)
    services.retire_region(tree["town"], by=None)
    with pytest.raises(services.ImportRejected) as caught:
        services.import_divisions(lines("511602001002,厚街社区居委会,village,511602001000"))
    assert "已撤销" in caught.value.report.errors[0].reasons[0]


def test_missing_columns():
    with pytest.raises(services.ImportRejected) as caught:
        services.import_divisions(["code,name", "511602000000,广安区"])
    assert caught.value.report.errors[0].line == 1


def test_dry_run_writes_nothing(divisions_file):
    report = services.import_divisions(divisions_file, dry_run=True)
    assert len(report.created) == 358
    assert Region.objects.count() == 0


def test_command_summary_and_errors(divisions_file, tmp_path, capsys):
    call_command("regions", "import-divisions", str(divisions_file))
    out = capsys.readouterr().out
    assert "共 358 行（县级 1，乡镇级 25，村级 332）" in out
    assert "新建 358" in out
    call_command("regions", "import-divisions", str(divisions_file))
    assert "新建 0，更名 0，未变 358" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n511602001999,错,village,511602001000\n", encoding="utf-8")
    with pytest.raises(CommandError, match="全部未导入"):
        call_command("regions", "import-divisions", str(bad))
    assert "第 2 行（511602001999）" in capsys.readouterr().err
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("regions", "import-divisions", str(tmp_path / "nope.csv"))


def test_tree_and_halls_commands(divisions_file, capsys):
    services.import_divisions(divisions_file)
    county = Region.objects.get(code="511602000000")
    services.create_hall(by=None, region=county, name="广安区政务服务中心")
    call_command("regions", "tree", "--depth", "2")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("511602000000 广安区") and "大厅 1" in out[0]
    assert len(out) == 26
    call_command("regions", "tree", "511602001000")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "511602001000 浓洄街道"
    assert out[1].startswith("  511602001001 ")
    call_command("regions", "halls", "--within", "511602000000")
    out = capsys.readouterr().out
    assert "广安区政务服务中心" in out and "共 1 个大厅" in out
    with pytest.raises(CommandError):
        call_command("regions", "tree", "999999999999")
