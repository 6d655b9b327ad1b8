"""The case lifecycle through the services: apply, front desk, back office,
suspension, conclusion, issue; deadlines in working days."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.cases import selectors, services
from yiwang.cases.models import CaseEvent, Status, StepKind, StepState
from yiwang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


def agent_case(w, walk_in, **kw):
    case = services.create_draft(
        w.item, by=w.agent, applicant=walk_in, issue_hall=w.tree.town_hall, **kw
    )
    return case


def test_village_case_accepted_by_agent_approved_by_county_issued_at_town(world, walk_in, clock):
    w = world
    case = agent_case(w, walk_in)
    assert case.status == Status.DRAFT and case.case_no is None
    assert case.channel == "agent" and case.agent == w.agent
    # An agent application must carry the required materials.
    with pytest.raises(ValidationFailed) as exc:
        services.submit(case, by=w.agent)
    assert exc.value.code == "case.materials_missing"
    from django.core.files.uploadedfile import SimpleUploadedFile

    for m in case.version.materials.filter(required=True, source="applicant"):
        services.add_material(
            case,
            by=w.agent,
            requirement=m.pk,
            upload=SimpleUploadedFile(
                "申请书.pdf", b"%PDF-1.4 test", content_type="application/pdf"
            ),
        )
    services.submit(case, by=w.agent)
    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    assert case.case_no == "511602001001-20260302-00001"

    services.accept(case, by=w.agent)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert case.accepted_on == dt.date(2026, 3, 2)
    # promised 10 working days from Monday 2 March: Monday 16 March.
    assert case.promised_due == dt.date(2026, 3, 16)
    assert case.statutory_due == dt.date(2026, 3, 30)
    steps = list(case.steps.order_by("position"))
    assert [s.kind for s in steps] == ["acceptance", "review", "review", "review", "delivery"]
    assert steps[0].state == StepState.DONE and steps[1].state == StepState.ACTIVE
    assert steps[1].department == w.tree.department

    # The village agent cannot act in the back office; the other department cannot see it.
    with pytest.raises(Forbidden):
        services.pass_step(case, by=w.agent)
    with pytest.raises(NotFound):
        services.pass_step(case, by=w.other_approver)

    services.claim(case, by=w.approver)
    with pytest.raises(Forbidden):  # claimed: only its assignee acts
        services.pass_step(case, by=w.approver2)
    for _ in range(3):
        services.pass_step(case, by=w.approver, opinion="同意")
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.concluded_on_time is True
    delivery = case.steps.get(kind=StepKind.DELIVERY)
    assert delivery.state == StepState.ACTIVE

    # Issued at the town hall, which the applicant chose; not by another town.
    with pytest.raises(NotFound):
        services.issue(case, by=w.other_clerk, signed_by="王大明")
    with pytest.raises(ValidationFailed):
        services.issue(case, by=w.town_clerk, method="window")  # signature required
    services.issue(case, by=w.town_clerk, method="window", signed_by="王大明")
    case.refresh_from_db()
    assert case.issued_at is not None and case.receipt_signed_by == "王大明"
    assert case.steps.get(kind=StepKind.DELIVERY).state == StepState.DONE

    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "create",
        "submit",
        "accept",
        "claim",
        "pass",
        "pass",
        "pass",
        "conclude",
        "issue",
    ]
    # The history and the status agree; national codes are recorded.
    assert case.events.last().to_status == case.status
    assert CaseEvent.objects.get(case=case, action="accept").national_code == "3"
    assert CaseEvent.objects.get(case=case, action="conclude").national_code == "11"
    kinds = set(case.documents.values_list("kind", flat=True))
    assert kinds == {"acceptance", "approval", "receipt"}


def test_corrections_then_accepted(world, walk_in, clock):
    w = world
    case = services.create_draft(w.item, by=w.town_clerk, applicant=walk_in)
    services.submit(case, by=w.town_clerk)
    with pytest.raises(ValidationFailed):
        services.request_corrections(case, by=w.town_clerk, items=[])
    services.request_corrections(
        case,
        by=w.town_clerk,
        items=[
            {"material": "临时救助申请书", "reason": "缺少申请人签字"},
            {"material": "居民身份证", "reason": "复印件不清晰"},
        ],
    )
    case.refresh_from_db()
    assert case.status == Status.CORRECTING
    notice = case.corrections.get()
    assert len(notice.items) == 2
    with pytest.raises(Conflict) as exc:
        services.accept(case, by=w.town_clerk)
    assert exc.value.code == "case.illegal_transition"
    clock.set_day(dt.date(2026, 3, 4))
    services.supply_corrections(case, by=w.town_clerk)
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and case.received_on == dt.date(2026, 3, 4)
    services.accept(case, by=w.town_clerk)
    case.refresh_from_db()
    assert case.accepted_on == dt.date(2026, 3, 4)
    assert case.promised_due == dt.date(2026, 3, 18)
    codes = list(case.events.values_list("national_code", flat=True))
    assert codes == ["", "1", "6", "7", "3"]


def test_five_day_rule(world, walk_in, clock):
    w = world
    case = services.create_draft(w.item, by=w.town_clerk, applicant=walk_in)
    services.submit(case, by=w.town_clerk)  # Monday 2 March
    clock.set_day(dt.date(2026, 3, 10))  # 6 working days later
    with pytest.raises(Conflict) as exc:
        services.request_corrections(
            case, by=w.town_clerk, items=[{"material": "x", "reason": "y"}]
        )
    assert exc.value.code == "case.correction_window_passed"
    assert services.deem_accepted_overdue() == 1
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.deemed_accepted
    assert case.accepted_on == dt.date(2026, 3, 2)  # counted from receipt
    assert case.events.last().actor is None


def test_suspension_recomputes_deadlines(world, walk_in, clock):
    w = world
    case = services.create_draft(w.item, by=w.county_clerk, applicant=walk_in)
    services.submit(case, by=w.county_clerk)
    services.accept(case, by=w.county_clerk)
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 3, 16)
    clock.set_day(dt.date(2026, 3, 3))
    with pytest.raises(ValidationFailed):
        services.suspend(case, by=w.approver, kind="expert_review", reason="")
    services.suspend(case, by=w.approver, kind="expert_review", reason="组织专家评审")
    case.refresh_from_db()
    assert case.status == Status.SUSPENDED
    with pytest.raises(Conflict):
        services.pass_step(case, by=w.approver)
    # Expert review Tue 3 .. resumed Tue 10 March: 5 working days paused.
    clock.set_day(dt.date(2026, 3, 10))
    services.resume(case, by=w.approver, result="专家评审通过")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.promised_due == dt.date(2026, 3, 23)
    assert case.statutory_due == dt.date(2026, 4, 7)  # 20 wd + 5 paused, Qingming 6 Apr off
    # Recomputing changes nothing: the stored intervals decide.
    before = (case.promised_due, case.statutory_due)
    services.recompute_deadlines(case)
    assert (case.promised_due, case.statutory_due) == before
    clock.set_day(dt.date(2026, 3, 20))
    for _ in range(3):
        services.pass_step(case, by=w.approver)
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.concluded_on_time is True


def test_extension_needs_another_approver(world, walk_in, clock):
    w = world
    case = services.create_draft(w.item, by=w.county_clerk, applicant=walk_in)
    services.submit(case, by=w.county_clerk)
    services.accept(case, by=w.county_clerk)
    with pytest.raises(ValidationFailed):
        services.request_extension(case, by=w.approver, days=11, reason="复杂")
    services.request_extension(case, by=w.approver, days=10, reason="情况复杂需实地核查")
    with pytest.raises(Forbidden):
        services.decide_extension(case, by=w.approver, approve=True)
    services.decide_extension(case, by=w.approver2, approve=True, note="同意延长")
    case.refresh_from_db()
    assert case.statutory_due == dt.date(2026, 4, 14)  # 30 working days
    assert case.promised_due == dt.date(2026, 3, 16)  # the promise does not move


def test_return_and_deny(world, walk_in, clock):
    w = world
    case = services.create_draft(w.item, by=w.county_clerk, applicant=walk_in)
    services.submit(case, by=w.county_clerk)
    services.accept(case, by=w.county_clerk)
    with pytest.raises(Conflict):
        services.return_step(case, by=w.approver, opinion="x")  # status accepted, not in progress
    services.pass_step(case, by=w.approver)
    with pytest.raises(ValidationFailed):
        services.return_step(case, by=w.approver, opinion="")
    services.return_step(case, by=w.approver, opinion="入户调查记录不完整")
    case.refresh_from_db()
    active = case.steps.get(state=StepState.ACTIVE)
    assert active.name == "审查"
    with pytest.raises(Conflict):
        services.return_step(case, by=w.approver, opinion="再退")
    services.deny(case, by=w.approver, reasons="不符合临时救助条件")
    case.refresh_from_db()
    assert case.status == Status.DENIED
    assert case.documents.filter(kind="denial").exists()


def test_refuse_and_withdraw(world, walk_in, clock):
    w = world
    case = services.create_draft(w.item, by=w.town_clerk, applicant=walk_in)
    services.submit(case, by=w.town_clerk)
    with pytest.raises(ValidationFailed):
        services.refuse(case, by=w.town_clerk, reasons=" ")
    services.refuse(case, by=w.town_clerk, reasons="不属于本机关职权范围")
    case.refresh_from_db()
    assert case.status == Status.REFUSED
    assert case.documents.filter(kind="refusal").exists()

    own = services.create_draft(w.item, by=w.citizen, hall=w.tree.county_hall)
    assert own.channel == "online" and own.applicant == w.citizen
    with pytest.raises(NotFound):
        services.withdraw(own, by=w.other_citizen)
    with pytest.raises(Conflict):
        services.withdraw(own, by=w.citizen)  # a draft is not withdrawn, it is just left


def test_instant_item_concludes_at_desk(world, walk_in, clock):
    from tests.cases.conftest import publish_item
    from tests.catalog.factories import good_guide

    w = world
    guide = good_guide(
        fields={
            "case_type": "instant",
            "online_depth": "on_the_spot",
            "promised_days": 0,
            "visits": 1,
        }
    )
    guide["steps"] = [
        {"name": "受理", "days": 0, "role": "clerk", "description": "核验身份和材料"},
        {"name": "办结", "days": 0, "role": "clerk", "description": "当场出具证明"},
    ]
    item = publish_item(
        w.admin,
        w.tree.department,
        [w.tree.town_hall],
        code_suffix="02",
        guide=guide,
        name="即办测试事项",
        levels=("town",),
        item_type="public_service",
    )
    case = services.create_draft(item, by=w.town_clerk, applicant=walk_in)
    services.submit(case, by=w.town_clerk)
    services.accept(case, by=w.town_clerk)
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert list(case.events.values_list("action", flat=True)) == [
        "create",
        "submit",
        "accept",
        "conclude",
    ]


def test_stale_revision_is_a_conflict(world, walk_in, clock):
    w = world
    case = services.create_draft(w.item, by=w.town_clerk, applicant=walk_in)
    services.submit(case, by=w.town_clerk)
    case.refresh_from_db()
    seen = case.revision
    services.accept(case, by=w.town_clerk, expected_revision=seen)
    with pytest.raises(Conflict) as exc:
        services.refuse(case, by=w.town_clerk, reasons="x", expected_revision=seen)
    assert exc.value.code == "case.stale"


def test_hall_must_offer_item_and_scope(world, walk_in, clock):
    w = world
    with pytest.raises(ValidationFailed) as exc:  # the other town's hall does not offer it
        services.create_draft(w.item, by=w.other_clerk, applicant=walk_in)
    assert exc.value.code == "case.hall_does_not_offer"
    with pytest.raises(ValidationFailed) as exc:
        services.create_draft(
            w.item, by=w.town_clerk, applicant={**walk_in, "id_number": "511602199001011230"}
        )
    assert "applicant.id_number" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:  # issue hall must be on the path up
        services.create_draft(
            w.item, by=w.town_clerk, applicant=walk_in, issue_hall=w.tree.other_town_hall
        )
    assert exc.value.code == "case.issue_hall_out_of_path"


def test_submit_new_writes_both_moves_at_once(world, walk_in, clock):
    from yiwang.cases.models import Case
    from yiwang.core import pii
    from yiwang.core.audit import AuditEntry

    w = world
    case = services.submit_new(w.item, by=w.town_clerk, applicant=walk_in)
    # What the service answers with is what was stored, sealed fields included.
    stored = Case.objects.get(pk=case.pk)
    columns = [f.attname for f in Case._meta.concrete_fields]
    assert [getattr(stored, c) for c in columns] == [getattr(case, c) for c in columns]
    assert pii.reveal_value(stored.id_number_enc) == walk_in["id_number"]
    assert pii.reveal_value(stored.phone_enc) == walk_in["phone"]
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and case.case_no.endswith("-00001")
    assert list(case.events.values_list("seq", "action", "to_status", "national_code")) == [
        (1, "create", "draft", ""),
        (2, "submit", "received", "1"),
    ]
    assert list(
        AuditEntry.objects.filter(stream=f"cases.case:{case.pk}").values_list("action", flat=True)
    ) == ["cases.submit"]
    # The next move checks the history as usual.
    services.accept(case, by=w.town_clerk)
    # Online without the required materials: refused, and nothing was written.
    before = Case.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.submit_new(w.item, by=w.citizen, hall=w.tree.county_hall)
    assert exc.value.code == "case.materials_missing"
    assert Case.objects.count() == before
    # Only the front desk applies for someone else.
    with pytest.raises(Forbidden):
        services.submit_new(w.item, by=w.other_approver, applicant=walk_in)


def test_a_walk_in_with_an_account_finds_the_case_in_their_portal(world, walk_in, clock):
    w = world
    mine = {**walk_in, "id_number": w.citizen.clear_id_number, "name": w.citizen.real_name}
    case = services.submit_new(w.item, by=w.town_clerk, applicant=mine)
    assert case.applicant_id == w.citizen.pk and case.channel == "window"
    assert case in selectors.visible_cases(w.citizen)
    assert case not in selectors.visible_cases(w.other_citizen)
    stranger = services.submit_new(w.item, by=w.town_clerk, applicant=walk_in)
    assert stranger.applicant_id is None
