"""The `yiwang cases` command: list with filters, show one case, clear
errors and exit code 1 for bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases import services
from yiwang.cli import main

pytestmark = pytest.mark.django_db


def make_case(w, walk_in):
    case = services.create_draft(w.item, by=w.agent, applicant=walk_in)
    for m in case.version.materials.filter(required=True, source="applicant"):
        services.add_material(
            case,
            by=w.agent,
            requirement=m.pk,
            upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf"),
        )
    services.submit(case, by=w.agent)
    case.refresh_from_db()
    return case


def test_list_and_filters(world, walk_in, capsys):
    w = world
    accepted = make_case(w, walk_in)
    services.accept(accepted, by=w.agent)
    received = make_case(w, walk_in)
    draft = services.create_draft(w.item, by=w.citizen)

    assert main(["cases", "list"]) == 0
    out = capsys.readouterr().out
    assert accepted.case_no in out and received.case_no in out and str(draft.pk) in out
    assert "共 3 件" in out

    assert main(["cases", "list", "--status", "accepted"]) == 0
    out = capsys.readouterr().out
    assert accepted.case_no in out and received.case_no not in out and "已受理" in out

    assert main(["cases", "list", "--region", w.tree.town.code]) == 0  # the village is inside
    out = capsys.readouterr().out
    assert accepted.case_no in out and str(draft.pk) not in out  # the draft: the county centre
    assert main(["cases", "list", "--region", w.tree.other_town.code]) == 0
    assert "共 0 件" in capsys.readouterr().out

    assert main(["cases", "list", "--limit", "1"]) == 0
    assert "共 3 件，显示 1 件" in capsys.readouterr().out


def test_list_rejects_bad_input(world, capsys):
    assert main(["cases", "list", "--region", "999999999999"]) == 1
    assert "区划不存在" in capsys.readouterr().err
    assert main(["cases", "list", "--limit", "0"]) == 1
    assert "--limit" in capsys.readouterr().err
    assert main(["cases", "list", "--status", "nonsense"]) != 0


def test_show_prints_status_steps_and_timeline(world, walk_in, capsys):
    w = world
    case = make_case(w, walk_in)
    services.accept(case, by=w.agent, opinion="材料齐全")
    services.claim(case, by=w.approver)
    services.pass_step(case, by=w.approver, opinion="情况属实")
    assert main(["cases", "show", case.case_no]) == 0
    out = capsys.readouterr().out
    assert case.case_no in out and "办理中" in out
    assert "1. 受理 [已完成]" in out and "3. 决定 [办理中]" in out
    assert "#3" in out and "accept" in out and "材料齐全" in out and "情况属实" in out
    assert walk_in["id_number"] not in out  # masked
    assert "承诺办结 promised: 2026-03-16" in out


def test_show_unknown_case(world, capsys):
    assert main(["cases", "show", "511602000000-20260101-99999"]) == 1
    assert "办件不存在 No such case: 511602000000-20260101-99999" in capsys.readouterr().err


def test_help(capsys):
    assert main(["cases", "--help"]) == 0
    assert "yiwang cases show CASE_NO" in capsys.readouterr().out
