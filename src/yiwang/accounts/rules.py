"""Permissions for accounts, as ``rules`` predicates over the scopes in
``scopes.py``. Loaded by ``rules.apps.AutodiscoverRulesConfig``.

Two views of the same ``User`` table have different scopes, so they are
named here rather than registered per model:

- ``CITIZEN_RECORDS``: citizens and enterprises, by the region they live in;
  a citizen sees only their own account;
- ``STAFF_DIRECTORY``: staff, by where their roles lie (region subtree or
  department).
"""

from __future__ import annotations

import rules

from yiwang.regions.rules import PERMISSIONS as REGION_PERMISSIONS

from .models import AccountKind, Role
from .scopes import (
    Scope,
    in_region_scope,
    in_scope,
    is_active_account,
    is_staff_account,
    is_supervisor,
    is_sysadmin,
)

CITIZEN_RECORDS = Scope(
    region="region",
    owner="pk",
    region_roles=(Role.CLERK, Role.AGENT, Role.SYSADMIN, Role.SUPERVISOR, Role.HOTLINE),
    department_roles=(),
)

STAFF_DIRECTORY = Scope(
    region="roles__region",
    department="roles__department",
    owner="pk",
    department_roles=(Role.APPROVER, Role.DATA_OFFICER),
    distinct=True,
)

# Who may see a clear ID number or phone (with a reason, audited).
REVEAL_ROLES = (Role.CLERK, Role.AGENT)


@rules.predicate
def can_view_citizen(user, obj=None):
    if obj is None:
        return is_staff_account(user)
    return obj.kind != AccountKind.STAFF and in_scope(user, obj, CITIZEN_RECORDS)


@rules.predicate
def can_reveal_pii(user, obj=None):
    if not is_active_account(user) or obj is None:
        return False
    return obj.kind != AccountKind.STAFF and in_region_scope(user, obj.region, *REVEAL_ROLES)


@rules.predicate
def can_view_staff(user, obj=None):
    if obj is None:
        return is_staff_account(user)
    return obj.kind == AccountKind.STAFF and in_scope(user, obj, STAFF_DIRECTORY)


rules.set_perm("accounts.view_citizen", can_view_citizen)
rules.set_perm("accounts.reveal_pii", can_reveal_pii)
rules.set_perm("accounts.view_staff", can_view_staff)
rules.set_perm("accounts.manage_staff", is_sysadmin)

# The division, hall, window and department directory is administered by
# sysadmins (regions names the permissions; it does not know roles).
for _perm in REGION_PERMISSIONS:
    rules.set_perm(_perm, is_sysadmin)

# The working-day calendar (its override table and imported years) is kept by
# sysadmins; the audit trail is read by sysadmins and supervisors. Module
# permissions (a bare app label) let them see the app in the admin index.
CALENDAR_PERMISSIONS = [
    f"core.{action}_{model}"
    for model in ("calendaroverride", "calendaryear")
    for action in ("view", "add", "change", "delete")
]
for _perm in CALENDAR_PERMISSIONS:
    rules.set_perm(_perm, is_sysadmin)
rules.set_perm("core.view_auditentry", is_sysadmin | is_supervisor)
rules.set_perm("core", is_sysadmin)
rules.set_perm("regions", is_sysadmin)
