"""The management pages through the Django test client."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.conftest import verified_login
from yiwang.catalog import services
from yiwang.catalog.models import GuideStatus, ItemLevel

from .factories import good_guide

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    return verified_login(client, admin)


def test_non_admins_get_404(client, clerk, item):
    verified_login(client, clerk)
    for url in (
        reverse("catalog:manage_items"),
        reverse("catalog:manage_item", args=[item.pk]),
        reverse("catalog:manage_admission"),
        reverse("catalog:manage_version", args=[item.versions.get().pk]),
    ):
        assert client.get(url).status_code == 404


def test_anonymous_goes_to_login(client, item):
    r = client.get(reverse("catalog:manage_items"))
    assert r.status_code == 302 and "login" in r["Location"]


def test_item_list_with_filters(admin_client, item, tree):
    r = admin_client.get(reverse("catalog:manage_items"))
    assert r.status_code == 200
    assert "临时救助审批" in r.content.decode()
    r = admin_client.get(reverse("catalog:manage_items"), {"item_type": "public_service"})
    assert "临时救助审批" not in r.content.decode()
    r = admin_client.get(
        reverse("catalog:manage_items"), {"department": tree.department.pk, "q": "救助"}
    )
    assert "临时救助审批" in r.content.decode()


def test_create_and_edit_item(admin_client, tree):
    r = admin_client.post(
        reverse("catalog:manage_item_create"),
        {
            "code": "512C0053300008-511602000000-000-11511301008778298W-1-00",
            "name": "低保政策咨询",
            "item_type": "public_service",
            "department": tree.department.pk,
            "service_objects": ["natural_person"],
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    from yiwang.catalog.models import ServiceItem

    item = ServiceItem.objects.get(name="低保政策咨询")
    assert item.versions.count() == 1
    r = admin_client.post(
        reverse("catalog:manage_item", args=[item.pk]),
        {
            "name": "最低生活保障政策咨询",
            "item_type": "public_service",
            "department": tree.department.pk,
            "halls": [tree.county_hall.pk],
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.name == "最低生活保障政策咨询" and list(item.halls.all()) == [tree.county_hall]


def _formset_data(prefix, rows, fields):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for f in fields:
            value = row.get(f, "")
            if isinstance(value, bool):
                if value:
                    data[f"{prefix}-{i}-{f}"] = "on"
            else:
                data[f"{prefix}-{i}-{f}"] = value
    return data


def guide_post(guide):
    data = {"scope": "county"}
    for k, v in guide["fields"].items():
        if isinstance(v, bool):
            if v:
                data[k] = "on"
        else:
            data[k] = v
    mats = [
        {"originals": 1, "copies": 0, "source": "applicant", "required": True, **m}
        for m in guide["materials"]
    ]
    data.update(
        _formset_data(
            "m", mats, ["name", "issuing_body", "originals", "copies", "required", "source", "note"]
        )
    )
    data.update(_formset_data("s", guide["steps"], ["name", "role", "days", "description"]))
    return data


def test_edit_submit_approve_history_diff(admin_client, item, admin):
    version = item.versions.get()
    url = reverse("catalog:manage_version", args=[version.pk])
    r = admin_client.get(url)
    assert r.status_code == 200 and "发布前须修正" in r.content.decode()
    r = admin_client.post(url, guide_post(good_guide()))
    assert r.status_code == 302, r.content.decode()[:3000]
    version.refresh_from_db()
    assert version.legal_basis.startswith("《社会救助暂行办法》")
    assert version.materials.count() == 2 and version.steps.count() == 5
    page = admin_client.get(url).content.decode()
    assert "提交审核" in page and "发布前须修正" not in page
    admin_client.post(reverse("catalog:manage_version_action", args=[version.pk, "submit"]))
    version.refresh_from_db()
    assert version.status == GuideStatus.REVIEW
    page = admin_client.get(url).content.decode()
    assert 'value="approve"' in page and 'value="reject"' in page and 'value="submit"' not in page
    admin_client.post(
        reverse("catalog:manage_version_action", args=[version.pk, "approve"]), {"note": "同意"}
    )
    version.refresh_from_db()
    assert version.status == GuideStatus.PUBLISHED
    # A published version: the form is read-only and a POST changes nothing.
    page = admin_client.get(url).content.decode()
    assert "已发布的版本不可修改" in page
    admin_client.post(url, guide_post(good_guide(fields={"faq": "改了"})))
    version.refresh_from_db()
    assert version.faq != "改了"
    # New draft, change, history with diff.
    r = admin_client.post(reverse("catalog:manage_draft_create", args=[item.pk]))
    v2 = item.versions.get(number=2)
    assert r["Location"].endswith(reverse("catalog:manage_version", args=[v2.pk]))
    services.update_draft(v2, by=admin, promised_days=12)
    page = admin_client.get(reverse("catalog:manage_history", args=[item.pk])).content.decode()
    assert "v1 → v2" in page and "承诺办结时限" in page


def test_inconsistent_guide_cannot_be_submitted_from_page(admin_client, draft):
    services.update_draft(draft, by=None, online_depth="full_online", visits=1)
    r = admin_client.post(
        reverse("catalog:manage_version_action", args=[draft.pk, "submit"]), follow=True
    )
    draft.refresh_from_db()
    assert draft.status == GuideStatus.DRAFT
    assert "full_online_no_visits" in r.content.decode()


def test_proof_refused_on_page(admin_client, draft, proofs):
    guide = good_guide()
    guide["materials"].append({"name": "无犯罪记录证明"})
    r = admin_client.post(reverse("catalog:manage_version", args=[draft.pk]), guide_post(guide))
    assert r.status_code == 200
    assert "无犯罪记录证明" in r.content.decode() and "清单之外无证明" in r.content.decode()
    assert draft.materials.count() == 2


def test_admission_queue(client, admin, town_admin, item):
    verified_login(client, town_admin)
    client.post(
        reverse("catalog:manage_level_add", args=[item.pk]),
        {"level": "village", "reason": "需求大"},
    )
    entry = ItemLevel.objects.get(item=item, level="village")
    assert entry.status == "requested"
    page = client.get(reverse("catalog:manage_admission")).content.decode()
    assert "须县级事项管理员审批" in page
    client.post(reverse("catalog:manage_admission_decide", args=[entry.pk, "approve"]))
    entry.refresh_from_db()
    assert entry.status == "requested"
    client.logout()
    verified_login(client, admin)
    page = client.get(reverse("catalog:manage_admission")).content.decode()
    assert item.name in page and "准入" in page
    client.post(reverse("catalog:manage_admission_decide", args=[entry.pk, "approve"]))
    entry.refresh_from_db()
    assert entry.status == "approved"
