"""The case pages in headless Chromium, through the real login page:

(a) a villager's case applied for and accepted by the village agent (代办),
    approved by a county department approver (claim + pass through every
    review step), issued at the town hall by the town clerk;
(b) an online case sent back for corrections (一次性告知) and then accepted;
(c) a case suspended for an expert review and finished on time by the
    deadline recomputed from the suspension.

The services' clock (``yiwang.cases.services.clock.now``) is moved by hand: the
live server runs in threads of this process, so the monkeypatch reaches it.
Screenshots (1280 px and 360 px) of the citizen's case detail, the desk and
the approver's queue go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.accounts.factories import (
    DEFAULT_PASSWORD,
    CitizenFactory,
    make_hall,
    region_tree,
    staff_with_role,
    totp_code,
)
from tests.browser.conftest import (
    login_as,
    no_horizontal_overflow,
    overflowing_elements,
    screenshot,
)
from tests.cases.conftest import Clock, publish_item
from yiwang.cases import services
from yiwang.cases.models import Case, Status

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4 browser test material\n"


@pytest.fixture
def clock(monkeypatch):
    c = Clock(None)
    c.set_day(dt.date(2026, 3, 2))  # Monday
    monkeypatch.setattr(services.clock, "now", c)
    return c


@pytest.fixture
def world(transactional_db, clock):
    t = region_tree()
    room = make_hall(t.village, "翠屏路社区便民服务室")
    admin = staff_with_role("catalog_admin", region=t.county)
    item = publish_item(admin, t.department, [t.county_hall, t.town_hall, room])
    return SimpleNamespace(
        tree=t,
        room=room,
        item=item,
        villager=CitizenFactory(region=t.village, real_name="张秀英"),
        citizen=CitizenFactory(region=t.village, real_name="李建国"),
        agent=staff_with_role("agent", region=t.village, hall=room, real_name="赵代办"),
        town_clerk=staff_with_role("clerk", region=t.town, hall=t.town_hall, real_name="王窗口"),
        approver=staff_with_role("approver", department=t.department, real_name="陈审批"),
        approver2=staff_with_role("approver", department=t.department, real_name="刘审批"),
    )


def staff_login(page, live_server, user):
    return login_as(
        page,
        live_server,
        user.username,
        DEFAULT_PASSWORD,
        totp_code(user.totp_device, timezone.now()),
    )


def citizen_login(page, live_server, user):
    return login_as(page, live_server, user.clear_phone, DEFAULT_PASSWORD)


def assert_fits(page, what):
    assert no_horizontal_overflow(page), f"{what} scrolls sideways: {overflowing_elements(page)}"


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def required_material(item):
    from yiwang.catalog import selectors as catalog

    version = catalog.published_version(item)
    return next(m for m in version.materials.all() if m.required and m.source == "applicant")


def do(page, action: str, **fields):
    """Fill a move's form on the case detail page and submit it."""
    card = page.get_by_test_id(f"move-{action}")
    summary = card.locator("summary")
    if summary.count() and not card.locator("details[open]").count():
        summary.click()
    for selector, value in fields.items():
        target = card.locator(f"[name='{selector}']")
        if target.evaluate("el => el.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    with page.expect_navigation():
        card.get_by_test_id(f"do-{action}").click()


def status_text(page) -> str:
    return page.get_by_test_id("case-status").inner_text().strip()


def case_from(page) -> Case:
    case_id = re.search(r"/cases/([0-9a-f-]{36})/", page.url).group(1)
    return Case.objects.get(pk=case_id)


def approve_all_steps(page, live_server, approver, case):
    page.goto(f"/cases/{case.pk}/")
    do(page, "claim")
    assert status_text(page) == "办理中"
    assert_fits(page, "approver case detail at 1280")
    screenshot(page, "cases-detail-approver-desktop")
    for _ in range(3):  # 审查, 决定, 办结
        do(page, "pass", opinion="同意")
    assert status_text(page) == "办结（通过）"


# ---------------------------------------------------------------------------


def test_a_village_agent_county_approver_town_issue(world, new_page, live_server, clock):
    w = world
    # The village agent applies for the villager at the village room (代办).
    agent = new_page()
    staff_login(agent, live_server, w.agent)
    agent.goto("/cases/desk/")
    assert agent.get_by_role("heading", name="受理台").is_visible()
    agent.select_option("#id_item", label=w.item.name)
    with agent.expect_navigation():
        agent.get_by_role("button", name="填写申请").click()
    assert "/cases/apply/" in agent.url

    # A wrong ID number is refused on its field; nothing is created.
    agent.fill("#id_applicant_name", w.villager.real_name)
    agent.fill("#id_id_number", "511602199001011234")
    agent.fill("#id_phone", w.villager.clear_phone)
    with agent.expect_navigation():
        agent.get_by_role("button", name="提交申请").click()
    assert agent.get_by_test_id("form-error").is_visible()
    assert Case.objects.count() == 0

    agent.fill("#id_id_number", w.villager.clear_id_number)
    agent.select_option("#id_issue_hall", label=w.tree.town_hall.name)
    m = required_material(w.item)
    agent.set_input_files(f"#id_m-{m.pk}", files=[pdf_file("临时救助申请书.pdf")])
    with agent.expect_navigation():
        agent.get_by_role("button", name="提交申请").click()
    assert status_text(agent) == "已接件"
    case = case_from(agent)
    assert case.channel == "agent" and case.applicant == w.villager
    assert case.issue_hall == w.tree.town_hall

    agent.goto("/cases/desk/")
    assert agent.get_by_test_id("received").get_by_text(case.case_no).is_visible()
    assert_fits(agent, "desk at 1280")
    screenshot(agent, "cases-desk-desktop")
    with agent.expect_navigation():
        agent.get_by_test_id("received").get_by_role("link", name=case.case_no).click()
    do(agent, "accept", opinion="材料齐全，予以受理")
    assert status_text(agent) == "已受理"
    assert agent.get_by_test_id("documents").get_by_text("受理通知书").is_visible()
    # The notice, rendered by the worker (run inline in the tests), opens
    # from its link as the PDF.
    href = (
        agent.get_by_test_id("documents")
        .get_by_role("link", name="受理通知书")
        .get_attribute("href")
    )
    notice = agent.request.get(href)  # with the agent's session
    assert notice.status == 200 and notice.headers["content-type"] == "application/pdf"
    assert notice.body().startswith(b"%PDF")

    # The county department approver: the queue, claim, pass every step.
    approver = new_page()
    staff_login(approver, live_server, w.approver)
    approver.goto("/cases/queue/")
    row = approver.locator("tr", has_text=case.case_no)
    assert row.get_attribute("data-light") == "green"
    with approver.expect_navigation():
        row.get_by_role("link", name=case.case_no).click()
    approve_all_steps(approver, live_server, w.approver, case)

    # The town clerk issues it at the town hall the applicant chose.
    clerk = new_page()
    staff_login(clerk, live_server, w.town_clerk)
    clerk.goto("/cases/desk/")
    issuable = clerk.get_by_test_id("issuable")
    assert issuable.get_by_text(case.case_no).is_visible()
    with clerk.expect_navigation():
        issuable.get_by_role("link", name=case.case_no).click()
    do(clerk, "issue", signed_by="")  # a signature is required
    assert clerk.get_by_test_id("move-error").inner_text().strip() == "请填写领取人姓名"
    do(clerk, "issue", signed_by=w.villager.real_name)
    assert clerk.get_by_test_id("documents").get_by_text("出件签收单").is_visible()
    case.refresh_from_db()
    assert case.issued_at is not None and case.issued_by == w.town_clerk

    # The villager sees every stage on the portal.
    for phone in (False, True):
        villager = new_page(phone=phone)
        citizen_login(villager, live_server, w.villager)
        villager.goto("/cases/mine/")
        with villager.expect_navigation():
            villager.get_by_role("link", name=case.case_no).click()
        timeline = villager.get_by_test_id("timeline").inner_text()
        for label in ("提交申请", "受理", "签收办理", "通过", "办结", "出件"):
            assert label in timeline, label
        assert "赵代办" in timeline and "陈审批" in timeline and "王窗口" in timeline
        assert villager.get_by_test_id("steps").get_by_text("送达").is_visible()
        assert villager.get_by_test_id("documents").get_by_text("准予许可决定书").is_visible()
        assert w.villager.clear_id_number not in villager.content()  # masked
        assert_fits(villager, f"citizen case detail at {'360' if phone else '1280'}")
        screenshot(villager, f"cases-detail-citizen-{'phone' if phone else 'desktop'}")


def test_b_corrections_then_accepted(world, new_page, live_server, clock):
    w = world
    citizen = new_page()
    citizen_login(citizen, live_server, w.citizen)
    citizen.goto(f"/cases/apply/{w.item.pk}/")
    citizen.select_option("#id_hall", label=w.tree.town_hall.name)
    citizen.fill("#id_title", "家中失火，申请临时救助")
    m = required_material(w.item)
    citizen.set_input_files(f"#id_m-{m.pk}", files=[pdf_file("申请书.pdf")])
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="提交申请").click()
    assert status_text(citizen) == "已接件"
    case = case_from(citizen)

    clerk = new_page()
    staff_login(clerk, live_server, w.town_clerk)
    clerk.goto(f"/cases/{case.pk}/")
    # A row with a material but no reason is refused: nothing is asked.
    do(clerk, "request_corrections", **{"material-0": "临时救助申请书"})
    assert (
        "每一项都须写明材料和补正要求"
        in clerk.get_by_test_id("move-request_corrections").inner_text()
    )
    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    do(
        clerk,
        "request_corrections",
        **{
            "material-0": "临时救助申请书",
            "reason-0": "缺少申请人签字",
            "material-1": "火灾事故证明",
            "reason-1": "请补充消防部门出具的证明",
        },
    )
    assert status_text(clerk) == "待补正"
    assert clerk.get_by_test_id("documents").get_by_text("补正告知书").is_visible()

    citizen.goto(f"/cases/{case.pk}/")
    notice = citizen.get_by_test_id("correction-notice")
    assert "缺少申请人签字" in notice.inner_text() and "火灾事故证明" in notice.inner_text()
    screenshot(citizen, "cases-detail-citizen-correcting")
    citizen.set_input_files("[data-testid=correction-file-1]", files=[pdf_file("签字版.pdf")])
    citizen.set_input_files("[data-testid=correction-file-2]", files=[pdf_file("证明.pdf")])
    do(citizen, "supply_corrections", note="已补齐")
    assert status_text(citizen) == "已接件"

    clerk.goto(f"/cases/{case.pk}/")
    do(clerk, "accept")
    assert status_text(clerk) == "已受理"
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert case.accepted_on == dt.date(2026, 3, 2)


def accepted_case(w, clock, day, walk_in_no=1, *, accept=True):
    """A case accepted by the agent on ``day`` (seeded through the services)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.accounts.factories import resident_id

    clock.set_day(day)
    case = services.create_draft(
        w.item,
        by=w.agent,
        applicant={
            "kind": "citizen",
            "name": f"村民{walk_in_no}号",
            "id_number": resident_id(500 + walk_in_no),
            "phone": f"1390000{walk_in_no:04d}",
        },
    )
    m = required_material(w.item)
    services.add_material(
        case, by=w.agent, requirement=m.pk, upload=SimpleUploadedFile("a.pdf", PDF)
    )
    services.submit(case, by=w.agent)
    if accept:
        services.accept(case, by=w.agent)
    case.refresh_from_db()
    return case


def test_c_suspended_for_expert_review_finished_on_time(world, new_page, live_server, clock):
    w = world
    case = accepted_case(w, clock, dt.date(2026, 3, 2))
    assert case.promised_due == dt.date(2026, 3, 16)  # 10 working days from Mon 2 March

    approver = new_page()
    staff_login(approver, live_server, w.approver)
    approver.goto(f"/cases/{case.pk}/")
    do(approver, "claim")
    clock.set_day(dt.date(2026, 3, 3))
    do(approver, "suspend", kind="expert_review", reason="救助金额较大，组织专家评审")
    assert status_text(approver) == "特别程序中"

    clock.set_day(dt.date(2026, 3, 10))  # the review took 5 working days (3–9 March)
    approver.reload()
    do(approver, "resume", result="专家评审意见：同意救助")
    assert status_text(approver) == "办理中"
    # Deadline recomputed from the stored suspension: 16 March + 5 working days.
    assert approver.get_by_test_id("promised-due").inner_text().strip() == "2026-03-23"

    clock.set_day(dt.date(2026, 3, 18))  # past the original end, before the recomputed one
    approver.reload()
    for _ in range(3):
        do(approver, "pass", opinion="同意")
    assert status_text(approver) == "办结（通过）"
    assert approver.get_by_test_id("on-time").inner_text().strip() == "按时办结"
    case.refresh_from_db()
    assert case.concluded_on_time is True and case.promised_due == dt.date(2026, 3, 23)
    special = approver.locator("section", has_text="特别程序与延长审批").inner_text()
    assert "专家评审" in special and "2026-03-03" in special and "2026-03-10" in special


def test_queue_lights_screenshots(world, new_page, live_server, clock):
    """The approver's queue, most urgent first, with red / yellow / green lights."""
    w = world
    overdue = accepted_case(w, clock, dt.date(2026, 2, 24), 1)  # 审查 due 3 March
    soon = accepted_case(w, clock, dt.date(2026, 3, 3), 2)  # due 10 March
    later = accepted_case(w, clock, dt.date(2026, 3, 6), 3)  # due 13 March
    clock.set_day(dt.date(2026, 3, 9))
    desktop = new_page()
    staff_login(desktop, live_server, w.approver)
    phone_page = new_page(phone=True)
    # The same session on the phone (a TOTP code is accepted only once).
    phone_page.context.add_cookies(desktop.context.cookies())
    for phone, page in ((False, desktop), (True, phone_page)):
        page.goto("/cases/queue/")
        rows = page.locator("[data-testid=queue] tbody tr")
        lights = [rows.nth(i).get_attribute("data-light") for i in range(rows.count())]
        assert lights == ["red", "yellow", "green"]
        text = page.get_by_test_id("queue").inner_text()
        assert text.index(overdue.case_no) < text.index(soon.case_no) < text.index(later.case_no)
        assert_fits(page, f"queue at {'360' if phone else '1280'}")
        screenshot(page, f"cases-queue-{'phone' if phone else 'desktop'}")

    waiting = accepted_case(w, clock, dt.date(2026, 3, 9), 4, accept=False)
    page = new_page(phone=True)
    staff_login(page, live_server, w.agent)
    page.goto("/cases/desk/")
    assert page.get_by_test_id("received").get_by_text(waiting.case_no).is_visible()
    assert_fits(page, "desk at 360")
    screenshot(page, "cases-desk-phone")
