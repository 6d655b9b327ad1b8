"""Who sees which cases (loaded by ``rules.apps.AutodiscoverRulesConfig``).

- Applicants see their own cases (and the agent who applied, through the
  agent's region scope).
- Front desk, agents, supervisors, the hotline and sysadmins see the cases
  accepted in their region subtree (a town clerk: the town and its villages).
- Department approvers see the cases of their department.

Anything else is 404, exactly like a case that does not exist.
"""

from __future__ import annotations

import rules

from yiwang.accounts.models import Role
from yiwang.accounts.scopes import Scope, in_scope, register_scope

from .models import Case

CASE_SCOPE = register_scope(
    Case,
    Scope(
        region="region",
        department="department",
        owner="applicant",
        region_roles=(Role.CLERK, Role.AGENT, Role.SUPERVISOR, Role.HOTLINE, Role.SYSADMIN),
        department_roles=(Role.APPROVER, Role.SUPERVISOR),
    ),
)


@rules.predicate
def can_view_case(user, case=None):
    return case is not None and in_scope(user, case, CASE_SCOPE)


rules.set_perm("cases.view_case", can_view_case)
