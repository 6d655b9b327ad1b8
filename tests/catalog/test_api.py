"""The catalog API: public reads of published content, admin writes, the
one error format, 409 for illegal moves."""

from __future__ import annotations

import pytest

from yiwang.catalog import services
from yiwang.catalog.models import GuideStatus

from .factories import good_guide

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    if code:
        assert body["code"] == code
    return body


@pytest.fixture
def published(draft, admin):
    return services.publish(draft, by=admin)


def test_public_reads_items_and_published_guide(api, published):
    r = api.get(f"{BASE}/items/")
    assert r.status_code == 200
    assert r.json()["count"] == 1
    row = r.json()["results"][0]
    assert row["levels"] == []
    r = api.get(f"{BASE}/items/{published.item_id}/")
    assert r.status_code == 200
    guide = r.json()["guide"]
    assert guide["number"] == 1 and guide["status"] == "published"
    assert [s["name"] for s in guide["steps"]] == ["受理", "审查", "决定", "办结", "送达"]
    assert len(guide["materials"]) == 2
    assert guide["actions"] == []


def test_public_does_not_see_drafts(api, draft):
    assert api.get(f"{BASE}/guide-versions/").json()["count"] == 0
    assert_error(api.get(f"{BASE}/guide-versions/{draft.pk}/"), 404, "not_found")
    assert api.get(f"{BASE}/items/{draft.item_id}/").json()["guide"] is None


def test_filters(api, admin, item, tree, published):
    services.set_level(item, "town", by=admin)
    assert api.get(f"{BASE}/items/?level=town").json()["count"] == 1
    assert api.get(f"{BASE}/items/?level=village").json()["count"] == 0
    assert api.get(f"{BASE}/items/?item_type=administrative_license").json()["count"] == 1
    assert api.get(f"{BASE}/items/?item_type=public_service").json()["count"] == 0
    assert api.get(f"{BASE}/items/?department={tree.department.pk}").json()["count"] == 1
    assert api.get(f"{BASE}/items/?department={tree.other_department.pk}").json()["count"] == 0
    assert api.get(f"{BASE}/items/?status=published").json()["count"] == 1
    assert api.get(f"{BASE}/items/?status=draft").json()["count"] == 0


def test_writes_need_catalog_admin(api, clerk, item):
    r = api.post(f"{BASE}/guide-versions/", {"item": str(item.pk)}, format="json")
    assert_error(r, 401, "not_authenticated")  # anonymous
    api.force_authenticate(clerk)
    r = api.post(f"{BASE}/guide-versions/", {"item": str(item.pk)}, format="json")
    assert_error(r, 403)


def test_full_flow_through_the_api(api, admin, item):
    api.force_authenticate(admin)
    v1 = item.versions.get()
    guide = good_guide()
    r = api.patch(f"{BASE}/guide-versions/{v1.pk}/", guide["fields"], format="json")
    assert r.status_code == 200, r.content
    for m in guide["materials"]:
        assert (
            api.post(f"{BASE}/guide-versions/{v1.pk}/materials/", m, format="json").status_code
            == 201
        )
    for s in guide["steps"]:
        assert (
            api.post(f"{BASE}/guide-versions/{v1.pk}/steps/", s, format="json").status_code == 201
        )
    r = api.post(f"{BASE}/guide-versions/{v1.pk}/submit/")
    assert r.status_code == 200 and r.json()["status"] == "review"
    assert {a["action"] for a in r.json()["actions"]} == {"approve", "reject"}
    r = api.post(f"{BASE}/guide-versions/{v1.pk}/approve/", {"note": "同意"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "published"
    # A published version never changes.
    body = assert_error(
        api.patch(f"{BASE}/guide-versions/{v1.pk}/", {"faq": "x"}, format="json"), 409
    )
    assert "已发布的版本不可修改" in body["message"]
    mid = r.json()["materials"][0]["id"]
    assert_error(api.delete(f"{BASE}/guide-versions/{v1.pk}/materials/{mid}/"), 409)
    # Illegal move: 409 with the reason.
    body = assert_error(
        api.post(f"{BASE}/guide-versions/{v1.pk}/submit/"), 409, "guide.illegal_transition"
    )
    assert "已发布" in body["message"]
    # A new draft, edited, then the diff.
    r = api.post(f"{BASE}/guide-versions/", {"item": str(item.pk)}, format="json")
    assert r.status_code == 201
    v2 = r.json()["id"]
    assert r.json()["number"] == 2 and len(r.json()["materials"]) == 2
    api.patch(f"{BASE}/guide-versions/{v2}/", {"promised_days": 12}, format="json")
    step = r.json()["steps"][1]["id"]
    assert (
        api.patch(
            f"{BASE}/guide-versions/{v2}/steps/{step}/", {"days": 6}, format="json"
        ).status_code
        == 200
    )
    r = api.get(f"{BASE}/guide-versions/{v2}/diff/")
    assert r.status_code == 200
    changes = {(c["section"], c["field"]): c for c in r.json()}
    assert changes[("guide", "promised_days")]["old"] == "10"
    assert changes[("steps", "审查")]["kind"] == "changed"
    r = api.post(f"{BASE}/guide-versions/{v2}/approve/")
    assert_error(r, 409, "guide.illegal_transition")


def test_publishing_an_inconsistent_guide_is_400_naming_rule_and_field(api, admin, draft):
    api.force_authenticate(admin)
    api.patch(
        f"{BASE}/guide-versions/{draft.pk}/",
        {"online_depth": "full_online", "visits": 1},
        format="json",
    )
    body = assert_error(
        api.post(f"{BASE}/guide-versions/{draft.pk}/submit/"), 400, "guide.inconsistent"
    )
    assert "full_online_no_visits" in body["message"]
    assert "visits" in body["fields"]


def test_proof_outside_list_refused(api, admin, draft, proofs):
    api.force_authenticate(admin)
    r = api.post(
        f"{BASE}/guide-versions/{draft.pk}/materials/",
        {"name": "无犯罪记录证明", "is_proof": True},
        format="json",
    )
    body = assert_error(r, 400, "catalog.proof_not_retained")
    assert "无犯罪记录证明" in body["message"]
    r = api.post(
        f"{BASE}/guide-versions/{draft.pk}/materials/", {"name": "出生医学证明"}, format="json"
    )
    assert r.status_code == 201 and r.json()["proof"] == "出生医学证明"


def test_bad_field_values_use_the_error_format(api, admin, draft):
    api.force_authenticate(admin)
    body = assert_error(
        api.patch(
            f"{BASE}/guide-versions/{draft.pk}/", {"online_depth": "teleport"}, format="json"
        ),
        400,
        "invalid",
    )
    assert "online_depth" in body["fields"]


def test_retained_proofs(api, admin, proofs, clerk):
    assert api.get(f"{BASE}/retained-proofs/").json()["count"] == 2
    assert_error(api.post(f"{BASE}/retained-proofs/", {"name": "x"}, format="json"), 401)
    api.force_authenticate(admin)
    r = api.post(
        f"{BASE}/retained-proofs/",
        {"name": "亲属关系证明", "issuing_body": "公安派出所"},
        format="json",
    )
    assert r.status_code == 201
    body = assert_error(
        api.post(f"{BASE}/retained-proofs/", {"name": "亲属关系证明"}, format="json"), 400
    )
    assert "name" in body["fields"]


def test_village_admission_via_api(api, admin, town_admin, item):
    api.force_authenticate(town_admin)
    r = api.post(
        f"{BASE}/levels/",
        {"item": str(item.pk), "level": "village", "reason": "群众需求大"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["status"] == "requested"
    entry = r.json()["id"]
    assert api.get(f"{BASE}/items/?level=village").json()["count"] == 0
    body = assert_error(api.post(f"{BASE}/levels/{entry}/approve/"), 403, "catalog.level_forbidden")
    assert "县级" in body["message"]
    api.force_authenticate(admin)
    r = api.post(f"{BASE}/levels/{entry}/approve/")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert api.get(f"{BASE}/items/?level=village").json()["count"] == 1
    assert_error(api.post(f"{BASE}/levels/{entry}/approve/"), 409, "catalog.level_decided")


def test_create_item_via_api(api, admin, tree):
    api.force_authenticate(admin)
    data = {
        "code": "512C0053300008-511602000000-000-11511301008778298W-1-00",
        "name": "低保政策咨询",
        "item_type": "public_service",
        "department": str(tree.department.pk),
        "levels": ["county", "town"],
    }
    r = api.post(f"{BASE}/items/", data, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["levels"] == ["county", "town"] and r.json()["code_shape"] == "sichuan"
    assert_error(api.post(f"{BASE}/items/", data, format="json"), 409, "catalog.duplicate_code")
    r = api.patch(
        f"{BASE}/items/{r.json()['id']}/", {"name": "最低生活保障政策咨询"}, format="json"
    )
    assert r.status_code == 200 and r.json()["name"] == "最低生活保障政策咨询"


def test_status_in_published_response(api, published):
    r = api.get(f"{BASE}/guide-versions/?status=published")
    assert r.json()["results"][0]["status"] == GuideStatus.PUBLISHED
