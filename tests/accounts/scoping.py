"""A small populated county for the scoping tests (API and pages)."""

from types import SimpleNamespace

from yiwang.accounts.models import Role

from .factories import CitizenFactory, EnterpriseFactory, region_tree, staff_with_role


def build_world() -> SimpleNamespace:
    t = region_tree()
    w = SimpleNamespace(tree=t)
    w.c_village = CitizenFactory(region=t.village, real_name="村民甲")
    w.c_village2 = CitizenFactory(region=t.village2, real_name="村民乙")
    w.c_town = CitizenFactory(region=t.town, real_name="镇民丙")
    w.c_other = CitizenFactory(region=t.other_village, real_name="外镇丁")
    w.e_town = EnterpriseFactory(region=t.town)
    w.agent = staff_with_role(Role.AGENT, t.village, username="agent")
    w.town_clerk = staff_with_role(Role.CLERK, t.town, hall=t.town_hall, username="town-clerk")
    w.other_clerk = staff_with_role(
        Role.CLERK, t.other_town, hall=t.other_town_hall, username="other-clerk"
    )
    w.approver = staff_with_role(Role.APPROVER, department=t.department, username="approver")
    w.approver2 = staff_with_role(Role.APPROVER, department=t.department, username="approver2")
    w.other_approver = staff_with_role(
        Role.APPROVER, department=t.other_department, username="other-approver"
    )
    w.sysadmin = staff_with_role(Role.SYSADMIN, t.county, username="sysadmin")
    return w


# (who, citizen in scope, citizen out of scope) — per role
CITIZEN_CASES = [
    ("agent", "c_village", "c_village2"),
    ("town_clerk", "c_village2", "c_other"),
    ("town_clerk", "c_town", "c_other"),
    ("sysadmin", "c_other", None),
    ("approver", None, "c_village"),
    ("c_village", "c_village", "c_village2"),
]

# (who, staff in scope, staff out of scope)
STAFF_CASES = [
    ("sysadmin", "other_approver", None),
    ("town_clerk", "agent", "other_clerk"),
    ("approver", "approver2", "other_approver"),
    ("agent", "agent", "town_clerk"),
    ("c_village", None, "agent"),
]
