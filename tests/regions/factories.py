"""Small helpers for regions tests: staff users with roles, and a small tree.
(The accounts app will offer proper factories; these make the rows directly.)"""

from __future__ import annotations

from yiwang.accounts.models import StaffRole, User
from yiwang.regions import services


def staff(username: str, role: str, region, **extra) -> User:
    user = User(kind="staff", username=username, real_name=username, **extra)
    user.set_unusable_password()
    user.save()
    StaffRole.objects.create(user=user, role=role, region=region)
    return user


def superuser(username: str = "root") -> User:
    user = User(kind="staff", username=username, is_superuser=True, is_staff=True)
    user.set_unusable_password()
    user.save()
    return user


def small_county() -> dict:
    """广安区 with two towns and three villages, made through the services."""
    make = services.create_region
    tree = {
        "county": make(by=None, code="511602000000", name="广安区"),
    }
    tree["town"] = make(by=None, code="511602001000", name="浓洄街道")
    tree["town2"] = make(by=None, code="511602101000", name="官盛镇")
    tree["community"] = make(by=None, code="511602001001", name="翠屏路社区居委会")
    tree["village"] = make(by=None, code="511602101201", name="青山村村委会")
    tree["village2"] = make(by=None, code="511602101202", name="绿水村村委会")
    return tree
