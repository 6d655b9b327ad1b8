"""`yiwang calendar`: exit codes and messages, run through the real `yiwang`
entry point (in process, on the test database; one check as a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import connections

from yiwang import cli
from yiwang.core import calendar as cal
from yiwang.core.audit import AuditEntry
from yiwang.core.calendar import CalendarOverride, CalendarYear

pytestmark = pytest.mark.django_db

GOOD_2027 = """date,kind,name
2027-01-01,休,元旦
2027-02-06,休,春节
2027-02-08,休,春节
2027-02-07,班,春节调休上班
"""


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    # run_from_argv closes the connections when done; inside a test's
    # transaction that would abort it on PostgreSQL.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    cal.clear_cache()
    yield
    cal.clear_cache()


def run(capsys, *argv):
    code = cli.main(["calendar", *argv])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_check(capsys):
    code, out, _err = run(capsys, "check", "2025")
    assert code == 0 and "2025 年已覆盖" in out and "chinesecalendar" in out
    code, out, err = run(capsys, "check", "2027")
    assert code == 1
    assert "2027 年的节假日安排尚未录入" in err and "import-year 2027" in err
    code, _out, err = run(capsys, "check", "twenty")
    assert code == 1 and "年份“twenty”不是整数" in err


def test_workdays_and_add_days(capsys):
    assert run(capsys, "workdays", "2025-09-26", "2025-10-10") == (0, "5", "")
    assert run(capsys, "workdays", "2025-10-10", "2025-09-26") == (0, "-5", "")
    assert run(capsys, "add-days", "2025-09-30", "1") == (0, "2025-10-09", "")
    assert run(capsys, "add-days", "2025-10-09", "-1") == (0, "2025-09-30", "")
    code, _out, err = run(capsys, "add-days", "2025-02-30", "1")
    assert code == 1 and "日期“2025-02-30”无效，应为 YYYY-MM-DD" in err
    code, _out, err = run(capsys, "add-days", "2025-09-30", "x")
    assert code == 1 and "天数“x”不是整数" in err
    code, _out, err = run(capsys, "add-days", "2026-12-31", "1")
    assert code == 1 and "2027 年的节假日安排尚未录入" in err


def test_set_list_unset(capsys, django_user_model):
    django_user_model.objects.create_superuser(username="admin", password="x", kind="staff")
    code, out, _err = run(
        capsys, "set", "2025-10-09", "holiday", "--reason", "县庆", "--by", "admin"
    )
    assert code == 0 and "已设置：2025-10-09 为休息日" in out
    assert not cal.is_workday(date(2025, 10, 9))
    assert CalendarOverride.objects.get().created_by == "admin"
    entry = AuditEntry.objects.get(action="calendar.override.set")
    assert entry.actor_name == "admin" and entry.channel == "cli"
    code, out, _err = run(capsys, "list", "2025")
    assert code == 0 and "2025-10-09" in out and "县庆" in out and "手工" in out
    assert run(capsys, "list", "2024")[1] == "没有本地调整"
    code, out, _err = run(capsys, "unset", "2025-10-09")
    assert code == 0 and "已取消" in out
    assert cal.is_workday(date(2025, 10, 9))
    code, _out, err = run(capsys, "unset", "2025-10-09")
    assert code == 1 and "2025-10-09 没有本地调整" in err


def test_set_rejects_bad_input(capsys):
    code, _out, err = run(capsys, "set", "2025-10-09", "maybe", "--reason", "x")
    assert code == 1 and "类型“maybe”无效" in err
    code, _out, err = run(capsys, "set", "2025-10-09", "班", "--reason", "x", "--by", "ghost")
    assert code == 1 and "用户“ghost”不存在" in err
    code, _out, err = run(capsys, "set", "2025-10-09", "班", "--reason", " ")
    assert code == 1 and "请填写调整原因" in err
    code, _out, err = run(capsys, "set", "1999-10-09", "班", "--reason", "x")
    assert code == 1 and "超出可设置的范围" in err
    code, _out, _err = run(capsys, "set", "2025-10-09", "班")  # --reason missing
    assert code == 2
    assert not CalendarOverride.objects.exists()


def test_import_year(capsys, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(GOOD_2027, encoding="utf-8")
    code, out, _err = run(capsys, "import-year", "2027", str(path), "--source", "国办发明电")
    assert code == 0 and "已导入 2027 年：4 个日期" in out
    code, out, _err = run(capsys, "check", "2027")
    assert code == 0 and "本地导入" in out and "local" in out and "国办发明电" in out
    assert run(capsys, "add-days", "2027-02-05", "1") == (0, "2027-02-07", "")
    code, _out, err = run(capsys, "import-year", "2027", str(path))
    assert code == 1 and "--replace" in err
    code, out, _err = run(capsys, "import-year", "2027", str(path), "--replace")
    assert code == 0
    assert CalendarYear.objects.get().source == "本地导入：2027.csv"


def test_import_year_in_gb18030(capsys, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_bytes(GOOD_2027.encode("gb18030"))
    assert run(capsys, "import-year", "2027", str(path))[0] == 0
    assert CalendarOverride.objects.get(date=date(2027, 1, 1)).reason.startswith("元旦")


def test_a_bad_import_file_changes_nothing(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,kind,name\n2027-01-01,休,元旦\n2027-1-32,休,x\n2027-02-07,调,x\n2027-01-01,休,y\n",
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "import-year", "2027", str(path))
    assert code == 1
    assert "3 处错误，未做任何更改" in err
    assert "第 3 行" in err and "第 4 行" in err and "第 5 行：日期 2027-01-01 与第 2 行重复" in err
    assert not CalendarYear.objects.exists() and not CalendarOverride.objects.exists()
    code, _out, err = run(capsys, "import-year", "2027", str(tmp_path / "missing.csv"))
    assert code == 1 and "无法读取文件" in err
    code, _out, err = run(capsys, "import-year", "2026", str(path))
    assert code == 1 and "chinesecalendar" in err
    assert run(capsys, "check", "2027")[0] == 1


def test_help_lists_the_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "工作日历：查询与维护 / Working-day calendar: query and maintain" in out


def test_real_entry_point_exit_code(tmp_path):
    """The installed `yiwang` script: a bad date fails before touching any database."""
    exe = Path(sys.executable).with_name("yiwang")
    env = {
        **os.environ,
        "YIWANG_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings",
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [str(exe), "calendar", "add-days", "2025-13-01", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "日期“2025-13-01”无效" in proc.stderr
