"""Demo accounts: every role, valid numbers, fixed TOTP secret, idempotent."""

import pytest

from yiwang.accounts import demo, services
from yiwang.accounts.models import AccountKind, Role, User
from yiwang.accounts.rules import CITIZEN_RECORDS
from yiwang.accounts.scopes import scope_queryset
from yiwang.core.identifiers import parse_credit_code, parse_resident_id

from .factories import totp_code

pytestmark = pytest.mark.django_db


def test_demo_load_is_complete_and_idempotent(tree, clock):
    logins = demo.load()
    roles = {item["role"] for item in logins}
    assert set(Role.values) - {Role.APPROVER} <= roles and Role.APPROVER in roles
    assert sum(1 for i in logins if i["role"] == AccountKind.CITIZEN) == 6
    assert sum(1 for i in logins if i["role"] == AccountKind.ENTERPRISE) == 2
    count = User.objects.count()
    again = demo.load()
    assert User.objects.count() == count
    assert [i["login"] for i in again] == [i["login"] for i in logins]
    for item in logins:
        if item["role"] == AccountKind.CITIZEN:
            parse_resident_id(item["login"])
            assert services.authenticate_citizen(item["login"], demo.DEMO_PASSWORD)
        elif item["role"] == AccountKind.ENTERPRISE:
            parse_credit_code(item["login"])
    clerk = User.objects.get(username="demo-town-clerk")
    assert clerk.roles.get().region == tree.town
    device = services.confirmed_device(clerk)
    assert services.totp_secret(device) == demo.DEMO_TOTP_SECRET
    outcome = services.authenticate_staff(
        "demo-town-clerk", demo.DEMO_PASSWORD, totp_code(device, clock())
    )
    assert outcome.device == device
    agent = User.objects.get(username="demo-agent")
    assert agent.roles.get().region == tree.village
    approver = User.objects.get(username="demo-approver")
    assert approver.roles.get().department.name == "区民政局"


def test_demo_shows_scopes_across_towns(tree, clock):
    """One demo citizen lives in another town's village, with her own agent:
    the 浓洄 clerk and agent cannot see her; her agent sees only her."""
    demo.load()
    records = User.objects.exclude(kind=AccountKind.STAFF)
    zhou = User.objects.get(real_name="周桂兰")
    assert zhou.region == tree.other_village

    def visible(username):
        user = User.objects.get(username=username)
        return set(
            scope_queryset(user, records, CITIZEN_RECORDS).values_list("real_name", flat=True)
        )

    assert visible("demo-agent-2") == {"周桂兰"}
    assert "周桂兰" not in visible("demo-town-clerk") | visible("demo-agent")
    assert {"张建国", "刘芳"} <= visible("demo-town-clerk")
    assert "周桂兰" in visible("demo-sysadmin")
