"""A case's steps: laid out from the guide version's process template at
acceptance, then started, finished and looked up by the moves."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from yiwang.accounts.models import Role
from yiwang.catalog.codesets import CaseType
from yiwang.core.errors import Conflict

from ..models import Case, CaseStep, StepKind, StepState
from . import clock


def _instantiate_steps(case: Case, day: dt.date, by) -> None:
    """Copy the version's process template onto the case. The first step
    named 受理 (or owned by the front desk) is the acceptance just made;
    trailing front-desk steps (送达) complete when the result is issued;
    the steps between are the back office's. No template: one review step
    for the item's department within the promised limit."""
    template = list(case.version.steps.order_by("position"))
    if not template:
        template = [None]
    rows = []
    desk = {Role.CLERK, Role.AGENT}
    last_review = max(
        (i for i, s in enumerate(template) if s is None or s.role not in desk), default=-1
    )
    for i, s in enumerate(template):
        if s is None:
            kind, name, role, days, dept, desc = (
                StepKind.REVIEW,
                _("审批"),
                Role.APPROVER,
                case.promised_days or 0,
                None,
                "",
            )
        else:
            name, role, days, dept, desc = s.name, s.role, s.days, s.department_id, s.description
            if i == 0 and (role in desk or name == "受理"):
                kind = StepKind.ACCEPTANCE
            elif i > last_review and role in desk:
                kind = StepKind.DELIVERY
            else:
                kind = StepKind.REVIEW
        rows.append(
            CaseStep(
                case=case,
                position=i,
                name=name,
                kind=kind,
                department_id=dept or case.department_id,
                role=role,
                days=days,
                description=desc,
            )
        )
    if (
        not any(r.kind == StepKind.REVIEW for r in rows)
        and case.version.case_type != CaseType.INSTANT
    ):
        rows.insert(
            1 if rows and rows[0].kind == StepKind.ACCEPTANCE else 0,
            CaseStep(
                case=case,
                position=0,
                name=_("审批"),
                kind=StepKind.REVIEW,
                department_id=case.department_id,
                role=Role.APPROVER,
                days=case.promised_days or 0,
            ),
        )
    for i, r in enumerate(rows):
        r.position = i
    at = clock.now()
    for r in rows:
        if r.kind == StepKind.ACCEPTANCE:
            r.state, r.started_on, r.started_at = StepState.DONE, day, at
            r.finished_at, r.finished_by, r.outcome = at, by, "pass"
    CaseStep.objects.bulk_create(rows)


def _activate(step: CaseStep, day: dt.date) -> None:
    step.state = StepState.ACTIVE
    step.started_on, step.started_at = day, clock.now()
    step.finished_at = step.finished_by = None
    step.outcome = step.opinion = ""
    step.save()


def _first_step(case: Case, kind: str) -> CaseStep | None:
    return case.steps.filter(kind=kind, state=StepState.PENDING).order_by("position").first()


def _active(case: Case) -> CaseStep:
    step = case.steps.filter(state=StepState.ACTIVE).first()
    if step is None:
        raise Conflict(_("办件当前没有待办环节"), code="case.no_active_step")
    return step


def _finish_step(step: CaseStep, by, outcome: str, opinion: str, state=StepState.DONE) -> None:
    step.state = state
    step.finished_at, step.finished_by = clock.now(), by
    step.outcome, step.opinion = outcome, opinion
    if step.assignee_id is None:
        step.assignee = by
    step.save()
