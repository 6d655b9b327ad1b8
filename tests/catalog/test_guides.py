"""Guide versions: consistency rules, retained proofs, lifecycle, immutability, diff."""

from __future__ import annotations

import pytest

from yiwang.catalog import diff, lifecycle, selectors, services
from yiwang.catalog.models import GuideStatus, GuideVersion, MaterialRequirement
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed

from .factories import good_guide

pytestmark = pytest.mark.django_db


def publish_fails(version, admin, rule: str, field: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        services.publish(version, by=admin)
    err = exc.value
    assert err.code == "guide.inconsistent"
    assert rule in str(err.message), err.message
    assert field in str(err.message)
    assert field in err.fields
    assert any(rule in m for m in err.fields[field])
    version.refresh_from_db()
    assert version.status == GuideStatus.DRAFT
    return err


def test_good_guide_publishes(draft, admin):
    version = services.publish(draft, by=admin)
    assert version.status == GuideStatus.PUBLISHED
    assert version.published_by == admin and version.published_at is not None
    assert version.submitted_by == admin
    assert selectors.published_version(version.item) == version
    actions = list(
        AuditEntry.objects.filter(target_id=str(version.pk)).values_list("action", flat=True)
    )
    assert "catalog.guide.submit" in actions and "catalog.guide.approve" in actions


def test_instant_requires_instant_case_type(draft, admin):
    services.update_draft(draft, by=admin, online_depth="on_the_spot", case_type="promised")
    publish_fails(draft, admin, "instant_case_type", "case_type")


def test_full_online_requires_zero_visits(draft, admin):
    services.update_draft(draft, by=admin, online_depth="full_online", visits=1)
    publish_fails(draft, admin, "full_online_no_visits", "visits")


def test_visits_need_a_reason(draft, admin):
    services.update_draft(draft, by=admin, visits=2, online_depth="on_site", visits_reason="")
    publish_fails(draft, admin, "visits_reason", "visits_reason")


def test_license_needs_all_five_steps(draft, admin):
    steps = good_guide()["steps"]
    services.set_steps(draft, [s for s in steps if s["name"] != "送达"], by=admin)
    err = publish_fails(draft, admin, "license_steps", "steps")
    assert "送达" in err.message


def test_promised_within_statutory(draft, admin):
    services.update_draft(draft, by=admin, promised_days=25, statutory_days=20)
    publish_fails(draft, admin, "promised_within_statutory", "promised_days")


def test_steps_sum_within_promised(draft, admin):
    services.update_draft(draft, by=admin, promised_days=5)
    publish_fails(draft, admin, "steps_within_promised", "steps")


def test_fees_need_basis_and_standard(draft, admin):
    services.update_draft(draft, by=admin, fee_charged=True, fee_basis="", fee_standard="")
    publish_fails(draft, admin, "fees", "fee_basis")


def test_missing_phone_blocks(draft, admin):
    services.update_draft(draft, by=admin, consult_phone="")
    publish_fails(draft, admin, "required_elements", "consult_phone")


def test_vague_material_blocks(draft, admin):
    mats = good_guide()["materials"] + [{"name": "根据相关法律法规需要提交的其他材料"}]
    services.set_materials(draft, mats, by=admin)
    publish_fails(draft, admin, "materials_specific", "materials")


def test_step_without_requirement_blocks(draft, admin):
    steps = good_guide()["steps"]
    steps[1]["description"] = ""
    services.set_steps(draft, steps, by=admin)
    publish_fails(draft, admin, "steps_say_what", "steps")


def test_all_violations_are_listed(draft, admin):
    services.update_draft(
        draft, by=admin, online_depth="full_online", visits=2, visits_reason="", promised_days=30
    )
    err = publish_fails(draft, admin, "full_online_no_visits", "visits")
    for rule in ("visits_reason", "promised_within_statutory"):
        assert rule in err.message


def test_proof_not_on_list_is_refused_naming_it(draft, admin, proofs):
    mats = good_guide()["materials"] + [{"name": "无犯罪记录证明", "is_proof": True}]
    with pytest.raises(ValidationFailed) as exc:
        services.set_materials(draft, mats, by=admin)
    assert "无犯罪记录证明" in exc.value.message
    assert exc.value.code == "catalog.proof_not_retained"
    assert "无犯罪记录证明" in exc.value.fields["materials"][0]
    # Nothing changed.
    assert draft.materials.count() == 2


def test_proof_detected_by_name_even_unticked(draft, admin, proofs):
    with pytest.raises(ValidationFailed) as exc:
        services.add_material(draft, by=admin, name="居住证明")
    assert "居住证明" in exc.value.message


def test_retained_proof_is_accepted(draft, admin, proofs):
    material = services.add_material(draft, by=admin, name="出生医学证明", issuing_body="医院")
    assert material.is_proof and material.proof == proofs[0]
    assert services.publish(draft, by=admin).status == GuideStatus.PUBLISHED


def test_deactivated_proof_blocks_publication(draft, admin, proofs):
    services.add_material(draft, by=admin, name="出生医学证明")
    services.update_retained_proof(proofs[0], by=admin, is_active=False)
    publish_fails(draft, admin, "proofs_retained", "materials")


def test_published_version_never_changes(draft, admin):
    version = services.publish(draft, by=admin)
    with pytest.raises(Conflict) as exc:
        services.update_draft(version, by=admin, legal_basis="改")
    assert "已发布的版本不可修改，请新建草稿" in exc.value.message
    with pytest.raises(Conflict):
        services.set_materials(version, [], by=admin)
    with pytest.raises(Conflict):
        services.add_step(version, by=admin, name="新环节", description="x")
    # Even a direct save is refused.
    version.legal_basis = "偷偷改"
    with pytest.raises(Conflict):
        version.save()
    material = version.materials.first()
    material.name = "改"
    with pytest.raises(Conflict):
        material.save()
    with pytest.raises(Conflict):
        MaterialRequirement.objects.get(pk=material.pk).delete()


def test_new_draft_copies_and_publishing_retires_previous(draft, admin):
    v1 = services.publish(draft, by=admin)
    v2 = services.create_draft(v1.item, by=admin)
    assert v2.number == 2 and v2.status == GuideStatus.DRAFT
    assert v2.materials.count() == 2 and v2.steps.count() == 5
    assert v2.legal_basis == v1.legal_basis
    with pytest.raises(Conflict):
        services.create_draft(v1.item, by=admin)  # one open version at a time
    services.update_draft(v2, by=admin, promised_days=12)
    services.publish(v2, by=admin)
    v1.refresh_from_db()
    assert v1.status == GuideStatus.RETIRED and v1.retired_by == admin
    assert selectors.published_version(v1.item) == v2
    assert GuideVersion.objects.filter(item=v1.item, status="published").count() == 1


def test_db_allows_one_published_version(draft, admin):
    from django.db import IntegrityError, transaction

    v1 = services.publish(draft, by=admin)
    v2 = services.create_draft(v1.item, by=admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        GuideVersion.objects.filter(pk=v2.pk).update(status="published")


def test_illegal_moves_conflict(draft, admin):
    with pytest.raises(Conflict) as exc:
        services.approve(draft, by=admin)
    assert exc.value.code == "guide.illegal_transition"
    with pytest.raises(Conflict):
        services.retire(draft, by=admin)
    services.submit(draft, by=admin)
    with pytest.raises(Conflict):
        services.update_draft(draft, by=admin, faq="x")
    rejected = services.reject(draft, by=admin, note="材料表述需细化")
    assert rejected.status == GuideStatus.DRAFT and rejected.review_note == "材料表述需细化"


def test_reject_needs_reason(draft, admin):
    services.submit(draft, by=admin)
    with pytest.raises(ValidationFailed):
        services.reject(draft, by=admin, note=" ")


def test_only_catalog_admins_move_versions(draft, clerk):
    with pytest.raises(Forbidden):
        services.submit(draft, by=clerk)
    with pytest.raises(Forbidden):
        services.update_draft(draft, by=clerk, faq="x")
    assert lifecycle.allowed_actions(draft, clerk) == []


def test_transition_table_drives_buttons(draft, admin):
    assert [t.action for t in lifecycle.allowed_actions(draft, admin)] == ["submit"]
    services.submit(draft, by=admin)
    assert sorted(t.action for t in lifecycle.allowed_actions(draft, admin)) == [
        "approve",
        "reject",
    ]


def test_retire_published(draft, admin):
    v1 = services.publish(draft, by=admin)
    services.retire(v1, by=admin, note="事项取消")
    assert selectors.published_version(v1.item) is None


def test_diff_is_readable(draft, admin):
    v1 = services.publish(draft, by=admin)
    v2 = services.create_draft(v1.item, by=admin)
    services.update_draft(v2, by=admin, promised_days=8, online_depth="full_online", visits=0)
    mats = good_guide()["materials"]
    mats[1]["copies"] = 2
    mats.append({"name": "银行账户信息", "originals": 1})
    services.set_materials(v2, mats[1:], by=admin)
    steps = good_guide()["steps"]
    steps[1]["days"] = 3
    services.set_steps(v2, steps, by=admin)
    changes = diff.diff(v1, v2)
    by_key = {(c.section, c.field): c for c in changes}
    assert by_key[("guide", "promised_days")].old == "10"
    assert by_key[("guide", "promised_days")].new == "8"
    assert by_key[("guide", "online_depth")].new == "全程网办（一趟不用跑）"
    assert by_key[("materials", "银行账户信息")].kind == "added"
    assert by_key[("materials", "申请人居民身份证")].kind == "removed"
    assert by_key[("materials", "临时救助申请书")].kind == "changed"
    assert any("复印件份数" in line for line in by_key[("materials", "临时救助申请书")].lines)
    assert by_key[("steps", "审查")].kind == "changed"
    text = diff.as_text(changes)
    assert "承诺办结时限: 10 → 8" in text
    assert diff.diff(v1, v1) == []
