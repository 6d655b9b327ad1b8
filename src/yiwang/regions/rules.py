"""Who may change divisions, halls, windows and departments, and who may
see retired ones.

This app names the permissions (``regions.<action>_<model>``); the accounts
app, which knows staff roles and builds on regions, grants them in its
``rules.py`` (to sysadmins). Superusers hold every permission. Reading the
directory (active divisions, halls, windows, departments) is public.
"""

from __future__ import annotations

ADMINISTER = "regions.change_region"
PERMISSIONS = [
    f"regions.{action}_{model}"
    for model in ("region", "hall", "window", "department")
    for action in ("view", "add", "change", "delete")
]


def can_administer(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.has_perm(ADMINISTER))
