"""The admin routes every change through the services (audited), and
"delete" retires."""

import pytest

from tests.accounts.conftest import verified_login
from tests.accounts.factories import add_totp
from yiwang.core.audit import AuditEntry
from yiwang.regions.models import Department, Hall, Region, Window

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, root):
    """A superuser who passed the TOTP check (the admin wants both)."""
    add_totp(root)
    return verified_login(client, root)


def test_add_region_in_admin_is_audited(admin_client, tree, root):
    resp = admin_client.post(
        "/admin/regions/region/add/", {"code": "511602001002", "name": "厚街社区居委会"}
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    region = Region.objects.get(code="511602001002")
    assert region.parent == tree["town"] and region.level == "village"
    entry = AuditEntry.objects.get(target_id=str(region.pk), action="region.create")
    assert entry.actor_id == str(root.pk)


def test_bad_region_shows_the_service_message(admin_client, tree):
    resp = admin_client.post(
        "/admin/regions/region/add/", {"code": "511602009001", "name": "孤儿社区居委会"}
    )
    assert resp.status_code == 200
    assert "上级区划 511602009000 不存在" in resp.content.decode()
    assert not Region.objects.filter(code="511602009001").exists()


def test_change_hall_in_admin_writes_audit_and_shows_history(admin_client, directory):
    hall = directory["town_hall"]
    resp = admin_client.post(
        f"/admin/regions/hall/{hall.pk}/change/",
        {
            "region": hall.region.pk,
            "name": "浓洄街道便民服务中心",
            "kind": "town",
            "address": "浓洄路 1 号",
            "phone": "",
            "opening_hours": "",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    hall.refresh_from_db()
    assert hall.address == "浓洄路 1 号"
    entry = AuditEntry.objects.get(target_id=str(hall.pk), action="hall.update")
    assert entry.after == {"address": "浓洄路 1 号"}
    page = admin_client.get(f"/admin/regions/hall/{hall.pk}/change/").content.decode()
    assert "hall.update" in page and "浓洄路 1 号" in page and "hall.create" in page


def test_change_window_departments_in_admin(admin_client, directory):
    window = directory["w1"]
    resp = admin_client.post(
        f"/admin/regions/window/{window.pk}/change/",
        {
            "number": "1",
            "name": "卫计窗口",
            "category": "卫计",
            "departments": [directory["health"].pk, directory["civil"].pk],
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    assert set(window.departments.values_list("name", flat=True)) == {"区卫健局", "区民政局"}
    entry = AuditEntry.objects.get(target_id=str(window.pk), action="window.update")
    assert entry.after == {"departments": sorted(["区民政局", "区卫健局"])}


def test_delete_in_admin_retires(admin_client, directory):
    dept = directory["civil"]
    resp = admin_client.post(f"/admin/regions/department/{dept.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    dept = Department.objects.get(pk=dept.pk)  # still there
    assert dept.is_active is False and dept.retired_at is not None
    assert AuditEntry.objects.filter(target_id=str(dept.pk), action="department.retire").exists()


def test_retire_action_reports_refusals(admin_client, directory):
    village = directory["village"]  # has an active room
    resp = admin_client.post(
        "/admin/regions/region/",
        {"action": "retire_selected", "_selected_action": [village.pk]},
        follow=True,
    )
    assert "服务大厅" in resp.content.decode()
    assert Region.objects.get(pk=village.pk).is_active
    resp = admin_client.post(
        "/admin/regions/hall/",
        {"action": "retire_selected", "_selected_action": [directory["town_hall"].pk]},
    )
    assert not Hall.objects.get(pk=directory["town_hall"].pk).is_active
    assert not Window.objects.filter(hall=directory["town_hall"], is_active=True).exists()


def test_region_list_searches_and_filters(admin_client, tree):
    page = admin_client.get("/admin/regions/region/", {"q": "浓洄"}).content.decode()
    assert "511602001000" in page and "511602101000" not in page
    page = admin_client.get("/admin/regions/region/", {"level__exact": "village"}).content.decode()
    assert "511602101201" in page and "511602001000</" not in page


def test_non_admin_staff_cannot_use_it(client, tree, town_clerk):
    """Django's is_staff flag does not open the admin: the sysadmin role does."""
    town_clerk.is_staff = True
    town_clerk.save()
    add_totp(town_clerk)
    verified_login(client, town_clerk)
    resp = client.get("/admin/regions/region/", follow=True)
    assert resp.status_code == 404
    assert not Region.objects.filter(code="511602001002").exists()
