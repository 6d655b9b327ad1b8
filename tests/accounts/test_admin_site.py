"""The Django admin is for system administrators who passed TOTP: the
sysadmin role (not Django's ``is_staff`` flag) lets them in, through the
staff login page only, and they can keep the directory and the working-day
calendar there (through the services, audited)."""

import datetime as dt

import pytest

from yiwang.accounts.models import Role
from yiwang.core.audit import AuditEntry
from yiwang.core.calendar import CalendarOverride, is_workday
from yiwang.regions.models import Region

from .conftest import verified_login
from .factories import DEFAULT_PASSWORD, region_tree, staff_with_role, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    t = region_tree()
    sysadmin = staff_with_role(Role.SYSADMIN, t.county, username="sys1")
    clerk = staff_with_role(Role.CLERK, t.town, hall=t.town_hall, username="clerk1")
    return t, sysadmin, clerk


def test_anonymous_and_the_admin_login_page_go_to_the_staff_login(client):
    resp = client.get("/admin/")
    assert resp.status_code == 302 and resp["Location"].startswith("/admin/login/")
    resp = client.get("/admin/login/?next=/admin/regions/region/")
    assert resp.status_code == 302
    assert resp["Location"] == "/accounts/login/?tab=staff&next=%2Fadmin%2Fregions%2Fregion%2F"
    # No password-only way in: posting to the admin's login page does not log in.
    client.post("/admin/login/", {"username": "sys1", "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" not in client.session


def test_password_only_session_is_not_enough(client, world):
    _, sysadmin, _ = world
    client.force_login(sysadmin, backend="django.contrib.auth.backends.ModelBackend")
    resp = client.get("/admin/")
    assert resp.status_code == 302
    assert client.get(resp["Location"])["Location"].startswith("/accounts/login/?tab=staff")


def test_staff_without_the_sysadmin_role_get_404(client, world):
    _, _, clerk = world
    verified_login(client, clerk)
    assert client.get("/admin/").status_code == 302  # → the admin's login → 404
    assert client.get("/admin/login/?next=/admin/").status_code == 404
    assert client.get("/admin/core/calendaroverride/").status_code == 302


def test_sysadmin_logs_in_with_totp_and_lands_in_the_admin(client, world, clock):
    _, sysadmin, _ = world
    resp = client.post(
        "/accounts/login/",
        {
            "tab": "staff",
            "username": "sys1",
            "password": DEFAULT_PASSWORD,
            "otp_token": totp_code(sysadmin.totp_device, clock()),
            "next": "/admin/",
        },
    )
    assert resp.status_code == 302 and resp["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "一网通办 · 系统管理" in html
    for link in (
        "/admin/regions/region/",
        "/admin/regions/hall/",
        "/admin/regions/window/",
        "/admin/regions/department/",
        "/admin/core/calendaroverride/",
        "/admin/core/auditentry/",
    ):
        assert link in html, link


def test_workbench_links_the_admin_for_sysadmins_only(client, world):
    _, sysadmin, clerk = world
    verified_login(client, sysadmin)
    assert 'href="/admin/"' in client.get("/workbench/").content.decode()
    verified_login(client, clerk)
    assert 'href="/admin/"' not in client.get("/workbench/").content.decode()


def test_sysadmin_edits_the_calendar_override_table(client, world):
    _, sysadmin, _ = world
    verified_login(client, sysadmin)
    day = dt.date(2025, 10, 9)  # a Thursday
    assert is_workday(day)
    resp = client.post(
        "/admin/core/calendaroverride/add/",
        {"date": day.isoformat(), "is_workday": "", "reason": "县庆放假"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert not is_workday(day)
    entry = AuditEntry.objects.get(action="calendar.override.set")
    assert entry.actor_id == str(sysadmin.pk)
    override = CalendarOverride.objects.get(date=day)
    resp = client.post(f"/admin/core/calendaroverride/{override.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert is_workday(day)


def test_sysadmin_adds_and_renames_a_division_with_history(client, world):
    t, sysadmin, _ = world
    verified_login(client, sysadmin)
    code = t.town.code[:9] + "099"
    resp = client.post("/admin/regions/region/add/", {"code": code, "name": "新建社区居委会"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    region = Region.objects.get(code=code)
    resp = client.post(
        f"/admin/regions/region/{region.pk}/change/", {"code": code, "name": "新建路社区居委会"}
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    region.refresh_from_db()
    assert region.name == "新建路社区居委会"
    actions = set(
        AuditEntry.objects.filter(target_id=str(region.pk)).values_list("action", flat=True)
    )
    assert {"region.create", "region.rename"} <= actions, actions
