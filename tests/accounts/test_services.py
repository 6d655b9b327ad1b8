"""Account services: registration failures each with their own message and
nothing written; deregistration; profile; staff; TOTP; lockout."""

import datetime as dt
import importlib

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection

from yiwang.accounts import services
from yiwang.accounts.models import AccountStatus, Role, StaffRole, User
from yiwang.core import pii
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yiwang.core.identifiers import generate_resident_id

from .factories import (
    CitizenFactory,
    add_totp,
    credit_code,
    resident_id,
    staff_with_role,
    totp_code,
)

pytestmark = pytest.mark.django_db

PW = "Yiwang@2026"
GOOD_ID = generate_resident_id("511602", dt.date(1985, 5, 20), 321)


def counts():
    return User.objects.count(), AuditEntry.objects.count()


def register_fails(code, **overrides):
    args = {"id_number": GOOD_ID, "real_name": "张三", "phone": "13812345678", "password": PW}
    args.update(overrides)
    before = counts()
    with pytest.raises((ValidationFailed, Conflict)) as info:
        services.register_citizen(**args)
    assert info.value.code == code, info.value.message
    assert counts() == before, "nothing may be written on invalid input"
    return info.value


def test_register_citizen_stores_encrypted_and_finds_by_hash(tree):
    user = services.register_citizen(GOOD_ID, "张三", "138 1234 5678", PW, tree.village.code)
    assert user.kind == "citizen" and user.region == tree.village
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_number_enc, phone_enc, id_number_hash FROM accounts_user WHERE id = %s",
            [user.pk.hex],
        )
        enc_id, enc_phone, id_hash = cur.fetchone()
    raw = bytes(enc_id) + bytes(enc_phone) + id_hash.encode()
    assert GOOD_ID.encode() not in raw and b"13812345678" not in raw
    assert User.objects.get(id_number_hash=pii.search_hash("id_number", GOOD_ID)) == user
    assert user.masked_id_number == GOOD_ID[:4] + "*" * 10 + GOOD_ID[-4:]
    assert user.masked_phone == "138****5678"
    entry = AuditEntry.objects.get(action="account.register", target_id=str(user.pk))
    assert GOOD_ID not in str(entry.after)


def test_wrong_check_digit():
    wrong = GOOD_ID[:17] + ("0" if GOOD_ID[-1] != "0" else "1")
    err = register_fails("id_number.check_digit", id_number=wrong)
    assert f"校验码应为 {GOOD_ID[-1]}" in str(err.message)
    assert "id_number" in err.fields


def test_impossible_birth_date():
    err = register_fails("id_number.birth_date", id_number="51160220230230123X")
    assert str(err.message) == "出生日期 2023-02-30 不存在"


def test_unknown_region_prefix():
    register_fails(
        "id_number.region", id_number=generate_resident_id("991602", dt.date(1990, 1, 1), 1)
    )


def test_unknown_region_code(tree):
    err = register_fails("region.unknown", region_code="511602999999")
    assert "511602999999" in str(err.fields["region_code"][0])


def test_weak_password():
    err = register_fails("password.weak", password="12345678")
    assert err.fields["password"]


def test_bad_phone_and_missing_name_reported_together():
    err = register_fails("real_name.required", real_name=" ", phone="12345")
    assert set(err.fields) == {"real_name", "phone"}


def test_duplicate_active_account():
    services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    err = register_fails("account.duplicate", phone="13812345679")
    assert "已注册" in str(err.message)
    # lower-case x and spaces are the same person
    x_id = next(resident_id(n) for n in range(40, 400) if resident_id(n).endswith("X"))
    services.register_citizen(x_id, "李四", "13912345678", PW)
    register_fails("account.duplicate", id_number=x_id.lower(), phone="13912345670")


def test_phone_taken():
    services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    register_fails("phone.taken", id_number=resident_id(7))


def test_deregister_keeps_row_and_allows_new_account():
    user = services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    with pytest.raises(ValidationFailed) as info:
        services.deregister(user, user, "")
    assert info.value.code == "deregister.reason_required"
    services.deregister(user, user, "迁出本县")
    user.refresh_from_db()
    assert user.status == AccountStatus.CLOSED and user.closed_at and not user.is_active
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_citizen(GOOD_ID, PW)
    assert info.value.code == "login.closed"
    again = services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    assert again.pk != user.pk
    assert User.objects.filter(id_number_hash=pii.search_hash("id_number", GOOD_ID)).count() == 2
    assert AuditEntry.objects.filter(target_id=str(user.pk), action="account.deregister").exists()
    with pytest.raises(Conflict):
        services.deregister(user, None, "again")


def test_register_enterprise_and_failures():
    code = credit_code(9)
    user = services.register_enterprise(code, "广安测试有限公司", "王五", "13812340000", PW)
    assert user.credit_code == code and user.kind == "enterprise"
    before = counts()
    for bad, expected in [
        (code[:17] + ("0" if code[-1] != "0" else "1"), "credit_code.check_char"),
        ("B" + code[1:], "credit_code.authority"),
        (code, "account.duplicate"),
    ]:
        with pytest.raises((ValidationFailed, Conflict)) as info:
            services.register_enterprise(bad, "另一公司", "赵六", "13812340001", PW)
        assert info.value.code == expected
    assert counts() == before


def test_update_profile_phone_and_name_rules(tree):
    user = services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    services.update_profile(user, user, phone="13987654321", region_code=tree.village.code)
    user.refresh_from_db()
    assert user.masked_phone == "139****4321" and user.region == tree.village
    with pytest.raises(ValidationFailed) as info:
        services.update_profile(user, user, real_name="张三丰")
    assert info.value.code == "real_name.locked"
    with pytest.raises(ValidationFailed) as info:
        services.update_profile(user, user, password="x")
    assert info.value.code == "profile.unknown_field"
    other = CitizenFactory()
    with pytest.raises(NotFound):
        services.update_profile(user, other, phone="13700000000")
    clerk = staff_with_role(Role.CLERK, tree.town)
    services.update_profile(user, clerk, real_name="张三丰")  # in scope, after checking papers
    user.refresh_from_db()
    assert user.real_name == "张三丰"


def test_argon2_is_the_production_hasher():
    prod = importlib.import_module("yiwang.settings")
    assert prod.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("Yiwang@2026", hasher="argon2")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("Yiwang@2026", encoded)


# -- staff and roles


def test_create_staff_assign_and_revoke(tree):
    admin = staff_with_role(Role.SYSADMIN, tree.county)
    user = services.create_staff(
        "clerk1", "窗口甲", PW, roles=[{"role": "clerk", "hall": tree.town_hall}], by=admin
    )
    role = user.roles.get()
    assert role.region == tree.town and role.hall == tree.town_hall
    approver_role = services.assign_role(user, admin, "approver", department="区民政局")
    assert approver_role.department == tree.department
    assert services.assign_role(user, admin, "approver", department="区民政局") == approver_role
    services.revoke_role(approver_role, admin)
    assert not StaffRole.objects.get(pk=approver_role.pk).is_active
    with pytest.raises(ValidationFailed) as info:
        services.create_staff("clerk1", "重复", PW, roles=[], by=admin)
    assert info.value.code == "username.taken"
    with pytest.raises(ValidationFailed) as info:
        services.create_staff("x2", "审批", PW, roles=[{"role": "approver", "region": tree.county}])
    assert info.value.code == "role.department_required"


def test_only_sysadmins_in_scope_manage_staff(tree):
    clerk = staff_with_role(Role.CLERK, tree.town)
    with pytest.raises(Forbidden):
        services.create_staff(
            "x", "某人", PW, roles=[{"role": "clerk", "region": tree.town}], by=clerk
        )
    town_admin = staff_with_role(Role.SYSADMIN, tree.town)
    with pytest.raises(Forbidden):
        services.create_staff(
            "y", "某人", PW, roles=[{"role": "clerk", "region": tree.other_town}], by=town_admin
        )
    assert not User.objects.filter(username__in=["x", "y"]).exists()


def test_totp_setup_and_confirm(tree, clock):
    user = services.create_staff("t1", "甲", PW, roles=[{"role": "clerk", "region": tree.town}])
    device, uri = services.setup_totp(user)
    assert uri.startswith("otpauth://totp/") and "secret=" in uri and "issuer=" in uri
    with pytest.raises(ValidationFailed) as info:
        services.confirm_totp(
            user, "000000" if totp_code(device, clock()) != "000000" else "111111"
        )
    assert info.value.code == "totp.invalid"
    confirmed = services.confirm_totp(user, totp_code(device, clock()))
    assert confirmed.confirmed
    assert services.confirmed_device(user) == confirmed


# -- login and lockout


def test_citizen_login_by_id_or_phone(clock):
    services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    assert services.authenticate_citizen(GOOD_ID.lower(), PW).user.real_name == "张三"
    assert services.authenticate_citizen("138 1234 5678", PW).user.real_name == "张三"
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_citizen("abc", PW)
    assert info.value.code == "login.identifier_format"
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_citizen(resident_id(3), PW)
    assert info.value.code == "login.invalid"


def test_lockout_after_max_failures_and_unlock_after_lock_time(clock, settings):
    settings.YIWANG_LOGIN_MAX_FAILURES = 5
    settings.YIWANG_LOGIN_LOCK_MINUTES = 15
    services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    for attempt in range(1, 5):
        with pytest.raises(ValidationFailed) as info:
            services.authenticate_citizen(GOOD_ID, "wrong-password")
        assert info.value.code == "login.invalid"
        assert f"再失败{5 - attempt}次" in str(info.value.message)
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_citizen(GOOD_ID, "wrong-password")
    assert info.value.code == "login.locked"
    until = (clock() + dt.timedelta(minutes=15)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert until.strftime("%Y-%m-%d %H:%M") in str(info.value.message)
    # the right password does not get in while locked
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_citizen(GOOD_ID, PW)
    assert info.value.code == "login.locked"
    assert "锁定至" in str(info.value.message)
    clock.advance(seconds=2)
    user = services.authenticate_citizen(GOOD_ID, PW).user
    assert user.failed_logins == 0 and user.locked_until is None
    assert AuditEntry.objects.filter(action="account.locked", target_id=str(user.pk)).count() == 1


def test_success_resets_the_failure_count(clock):
    services.register_citizen(GOOD_ID, "张三", "13812345678", PW)
    for _ in range(4):
        with pytest.raises(ValidationFailed):
            services.authenticate_citizen(GOOD_ID, "nope-nope")
    services.authenticate_citizen(GOOD_ID, PW)
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_citizen(GOOD_ID, "nope-nope")
    assert "再失败4次" in str(info.value.message)


def test_staff_login_needs_totp_and_wrong_codes_count(tree, clock):
    clerk = staff_with_role(Role.CLERK, tree.town, username="clerk-a")
    device = clerk.totp_device
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_staff("clerk-a", PW, "")
    assert info.value.code == "login.otp_required"
    good = totp_code(device, clock())
    bad = "000000" if good != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(ValidationFailed) as info:
            services.authenticate_staff("clerk-a", PW, bad)
        assert info.value.code == "login.otp_invalid"
    outcome = services.authenticate_staff("clerk-a", PW, good)
    assert outcome.device == device and outcome.user == clerk
    # a code is good once (replay refused)
    with pytest.raises(ValidationFailed):
        services.authenticate_staff("clerk-a", PW, good)
    clock.advance(seconds=30)
    assert services.authenticate_staff("clerk-a", PW, totp_code(device, clock())).user == clerk


def test_staff_without_device_logs_in_to_set_it_up(tree, clock):
    staff_with_role(Role.CLERK, tree.town, username="new-clerk", totp=False)
    outcome = services.authenticate_staff("new-clerk", PW, "")
    assert outcome.needs_totp_setup and outcome.device is None
    with pytest.raises(ValidationFailed) as info:
        services.authenticate_staff("new-clerk", PW, "", require_otp=True)
    assert info.value.code == "login.totp_not_set_up"


def test_unlock_and_reset_totp(tree, clock):
    clerk = staff_with_role(Role.CLERK, tree.town, username="clerk-b")
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            services.authenticate_staff("clerk-b", "bad-password", "")
    clerk.refresh_from_db()
    assert clerk.locked_until
    services.unlock(clerk, None)
    clerk.refresh_from_db()
    assert clerk.locked_until is None
    device, uri = services.reset_totp(clerk, None, secret_base32="JBSWY3DPEHPK3PXP")
    assert device.confirmed and "JBSWY3DPEHPK3PXP" in uri
    add_totp  # noqa: B018 - factories exported for other apps
