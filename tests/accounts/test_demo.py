"""Demo accounts: every role, valid numbers, fixed TOTP secret, idempotent."""

import pytest

from yiwang.accounts import demo, services
from yiwang.accounts.models import AccountKind, Role, User
from yiwang.core.identifiers import parse_credit_code, parse_resident_id

from .factories import totp_code

pytestmark = pytest.mark.django_db


def test_demo_load_is_complete_and_idempotent(tree, clock):
    logins = demo.load()
    roles = {item["role"] for item in logins}
    assert set(Role.values) - {Role.APPROVER} <= roles and Role.APPROVER in roles
    assert sum(1 for i in logins if i["role"] == AccountKind.CITIZEN) == 5
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
