"""The case pages through the Django test client: applying online and at the
desk, the detail page's move forms, the desk, the queue, the search; scope
(out of scope is 404); refused input shows the service's message and
changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.accounts.conftest import verified_login
from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, Notification, Status

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 test material"


def pdf(name="申请书.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def required_uploads(item):
    from yiwang.catalog import selectors as catalog

    version = catalog.published_version(item)
    return [m for m in version.materials.all() if m.required and m.source == "applicant"]


def citizen_client(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def staff_client(client_class, user):
    return verified_login(client_class(), user)


def html(resp) -> str:
    return resp.content.decode()


def errors_in(resp) -> list[str]:
    """The error messages a page shows (to explain a failed assertion)."""
    import re

    return re.findall(r'(?:alert-danger[^>]*>|invalid-feedback d-block">)\s*([^<]+)', html(resp))


def received_case(w, walk_in, by=None):
    by = by or w.agent
    case = services.create_draft(w.item, by=by, applicant=walk_in, issue_hall=w.tree.town_hall)
    for m in required_uploads(w.item):
        services.add_material(case, by=by, requirement=m.pk, upload=pdf())
    services.submit(case, by=by)
    case.refresh_from_db()
    return case


def post_move(client, case, action, **data):
    case.refresh_from_db()
    data.setdefault("revision", case.revision)
    return client.post(reverse("cases:move", args=[case.pk, action]), data)


# ---------------------------------------------------------------------------
# Applying online


def test_citizen_applies_online_with_materials(client, world):
    w = world
    c = citizen_client(client, w.citizen)
    url = reverse("cases:apply", args=[w.item.pk])
    r = c.get(url)
    assert r.status_code == 200
    page = html(r)
    assert "临时救助申请书" in page and 'type="file"' in page
    assert "申请人居民身份证" in page and "无需上传" in page  # an e-license: fetched

    # Submitting without the required material: the message, and no case at all.
    r = c.post(url, {"title": "火灾", "delivery": "window", "submit": "1"})
    assert r.status_code == 400
    assert "还缺少必备材料" in html(r) and "临时救助申请书" in html(r)
    assert Case.objects.count() == 0

    # Mail delivery without an address is refused field by field.
    m = required_uploads(w.item)[0]
    r = c.post(url, {"delivery": "mail", "submit": "1", f"m-{m.pk}": pdf()})
    assert r.status_code == 400 and "邮寄送达须填写邮寄地址" in html(r)
    assert Case.objects.count() == 0

    # A file that is not a PDF/JPG/PNG/OFD is refused on its own input.
    fake = SimpleUploadedFile("a.pdf", b"MZ not a pdf", content_type="application/pdf")
    r = c.post(url, {"delivery": "window", "submit": "1", f"m-{m.pk}": fake})
    assert r.status_code == 400 and "只接受 PDF、JPG、PNG 或 OFD 文件" in html(r)
    assert Case.objects.count() == 0

    r = c.post(
        url,
        {
            "title": "火灾",
            "hall": str(w.village_room.pk),
            "delivery": "window",
            "issue_hall": str(w.tree.town_hall.pk),
            "submit": "1",
            f"m-{m.pk}": pdf(),
        },
    )
    assert r.status_code == 302, errors_in(r)
    case = Case.objects.get()
    assert r["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.status == Status.RECEIVED and case.applicant == w.citizen
    assert case.hall == w.village_room and case.issue_hall == w.tree.town_hall
    assert case.materials.count() == 1

    page = html(c.get(r["Location"]))
    assert case.case_no in page and "已接件" in page
    assert "撤回申请" in page  # the applicant may withdraw
    assert f'action="/cases/{case.pk}/do/accept/"' not in page


def test_draft_saved_and_resumed(client, world):
    w = world
    c = citizen_client(client, w.citizen)
    r = c.post(reverse("cases:apply", args=[w.item.pk]), {"title": "先存草稿", "save": "1"})
    case = Case.objects.get()
    assert r.status_code == 302 and case.status == Status.DRAFT
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    assert "继续填写并提交" in page and "还缺少必备材料" in page

    edit = reverse("cases:edit", args=[case.pk])
    r = c.post(edit, {"title": "火灾", "revision": case.revision, "submit": "1"})
    assert r.status_code == 400 and "还缺少必备材料" in html(r)
    case.refresh_from_db()
    assert case.status == Status.DRAFT and case.title == "先存草稿"  # nothing changed

    m = required_uploads(w.item)[0]
    r = c.post(
        edit, {"title": "火灾", "revision": case.revision, "submit": "1", f"m-{m.pk}": pdf()}
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and case.title == "火灾" and case.case_no


def test_my_cases_and_scope(client, world, walk_in):
    w = world
    case = services.create_draft(w.item, by=w.citizen, title="我的")
    other = services.create_draft(w.item, by=w.other_citizen, title="别人的")
    c = citizen_client(client, w.citizen)
    page = html(c.get(reverse("cases:mine")))
    assert "临时救助审批" in page and "草稿" in page
    assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    # Another citizen's case is a 404, like a missing one; so are its moves.
    assert c.get(reverse("cases:detail", args=[other.pk])).status_code == 404
    r = c.post(reverse("cases:move", args=[other.pk, "withdraw"]), {"revision": 0})
    assert r.status_code == 404
    # The workbench pages do not exist for a citizen.
    for name in ("cases:desk", "cases:queue", "cases:search"):
        assert c.get(reverse(name)).status_code == 404


def test_anonymous_goes_to_login(client, world):
    for url in (reverse("cases:mine"), reverse("cases:apply", args=[world.item.pk])):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    r = client.get(reverse("cases:desk"))
    assert r.status_code == 302 and "tab=staff" in r["Location"]


def test_portal_and_workbench_nav_entries(client, world):
    c = citizen_client(client, world.citizen)
    page = html(c.get("/"))
    assert 'href="/cases/mine/"' in page and 'href="/cases/progress/"' in page
    agent = staff_client(type(client), world.agent)
    page = html(agent.get(reverse("cases:desk")))
    assert 'href="/cases/desk/"' in page and 'href="/cases/search/"' in page
    assert 'href="/cases/queue/"' not in page  # not an approver
    approver = staff_client(type(client), world.approver)
    page = html(approver.get(reverse("cases:queue")))
    assert 'href="/cases/queue/"' in page and 'href="/cases/desk/"' not in page
    assert approver.get(reverse("cases:desk")).status_code == 404


# ---------------------------------------------------------------------------
# The front desk


def test_walk_in_application_by_a_clerk(client, world, walk_in):
    w = world
    c = staff_client(type(client), w.town_clerk)
    desk = html(c.get(reverse("cases:desk")))
    assert "窗口收件 / 代办申请" in desk and "临时救助审批" in desk
    r = c.get(reverse("cases:desk"), {"item": str(w.item.pk)})
    assert r.status_code == 302 and r["Location"] == reverse("cases:apply", args=[w.item.pk])

    url = reverse("cases:apply", args=[w.item.pk])
    page = html(c.get(url))
    assert "申请人姓名或名称" in page and "证件号码" in page
    bad = {"applicant_name": "", "id_number": "123", "phone": "12", "submit": "1"}
    r = c.post(url, bad)
    assert r.status_code == 400
    assert "请填写申请人姓名或名称" in html(r)
    assert Case.objects.count() == 0
    r = c.post(
        url,
        {
            "applicant_kind": "citizen",
            "applicant_name": walk_in["name"],
            "id_number": walk_in["id_number"],
            "phone": walk_in["phone"],
            "hall": str(w.tree.town_hall.pk),
            "delivery": "window",
            "submit": "1",
        },
    )
    case = Case.objects.get()
    assert r.status_code == 302
    assert case.channel == "window" and case.status == Status.RECEIVED
    assert case.hall == w.tree.town_hall
    desk = html(c.get(reverse("cases:desk")))
    assert case.case_no in desk


def test_desk_lists_received_in_scope(client, world, walk_in):
    w = world
    case = received_case(w, walk_in)
    agent = staff_client(type(client), w.agent)
    assert case.case_no in html(agent.get(reverse("cases:desk")))
    other = staff_client(type(client), w.other_clerk)
    assert case.case_no not in html(other.get(reverse("cases:desk")))
    assert other.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    r = post_move(other, case, "accept")
    assert r.status_code == 404
    case.refresh_from_db()
    assert case.status == Status.RECEIVED


def test_accept_refuse_and_stale_revision(client, world, walk_in):
    w = world
    case = received_case(w, walk_in)
    c = staff_client(type(client), w.agent)
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    for label in ("受理", "不予受理", "一次性告知补正"):
        assert f'<h2 class="card-title">{label}</h2>' in page

    # Refusing needs the reasons: the message on the form, nothing changed.
    events = CaseEvent.objects.filter(case=case).count()
    r = post_move(c, case, "refuse", reasons="  ")
    assert r.status_code == 400
    assert "请填写不予受理的理由" in html(r) and 'data-testid="move-error"' in html(r)
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and case.events.count() == events

    # A stale page: someone else moved the case since it was shown.
    seen = case.revision
    r = c.post(reverse("cases:move", args=[case.pk, "accept"]), {"revision": seen - 1})
    assert r.status_code == 409 and "办件已被他人更新" in html(r)
    r = c.post(reverse("cases:move", args=[case.pk, "accept"]), {})
    assert r.status_code == 409 and "刷新" in html(r)
    case.refresh_from_db()
    assert case.status == Status.RECEIVED

    r = post_move(c, case, "accept", opinion="材料齐全")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    assert "受理通知书" in page and "材料齐全" in page
    # The move is no longer offered; posting it anyway is a 409 with the reason.
    r = post_move(c, case, "accept")
    assert r.status_code == 409 and "不能执行「受理」" in html(r)


def test_corrections_listed_at_once_then_supplied(
    client, world, walk_in, django_capture_on_commit_callbacks
):
    w = world
    case = services.create_draft(w.item, by=w.citizen)
    for m in required_uploads(w.item):
        services.add_material(case, by=w.citizen, requirement=m.pk, upload=pdf())
    services.submit(case, by=w.citizen)
    clerk = staff_client(type(client), w.county_clerk)

    # A half-filled row is refused; nothing is asked.
    r = post_move(clerk, case, "request_corrections", **{"material-0": "临时救助申请书"})
    assert r.status_code == 400 and "每一项都须写明材料和补正要求" in html(r)
    r = post_move(clerk, case, "request_corrections")
    assert r.status_code == 400 and "一次性告知" in html(r)
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and not case.corrections.exists()

    with django_capture_on_commit_callbacks(execute=True):
        r = post_move(
            clerk,
            case,
            "request_corrections",
            **{
                "material-0": "临时救助申请书",
                "reason-0": "缺少申请人签字",
                "material-2": "户口簿",
                "reason-2": "请补充户口簿复印件",
                "note": "请 5 个工作日内补正",
            },
        )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CORRECTING
    assert [i["material"] for i in case.corrections.get().items] == ["临时救助申请书", "户口簿"]

    c = citizen_client(client, w.citizen)
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    assert "补正告知（一次性告知）" in page and "缺少申请人签字" in page and "户口簿" in page
    assert "提交补正材料" in page and "补正告知书" in page
    assert Notification.objects.filter(user=w.citizen, case=case).exists()
    assert "消息通知" in page

    bad = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    r = c.post(
        reverse("cases:move", args=[case.pk, "supply_corrections"]),
        {"revision": case.revision, "c-0": bad},
    )
    assert r.status_code == 400 and "只接受 PDF、JPG、PNG 或 OFD 文件" in html(r)
    case.refresh_from_db()
    assert case.status == Status.CORRECTING
    before = case.materials.count()
    r = c.post(
        reverse("cases:move", args=[case.pk, "supply_corrections"]),
        {"revision": case.revision, "c-0": pdf("签字版.pdf"), "c-1": pdf("户口簿.pdf")},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and case.materials.count() == before + 2
    assert set(case.materials.values_list("name", flat=True)) >= {"户口簿", "临时救助申请书"}

    r = post_move(clerk, case, "accept")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


def test_supplied_files_are_all_or_nothing(client, world):
    """One refused file of the corrections form keeps none of the others; the
    message stands under the input of the notice item it belongs to."""
    w = world
    case = services.create_draft(w.item, by=w.citizen)
    for m in required_uploads(w.item):
        services.add_material(case, by=w.citizen, requirement=m.pk, upload=pdf())
    services.submit(case, by=w.citizen)
    items = [
        {"material": "临时救助申请书", "reason": "缺少签字"},
        {"material": "户口簿", "reason": "请补充"},
    ]
    services.request_corrections(case, by=w.county_clerk, items=items)
    case.refresh_from_db()
    before = case.materials.count()
    bad = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    c = citizen_client(client, w.citizen)
    r = c.post(
        reverse("cases:move", args=[case.pk, "supply_corrections"]),
        {"revision": case.revision, "c-0": pdf("签字版.pdf"), "c-1": bad},
    )
    assert r.status_code == 400
    row = html(r).split('name="c-1"', 1)[1].split("</li>", 1)[0]
    assert "invalid-feedback" in row and "只接受 PDF、JPG、PNG 或 OFD 文件" in row
    assert "invalid-feedback" not in html(r).split('name="c-0"', 1)[1].split("</li>", 1)[0]
    case.refresh_from_db()
    assert case.status == Status.CORRECTING and case.materials.count() == before


def test_citizen_withdraws(client, world):
    w = world
    case = services.create_draft(w.item, by=w.citizen)
    for m in required_uploads(w.item):
        services.add_material(case, by=w.citizen, requirement=m.pk, upload=pdf())
    services.submit(case, by=w.citizen)
    c = citizen_client(client, w.citizen)
    r = post_move(c, case, "withdraw", reason="不需要了")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CANCELLED
    # A citizen cannot take a staff move even on their own case.
    case2 = services.create_draft(w.item, by=w.citizen)
    for m in required_uploads(w.item):
        services.add_material(case2, by=w.citizen, requirement=m.pk, upload=pdf())
    services.submit(case2, by=w.citizen)
    r = post_move(c, case2, "accept")
    assert r.status_code == 403 and "您不能对此办件执行「受理」" in html(r)


# ---------------------------------------------------------------------------
# The back office


def accepted_case(w, walk_in):
    case = received_case(w, walk_in)
    services.accept(case, by=w.agent)
    case.refresh_from_db()
    return case


def test_queue_lights_and_order(client, world, walk_in, clock):
    w = world
    first = accepted_case(w, walk_in)  # Monday 2 March: 审查 due in 5 working days
    clock.set_day(dt.date(2026, 3, 4))
    second = accepted_case(w, walk_in)
    c = staff_client(type(client), w.approver)

    clock.set_day(dt.date(2026, 3, 3))
    page = html(c.get(reverse("cases:queue")))
    assert page.index(first.case_no) < page.index(second.case_no)  # most urgent first
    assert page.count('data-light="green"') == 2

    clock.set_day(dt.date(2026, 3, 6))  # first due Mon 9 March: 1 working day left
    page = html(c.get(reverse("cases:queue")))
    assert 'data-light="yellow"' in page and "即将到期" in page

    clock.set_day(dt.date(2026, 3, 10))  # first overdue
    page = html(c.get(reverse("cases:queue")))
    assert 'data-light="red"' in page and "已超期" in page
    assert 'data-testid="count-red">1<' in page

    # Another department's approver sees neither, and gets 404 on the case.
    other = staff_client(type(client), w.other_approver)
    page = html(other.get(reverse("cases:queue")))
    assert first.case_no not in page and "没有待办的审批环节" in page
    assert other.get(reverse("cases:detail", args=[first.pk])).status_code == 404


def test_claim_pass_return_handover_deny(client, world, walk_in):
    w = world
    case = accepted_case(w, walk_in)
    c = staff_client(type(client), w.approver)
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    assert "签收办理" in page
    assert post_move(c, case, "claim").status_code == 302
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    for label in ("通过", "退回上一环节", "转交", "不予许可", "启动特别程序", "申请延长审批"):
        assert f'<h2 class="card-title">{label}</h2>' in page
    assert w.approver2.real_name in page  # a handover target of the department
    assert w.other_approver.real_name not in page

    r = post_move(c, case, "pass", opinion="情况属实")
    assert r.status_code == 302
    # Returning needs a reason.
    r = post_move(c, case, "return", opinion="")
    assert r.status_code == 400 and "请填写退回理由" in html(r)
    assert post_move(c, case, "return", opinion="请补充入户调查记录").status_code == 302
    case.refresh_from_db()
    assert case.current_step().name == "审查"

    # Handover to nobody is refused; to a colleague works.
    r = post_move(c, case, "handover", to="")
    assert r.status_code == 400 and "只能转交给本部门的审批人员" in html(r)
    r = post_move(c, case, "handover", to=str(w.approver2.pk), opinion="请你办理")
    assert r.status_code == 302
    assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    c2 = staff_client(type(client), w.approver2)
    r = post_move(c2, case, "deny", reasons="")
    assert r.status_code == 400 and "请填写不予许可的理由" in html(r)
    r = post_move(c2, case, "deny", reasons="不符合临时救助条件")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DENIED
    page = html(c2.get(reverse("cases:detail", args=[case.pk])))
    assert "不予许可决定书" in page and "不符合临时救助条件" in page


def test_suspend_resume_and_extension(client, world, walk_in, clock):
    w = world
    case = accepted_case(w, walk_in)
    c = staff_client(type(client), w.approver)
    post_move(c, case, "claim")
    r = post_move(c, case, "suspend", kind="expert_review", reason="")
    assert r.status_code == 400 and "请填写启动特别程序的理由" in html(r)
    r = post_move(c, case, "suspend", kind="nonsense", reason="x")
    assert r.status_code == 400 and "特别程序种类无效" in html(r)
    r = post_move(c, case, "suspend", kind="expert_review", reason="请专家评审")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUSPENDED
    promised = case.promised_due

    clock.set_day(dt.date(2026, 3, 5))  # 3 working days later
    r = post_move(c, case, "resume", result="专家意见：同意")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.promised_due > promised
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    assert "专家评审" in page and "专家意见：同意" in page

    r = post_move(c, case, "request_extension", days="99", reason="复杂")
    assert r.status_code == 400 and "延长天数须在 1 到 10 个工作日之间" in html(r)
    r = post_move(c, case, "request_extension", days="5", reason="情况复杂")
    assert r.status_code == 302
    # Nobody approves their own extension: the requester sees no decision form.
    page = html(c.get(reverse("cases:detail", args=[case.pk])))
    assert '<h2 class="card-title">审批延长申请</h2>' not in page
    c2 = staff_client(type(client), w.approver2)
    page = html(c2.get(reverse("cases:detail", args=[case.pk])))
    assert '<h2 class="card-title">审批延长申请</h2>' in page and "情况复杂" in page
    r = post_move(c2, case, "decide_extension", approve="0", note="")
    assert r.status_code == 400 and "请填写批准意见" in html(r)
    statutory = case.statutory_due
    r = post_move(c2, case, "decide_extension", approve="1", note="同意")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.statutory_due > statutory


def test_a_form_refused_by_the_moves_serializer(client, world, walk_in):
    """The page validates a move's form with the API's serializer: a refusal
    names the field on the form it came from, and changes nothing."""
    w = world
    case = accepted_case(w, walk_in)
    c = staff_client(type(client), w.approver)
    post_move(c, case, "claim")
    case.refresh_from_db()
    events = case.events.count()
    r = post_move(c, case, "request_extension", days="", reason="情况复杂")
    assert r.status_code == 400 and "请填写延长的工作日数" in html(r)
    form = html(r).split('data-testid="move-request_extension"', 1)[1].split("</form>", 1)[0]
    assert 'data-testid="move-error"' in form and "invalid-feedback" in form
    r = post_move(c, case, "attach", name="核查报告")  # no file
    assert r.status_code == 400 and 'data-testid="move-error"' in html(r)
    form = html(r).split('data-testid="move-attach"', 1)[1].split("</form>", 1)[0]
    assert 'id="f-attach-file"' in form and "invalid-feedback" in form
    case.refresh_from_db()
    assert case.events.count() == events and not case.extensions.exists()


def test_issue_at_the_town_hall(client, world, walk_in):
    w = world
    case = accepted_case(w, walk_in)
    services.claim(case, by=w.approver)
    for _ in range(3):
        services.pass_step(case, by=w.approver, opinion="同意")
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    town = staff_client(type(client), w.town_clerk)
    desk = html(town.get(reverse("cases:desk")))
    assert "待出件" in desk and case.case_no in desk
    # The other town's clerk neither sees nor issues it.
    other = staff_client(type(client), w.other_clerk)
    assert case.case_no not in html(other.get(reverse("cases:desk")))
    r = post_move(town, case, "issue", method="window", signed_by="")
    assert r.status_code == 400 and "请填写领取人姓名" in html(r)
    r = post_move(town, case, "issue", method="mail", tracking_no="EMS 12-3")
    assert r.status_code == 400 and "快递单号只能包含字母和数字" in html(r)
    case.refresh_from_db()
    assert case.issued_at is None
    r = post_move(town, case, "issue", method="window", signed_by="王大明")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.issued_at is not None and case.receipt_signed_by == "王大明"
    page = html(town.get(reverse("cases:detail", args=[case.pk])))
    assert "出件签收单" in page and "王大明" in page
    assert case.case_no not in html(town.get(reverse("cases:desk")))


def test_search(client, world, walk_in):
    w = world
    case = received_case(w, walk_in)
    c = staff_client(type(client), w.town_clerk)
    assert c.get(reverse("cases:search")).status_code == 200
    for q in (
        case.case_no[:20],
        walk_in["name"],
        "临时救助",
        walk_in["id_number"],
        walk_in["phone"],
    ):
        page = html(c.get(reverse("cases:search"), {"q": q}))
        assert case.case_no in page, q
    page = html(c.get(reverse("cases:search"), {"q": "没有这个"}))
    assert "没有找到符合条件的办件" in page
    other = staff_client(type(client), w.other_clerk)
    assert case.case_no not in html(other.get(reverse("cases:search"), {"q": walk_in["name"]}))


def test_notifications_page(client, world, django_capture_on_commit_callbacks):
    w = world
    case = services.create_draft(w.item, by=w.citizen)
    for m in required_uploads(w.item):
        services.add_material(case, by=w.citizen, requirement=m.pk, upload=pdf())
    with django_capture_on_commit_callbacks(execute=True):
        services.submit(case, by=w.citizen)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(case, by=w.county_clerk)
    c = citizen_client(client, w.citizen)
    page = html(c.get(reverse("cases:notifications")))
    notes = Notification.objects.filter(user=w.citizen)
    assert notes.exists()
    assert notes.first().message in page
    assert 'data-testid="unread"' in html(c.get(reverse("cases:mine")))
    # The notification carries the time of the move, not of its delivery.
    event = CaseEvent.objects.get(case=case, action="accept")
    assert Notification.objects.get(user=w.citizen, event=event).created_at == event.at
    # Another user's POST marks nothing of this citizen's.
    other = citizen_client(type(client)(), w.other_citizen)
    other.post(reverse("cases:notifications"))
    assert notes.filter(read_at__isnull=True).count() == notes.count()
    resp = c.post(reverse("cases:notifications"))
    assert resp.status_code == 302
    assert not notes.filter(read_at__isnull=True).exists()
    assert 'data-testid="unread"' not in html(c.get(reverse("cases:mine")))


def test_pages_speak_english(client, world):
    c = staff_client(type(client), world.approver)
    page = html(c.get(reverse("cases:queue"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Approval queue" in page and "No steps waiting for you" in page


def test_desk_buttons_are_verbs_in_english(client, world, walk_in):
    """The move is a verb (Refuse) even where the status it leads to reads Refused."""
    w = world
    case = received_case(w, walk_in)
    c = staff_client(type(client), w.town_clerk)
    page = html(c.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Accept</" in page or ">Accept<" in page
    assert "Refuse</" in page or ">Refuse<" in page


def test_guide_page_leads_to_the_application(client, world):
    w = world
    guide = html(client.get(reverse("catalog:guide", args=[w.item.pk])))
    apply_url = reverse("cases:apply", args=[w.item.pk])
    assert f'href="{apply_url}"' in guide
    c = citizen_client(client, w.citizen)
    resp = c.get(apply_url)
    assert resp.status_code == 200
    assert w.item.name in html(resp)


def test_a_notice_is_served_once_the_worker_has_rendered_it(client, world, walk_in):
    """PDFs are made by the worker, never in the request: until then the
    link answers 202 with a page that looks again by itself."""
    from yiwang.core import outbox

    w = world
    case = received_case(w, walk_in)
    services.accept(case, by=w.agent)  # its on-commit kick never runs here
    doc = case.documents.get(kind="acceptance")
    url = reverse("cases:document", args=[case.pk, doc.pk])
    c = staff_client(type(client), w.agent)
    assert "生成中" in html(c.get(reverse("cases:detail", args=[case.pk])))

    r = c.get(url)
    assert r.status_code == 202 and r["Retry-After"] == "3"
    page = html(r)
    assert "受理通知书正在生成" in page and doc.number in page
    assert '<meta http-equiv="refresh" content="3">' in page
    doc.refresh_from_db()
    assert not doc.path and doc.rendered_at is None  # nothing rendered in the request
    r = c.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 202 and "is being generated" in html(r)

    assert outbox.deliver_due().claimed >= 1  # the worker's run
    r = c.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content).startswith(b"%PDF")
    assert "生成中" not in html(c.get(reverse("cases:detail", args=[case.pk])))

    # Outside the case's scope it is missing, rendered or not.
    stranger = citizen_client(type(client)(), w.other_citizen)
    assert stranger.get(url).status_code == 404
