"""Scopes in a real browser: a citizen, a village agent, a town clerk and an
administrator log in through the login page (staff with their TOTP code)
and see only what their scope allows, on the pages and through the API
with the same session. Out of scope is a 404, never the data."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.accounts.factories import DEFAULT_PASSWORD, totp_code
from tests.accounts.scoping import build_world
from tests.browser.conftest import (
    login_as,
    no_horizontal_overflow,
    overflowing_elements,
    screenshot,
)

pytestmark = pytest.mark.browser

NAMES = ("村民甲", "村民乙", "镇民丙", "外镇丁")


def staff_login(page, live_server, user):
    code = totp_code(user.totp_device, timezone.now())
    return login_as(page, live_server, user.username, DEFAULT_PASSWORD, code)


def listed_names(page) -> set[str]:
    page.goto("/accounts/citizens/")
    cells = page.locator("table tbody td:first-child").all_inner_texts()
    return {c.strip() for c in cells} & set(NAMES)


def api_names(page, live_server) -> set[str]:
    resp = page.request.get(f"{live_server.url}/api/v1/citizens/")
    assert resp.status == 200, resp.text()
    return {row["real_name"] for row in resp.json()["results"]} & set(NAMES)


def status_of(page, path: str) -> int:
    return page.goto(path).status


def api_status(page, live_server, path: str) -> int:
    return page.request.get(f"{live_server.url}{path}").status


def test_citizen_sees_only_their_own_account(page, live_server):
    w = build_world()
    login_as(page, live_server, w.c_village.clear_phone, DEFAULT_PASSWORD)
    assert page.url.endswith("/accounts/me/")
    body = page.locator("main").inner_text()
    assert "村民甲" in body
    assert w.c_village.clear_id_number not in page.content()  # masked
    screenshot(page, "scope-citizen-me")
    assert api_names(page, live_server) == {"村民甲"}
    assert api_status(page, live_server, f"/api/v1/citizens/{w.c_village2.pk}/") == 404
    # The staff pages do not exist for a citizen.
    assert status_of(page, "/workbench/") == 404
    assert status_of(page, f"/accounts/citizens/{w.c_village2.pk}/") == 404
    page.goto("/admin/")  # → the staff login page, not the admin
    assert "/accounts/login/" in page.url and "tab=staff" in page.url


def test_village_agent_sees_their_village_only(page, live_server):
    w = build_world()
    staff_login(page, live_server, w.agent)
    assert page.url.endswith("/workbench/")
    assert listed_names(page) == {"村民甲"}
    screenshot(page, "scope-agent-citizens")
    assert api_names(page, live_server) == {"村民甲"}
    assert status_of(page, f"/accounts/citizens/{w.c_village.pk}/") == 200
    for outside in (w.c_village2, w.c_town, w.c_other):
        assert status_of(page, f"/accounts/citizens/{outside.pk}/") == 404
        assert api_status(page, live_server, f"/api/v1/citizens/{outside.pk}/") == 404


def test_town_clerk_sees_the_town_and_its_villages(page, live_server):
    w = build_world()
    staff_login(page, live_server, w.town_clerk)
    assert listed_names(page) == {"村民甲", "村民乙", "镇民丙"}
    screenshot(page, "scope-town-clerk-citizens")
    assert api_names(page, live_server) == {"村民甲", "村民乙", "镇民丙"}
    assert status_of(page, f"/accounts/citizens/{w.c_other.pk}/") == 404
    assert api_status(page, live_server, f"/api/v1/citizens/{w.c_other.pk}/") == 404
    assert status_of(page, f"/accounts/citizens/{w.c_village2.pk}/") == 200
    # The admin is not theirs: 404, like anything else outside their scope.
    assert status_of(page, "/admin/") == 404


def test_administrator_sees_the_county_and_the_admin(page, live_server):
    w = build_world()
    staff_login(page, live_server, w.sysadmin)
    assert listed_names(page) == set(NAMES)
    assert api_names(page, live_server) == set(NAMES)
    assert status_of(page, f"/accounts/citizens/{w.c_other.pk}/") == 200
    page.goto("/workbench/")
    with page.expect_navigation():
        page.locator("#yw-sidebar").get_by_role("link", name="系统管理").click()
    assert page.url.endswith("/admin/")
    assert page.get_by_text("一网通办 · 系统管理").first.is_visible()
    assert page.locator('a[href="/admin/core/calendaroverride/"]').first.is_visible()
    screenshot(page, "scope-sysadmin-admin")


def test_staff_directory_api_is_scoped(page, live_server):
    """The staff directory: a town clerk sees the staff of their town, not the
    other town's clerk (404 on the detail)."""
    w = build_world()
    staff_login(page, live_server, w.town_clerk)
    resp = page.request.get(f"{live_server.url}/api/v1/staff/")
    names = {row["username"] for row in resp.json()["results"]}
    assert "agent" in names and "other-clerk" not in names
    assert api_status(page, live_server, f"/api/v1/staff/{w.other_clerk.pk}/") == 404


def test_citizen_list_fits_a_phone(phone_page, live_server):
    w = build_world()
    staff_login(phone_page, live_server, w.town_clerk)
    phone_page.goto("/accounts/citizens/")
    assert no_horizontal_overflow(phone_page), overflowing_elements(phone_page)
    screenshot(phone_page, "scope-town-clerk-citizens-phone")
