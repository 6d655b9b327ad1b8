"""Who a user is to a case: the parties of the lifecycle table.

The table in ``lifecycle`` names parties (applicant, clerk, issuer, approver,
decider, system); these predicates decide them for one user and one case.
Visibility (may the user see the case at all) is the registered scope in
``rules``; a user outside it gets 404 before any party is asked.
"""

from __future__ import annotations

from yiwang.accounts.models import Role
from yiwang.accounts.scopes import in_region_scope, is_active_account, roles_of

from . import lifecycle
from .models import ExtensionStatus, StepState

# Front-desk roles: a clerk at any hall, and a village agent in the village room.
DESK_ROLES = (Role.CLERK, Role.AGENT)


def is_applicant(user, case) -> bool:
    if not is_active_account(user):
        return False
    return user.pk in (case.applicant_id, case.agent_id) and user.pk is not None


def is_desk(user, region) -> bool:
    return in_region_scope(user, region, *DESK_ROLES)


def is_clerk(user, case) -> bool:
    return is_desk(user, case.region)


def is_issuer(user, case) -> bool:
    hall = case.issue_hall or case.hall
    return is_desk(user, hall.region)


def active_step(case):
    return next((s for s in case.steps.all() if s.state == StepState.ACTIVE), None)


def approves_department(user, department_id) -> bool:
    return any(r.department_id == department_id for r in roles_of(user, Role.APPROVER))


def is_approver(user, case) -> bool:
    step = active_step(case)
    if step is None or not is_active_account(user):
        return False
    if step.assignee_id and step.assignee_id != user.pk:
        return False
    return approves_department(user, step.department_id or case.department_id)


def is_decider(user, case) -> bool:
    step = active_step(case)
    if step is None or not is_active_account(user):
        return False
    # From the case's extensions as read (prefetched by the detail views, so
    # the buttons cost no query per transition); at most one is requested.
    pending = next(
        (e for e in case.extensions.all() if e.status == ExtensionStatus.REQUESTED), None
    )
    if pending is not None and pending.requested_by_id == user.pk:
        return False  # nobody approves their own extension
    return approves_department(user, step.department_id or case.department_id)


PREDICATES = {
    lifecycle.APPLICANT: is_applicant,
    lifecycle.CLERK: is_clerk,
    lifecycle.ISSUER: is_issuer,
    lifecycle.APPROVER: is_approver,
    lifecycle.DECIDER: is_decider,
}


def may(user, case, transition) -> bool:
    if user is None:
        return lifecycle.SYSTEM in transition.parties
    return any(PREDICATES[p](user, case) for p in transition.parties if p != lifecycle.SYSTEM)


def allowed_actions(user, case) -> list:
    """The transitions ``user`` may take on ``case`` now (the buttons to show)."""
    return [
        t for t in lifecycle.TRANSITIONS.values() if case.status in t.sources and may(user, case, t)
    ]
