"""The directory API: public reads, administrator writes, one error shape."""

import pytest
from rest_framework.test import APIClient

from yiwang.core.audit import AuditEntry
from yiwang.regions import services
from yiwang.regions.models import Hall, Region

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def anon():
    return APIClient()


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def results(resp):
    assert resp.status_code == 200, resp.content
    return resp.json()["results"]


def assert_error_shape(body, code=None):
    assert set(body) == {"code", "message", "fields"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    if code:
        assert body["code"] == code


def test_anonymous_reads_regions(anon, tree):
    codes = [r["code"] for r in results(anon.get(f"{API}/regions/"))]
    assert codes[0] == "511602000000" and len(codes) == 6
    towns = results(anon.get(f"{API}/regions/", {"level": "town"}))
    assert {r["name"] for r in towns} == {"浓洄街道", "官盛镇"}
    children = results(anon.get(f"{API}/regions/", {"parent": "511602101000"}))
    assert [r["code"] for r in children] == ["511602101201", "511602101202"]
    within = results(anon.get(f"{API}/regions/", {"within": "511602101000"}))
    assert [r["code"] for r in within] == ["511602101000", "511602101201", "511602101202"]
    assert results(anon.get(f"{API}/regions/", {"within": "999999999999"})) == []
    detail = anon.get(f"{API}/regions/511602001001/").json()
    assert detail["parent"] == "511602001000" and detail["level"] == "village"


def test_anonymous_reads_halls_windows_departments(anon, directory):
    halls = results(anon.get(f"{API}/halls/", {"within": "511602001000"}))
    assert [h["name"] for h in halls] == ["浓洄街道便民服务中心"]
    assert halls[0]["window_count"] == 2 and halls[0]["kind"] == "town"
    village_halls = results(anon.get(f"{API}/halls/", {"level": "village"}))
    assert [h["name"] for h in village_halls] == ["青山村便民服务室"]
    windows = results(anon.get(f"{API}/windows/", {"hall": str(directory["town_hall"].pk)}))
    assert [(w["number"], w["category"]) for w in windows] == [("1", "卫计"), ("2", "综合")]
    assert windows[0]["department_names"] == ["区卫健局"]
    depts = results(anon.get(f"{API}/departments/"))
    assert {d["name"] for d in depts} == {"区卫健局", "区民政局"}


def test_retired_objects_are_hidden_from_the_public(anon, directory, sysadmin):
    services.retire_hall(directory["room"], by=None)
    assert anon.get(f"{API}/halls/{directory['room'].pk}/").status_code == 404
    assert as_user(sysadmin).get(f"{API}/halls/{directory['room'].pk}/").status_code == 200
    names = [
        h["name"] for h in results(as_user(sysadmin).get(f"{API}/halls/", {"active": "false"}))
    ]
    assert names == ["青山村便民服务室"]


def test_sysadmin_writes(sysadmin, directory):
    client = as_user(sysadmin)
    resp = client.post(f"{API}/regions/", {"code": "511602001002", "name": "厚街社区居委会"})
    assert resp.status_code == 201, resp.content
    assert resp.json()["level"] == "village" and resp.json()["parent"] == "511602001000"

    resp = client.patch(f"{API}/regions/511602001002/", {"name": "厚街新社区居委会"})
    assert resp.status_code == 200 and resp.json()["name"] == "厚街新社区居委会"
    region = Region.objects.get(code="511602001002")
    assert AuditEntry.objects.filter(target_id=str(region.pk), action="region.rename").exists()

    resp = client.post(f"{API}/halls/", {"region": "511602001002", "name": "厚街社区便民服务站"})
    assert resp.status_code == 201, resp.content
    hall_id = resp.json()["id"]
    assert resp.json()["kind"] == "village"

    resp = client.post(
        f"{API}/windows/",
        {
            "hall": hall_id,
            "number": "1",
            "category": "卫计",
            "departments": [str(directory["health"].pk)],
        },
        format="json",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["name"] == "卫计窗口"
    window_id = resp.json()["id"]
    resp = client.patch(f"{API}/windows/{window_id}/", {"is_comprehensive": True}, format="json")
    assert resp.status_code == 200 and resp.json()["is_comprehensive"] is True

    resp = client.post(
        f"{API}/departments/", {"name": "区医疗保障局", "code": "11511301MB15537661"}
    )
    assert resp.status_code == 201 and resp.json()["region"] == "511602000000"

    assert client.post(f"{API}/halls/{hall_id}/retire/").status_code == 200
    assert Hall.objects.get(pk=hall_id).is_active is False
    resp = client.post(f"{API}/halls/{hall_id}/retire/")
    assert resp.status_code == 409
    assert_error_shape(resp.json(), "conflict")
    assert client.post(f"{API}/halls/{hall_id}/reactivate/").status_code == 200
    # no real delete
    assert client.delete(f"{API}/halls/{hall_id}/").status_code == 405


def test_region_with_halls_cannot_be_retired_over_the_api(sysadmin, directory):
    resp = as_user(sysadmin).post(f"{API}/regions/511602101201/retire/")
    assert resp.status_code == 409
    body = resp.json()
    assert_error_shape(body, "has_active_dependants")
    assert "服务大厅" in body["message"]


def test_validation_errors_share_the_shape(sysadmin, directory):
    client = as_user(sysadmin)
    resp = client.post(f"{API}/regions/", {"code": "51160200100X", "name": "坏"})
    assert resp.status_code == 400
    body = resp.json()
    assert_error_shape(body, "invalid")
    assert "code" in body["fields"]
    # the serializer's own checks: a required field missing
    resp = client.post(f"{API}/halls/", {"region": "511602001000"})
    assert resp.status_code == 400
    body = resp.json()
    assert_error_shape(body)
    assert "name" in body["fields"]
    # a duplicate window number
    resp = client.post(
        f"{API}/windows/",
        {"hall": str(directory["town_hall"].pk), "number": "1", "category": "民政"},
        format="json",
    )
    assert resp.status_code == 400 and "number" in resp.json()["fields"]
    # code cannot change
    resp = client.patch(f"{API}/regions/511602001001/", {"code": "511602001009"})
    assert resp.status_code == 400 and "code" in resp.json()["fields"]


def test_town_clerk_cannot_write(town_clerk, directory):
    client = as_user(town_clerk)
    # reading is fine
    assert client.get(f"{API}/halls/").status_code == 200
    # creating: forbidden
    resp = client.post(f"{API}/halls/", {"region": "511602001000", "name": "私设大厅"})
    assert resp.status_code == 403
    assert_error_shape(resp.json())
    # changing what they can see: forbidden
    resp = client.patch(f"{API}/regions/511602001000/", {"name": "改名"})
    assert resp.status_code == 403
    resp = client.post(f"{API}/halls/{directory['town_hall'].pk}/retire/")
    assert resp.status_code == 403
    # changing what they cannot see (retired): not found
    services.retire_hall(directory["room"], by=None)
    resp = client.patch(f"{API}/halls/{directory['room'].pk}/", {"name": "x"})
    assert resp.status_code == 404
    assert_error_shape(resp.json())
    assert Hall.objects.get(pk=directory["town_hall"].pk).is_active


def test_anonymous_cannot_write(anon, tree):
    resp = anon.post(f"{API}/regions/", {"code": "511602001002", "name": "厚街社区居委会"})
    assert resp.status_code in (401, 403)
    assert not Region.objects.filter(code="511602001002").exists()


def test_schema_lists_the_directory(anon):
    resp = anon.get(f"{API}/schema/")
    assert resp.status_code == 200
    text = resp.content.decode()
    for path in ("/api/v1/regions/{code}/", "/api/v1/halls/{id}/retire/", "/api/v1/windows/"):
        assert path in text
