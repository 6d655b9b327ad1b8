"""The account pages through Django's test client."""

import datetime as dt

import pytest
from django_otp import DEVICE_ID_SESSION_KEY

from yiwang.accounts.models import AccountStatus, User
from yiwang.core.audit import AuditEntry
from yiwang.core.identifiers import generate_resident_id

from .conftest import verified_login
from .factories import CitizenFactory, staff_with_role, totp_code
from .scoping import CITIZEN_CASES, build_world

pytestmark = pytest.mark.django_db

PW = "Yiwang@2026"
ID = generate_resident_id("511602", dt.date(1980, 8, 8), 88)


def page(resp) -> str:
    return resp.content.decode()


def test_login_page_has_both_tabs(client):
    assert "身份证号码" in page(client.get("/accounts/login/"))
    staff = page(client.get("/accounts/login/?tab=staff"))
    assert 'name="otp_token"' in staff and 'name="username"' in staff


def test_citizen_login_and_precise_errors(client, clock):
    citizen = CitizenFactory(id_number=ID)
    resp = client.post("/accounts/login/", {"tab": "public", "identifier": "12", "password": PW})
    assert resp.status_code == 400
    assert "请输入18位身份证号码" in page(resp) and "is-invalid" in page(resp)
    resp = client.post(
        "/accounts/login/", {"tab": "public", "identifier": ID, "password": "bad-password"}
    )
    assert "再失败4次" in page(resp)
    resp = client.post("/accounts/login/", {"tab": "public", "identifier": ID, "password": PW})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/me/"
    me = page(client.get("/accounts/me/"))
    assert citizen.masked_id_number in me and ID not in me


def test_staff_login_with_totp_then_lookup(client, clock):
    w = build_world()
    code = totp_code(w.town_clerk.totp_device, clock())
    resp = client.post(
        "/accounts/login/",
        {"tab": "staff", "username": "town-clerk", "password": PW, "otp_token": "12"},
    )
    assert resp.status_code == 400 and "动态验证码不正确" in page(resp)
    resp = client.post(
        "/accounts/login/",
        {
            "tab": "staff",
            "username": "town-clerk",
            "password": PW,
            "otp_token": code,
            "next": "/accounts/citizens/",
        },
    )
    assert resp.status_code == 302 and resp["Location"] == "/accounts/citizens/"
    assert client.session[DEVICE_ID_SESSION_KEY]
    listing = page(client.get("/accounts/citizens/"))
    assert "村民甲" in listing and "外镇丁" not in listing


def test_staff_without_device_is_sent_to_totp_setup(client, clock):
    staff_with_role("clerk", build_world().tree.town, username="fresh", totp=False)
    resp = client.post("/accounts/login/", {"tab": "staff", "username": "fresh", "password": PW})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/totp/"
    assert client.get("/accounts/citizens/")["Location"] == "/accounts/totp/"
    resp = client.get("/accounts/totp/")
    html = page(resp)
    assert "<svg" in html and "otpauth://totp/" in html
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username="fresh", confirmed=False)
    resp = client.post(
        "/accounts/totp/",
        {"otp_token": "000000" if totp_code(device, clock()) != "000000" else "111111"},
    )
    assert resp.status_code == 400 and "动态验证码不正确" in page(resp)
    resp = client.post("/accounts/totp/", {"otp_token": totp_code(device, clock())})
    assert resp.status_code == 302
    assert client.get("/accounts/citizens/").status_code == 200


def test_password_only_staff_session_is_not_enough(client):
    w = build_world()
    client.force_login(w.town_clerk, backend="django.contrib.auth.backends.ModelBackend")
    resp = client.get("/accounts/citizens/")
    assert resp.status_code == 302 and "tab=staff" in resp["Location"]


def test_register_page_errors_next_to_fields_and_success(client):
    wrong = ID[:17] + ("0" if ID[-1] != "0" else "1")
    data = {
        "kind": "citizen",
        "id_number": wrong,
        "real_name": "张三",
        "phone": "13812345678",
        "password": PW,
        "password2": PW,
    }
    resp = client.post("/accounts/register/", data)
    assert resp.status_code == 400
    assert f"校验码应为 {ID[-1]}" in page(resp) and 'id="id_id_number_errors"' in page(resp)
    assert User.objects.count() == 0
    resp = client.post("/accounts/register/", dict(data, id_number=ID, password2="other"))
    assert "两次输入的密码不一致" in page(resp)
    resp = client.post("/accounts/register/", dict(data, id_number=ID))
    assert resp.status_code == 302 and resp["Location"] == "/accounts/me/"
    assert "enterprise" in page(client.get("/accounts/register/?kind=enterprise"))


def test_profile_change_phone_and_deregister(client):
    citizen = CitizenFactory(id_number=ID, phone="13812345678")
    client.force_login(citizen)
    resp = client.post("/accounts/me/", {"phone": "123"})
    assert resp.status_code == 400 and "手机号码应为" in page(resp)
    resp = client.post("/accounts/me/", {"phone": "13900001111"})
    assert resp.status_code == 302
    assert "139****1111" in page(client.get("/accounts/me/"))
    resp = client.post("/accounts/me/deregister/", {"reason": "迁出", "password": PW})
    assert resp.status_code == 400 and "请勾选确认" in page(resp)
    resp = client.post(
        "/accounts/me/deregister/", {"reason": "迁出", "password": PW, "confirm": "on"}
    )
    assert resp.status_code == 302
    citizen.refresh_from_db()
    assert citizen.status == AccountStatus.CLOSED
    assert client.get("/accounts/me/").status_code == 302  # logged out


def test_logout(client):
    client.force_login(CitizenFactory())
    assert client.get("/accounts/logout/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/me/").status_code == 302


@pytest.mark.parametrize("who, inside, outside", CITIZEN_CASES)
def test_citizen_pages_are_scoped(client, who, inside, outside):
    w = build_world()
    user = getattr(w, who)
    if user.kind == "staff":
        verified_login(client, user)
    else:
        client.force_login(user)
    staff = user.kind == "staff"
    if inside and staff:
        assert client.get(f"/accounts/citizens/{getattr(w, inside).pk}/").status_code == 200
    if outside:
        assert client.get(f"/accounts/citizens/{getattr(w, outside).pk}/").status_code == 404
    if not staff:  # the lookup pages do not exist for citizens
        assert client.get("/accounts/citizens/").status_code == 404
        assert client.get(f"/accounts/citizens/{user.pk}/").status_code == 404


def test_reveal_on_the_page_is_audited(client):
    w = build_world()
    verified_login(client, w.agent)
    url = f"/accounts/citizens/{w.c_village.pk}/"
    html = page(client.get(url))
    assert w.c_village.masked_id_number in html and w.c_village.clear_id_number not in html
    resp = client.post(url, {"field": "id_number", "reason": ""})
    assert resp.status_code == 400 and "须填写事由" in page(resp)
    resp = client.post(url, {"field": "id_number", "reason": "代办核对"})
    assert w.c_village.clear_id_number in page(resp)
    assert AuditEntry.objects.filter(action="pii.reveal", actor_id=str(w.agent.pk)).count() == 1


REGISTER_ERRORS = [
    # (field, value, Chinese message fragment, English message fragment)
    ("id_number", ID[:17] + ("0" if ID[-1] != "0" else "1"), "校验码应为", "check digit"),
    ("id_number", "51160220230230123X", "出生日期 2023-02-30 不存在", "Birth date 2023-02-30"),
    ("id_number", generate_resident_id("991602", dt.date(1990, 1, 1), 1), "区划", "region"),
    ("region_code", "511602999999", "不在本平台的行政区划中", "is not among this platform"),
]


@pytest.mark.parametrize("field, value, zh, en", REGISTER_ERRORS)
def test_register_page_errors_are_precise_in_both_languages(client, field, value, zh, en):
    data = {
        "kind": "citizen",
        "id_number": ID,
        "real_name": "张三",
        "phone": "13812345678",
        "password": PW,
        "password2": PW,
        field: value,
    }
    before = (User.objects.count(), AuditEntry.objects.count())
    resp = client.post("/accounts/register/", data)
    assert resp.status_code == 400
    assert zh in page(resp) and f'id="id_{field}_errors"' in page(resp)
    resp = client.post("/accounts/register/", data, headers={"accept-language": "en"})
    assert resp.status_code == 400 and en in page(resp), page(resp)
    assert (User.objects.count(), AuditEntry.objects.count()) == before


def test_register_page_duplicate_in_both_languages(client):
    CitizenFactory(id_number=ID)
    data = {
        "kind": "citizen",
        "id_number": ID,
        "real_name": "张三",
        "phone": "13812345678",
        "password": PW,
        "password2": PW,
    }
    before = User.objects.count()
    resp = client.post("/accounts/register/", data)
    assert resp.status_code == 400 and "该身份证号码已注册账户" in page(resp)
    resp = client.post("/accounts/register/", data, headers={"accept-language": "en"})
    assert "already registered with this ID card number" in page(resp)
    assert User.objects.count() == before


def test_register_page_residence_puts_the_citizen_in_the_agents_scope(client):
    w = build_world()
    form = page(client.get("/accounts/register/"))
    assert f'value="{w.tree.village.code}"' in form and "翠屏路社区居委会" in form
    data = {
        "kind": "citizen",
        "id_number": ID,
        "real_name": "张三",
        "phone": "13812345678",
        "region_code": w.tree.village.code,
        "password": PW,
        "password2": PW,
    }
    resp = client.post("/accounts/register/", data)
    assert resp.status_code == 302, page(resp)
    user = User.objects.get(real_name="张三")
    assert user.region == w.tree.village
    client.logout()
    verified_login(client, w.agent)
    assert "张三" in page(client.get("/accounts/citizens/"))
    assert client.get(f"/accounts/citizens/{user.pk}/").status_code == 200


def test_profile_change_residence_moves_the_citizen_between_scopes(client):
    w = build_world()
    citizen = w.c_village
    client.force_login(citizen)
    form = page(client.get("/accounts/me/"))
    assert f'<option value="{w.tree.village.code}" selected>' in form
    before = AuditEntry.objects.count()
    resp = client.post("/accounts/me/", {"form": "residence", "region_code": "511602999999"})
    assert resp.status_code == 400 and "不在本平台的行政区划中" in page(resp)
    assert AuditEntry.objects.count() == before
    resp = client.post(
        "/accounts/me/", {"form": "residence", "region_code": w.tree.other_village.code}
    )
    assert resp.status_code == 302
    citizen.refresh_from_db()
    assert citizen.region == w.tree.other_village
    assert AuditEntry.objects.filter(target_id=str(citizen.pk), action="account.update").exists()
    client.logout()
    verified_login(client, w.agent)
    assert client.get(f"/accounts/citizens/{citizen.pk}/").status_code == 404


def test_staff_login_page_locks_after_repeated_failures(client, clock, settings):
    """Wrong passwords and wrong TOTP codes both count; at the limit the page
    says until when the account is locked, and even the right password and
    code are refused until then."""
    settings.YIWANG_LOGIN_MAX_FAILURES = 3
    settings.YIWANG_LOGIN_LOCK_MINUTES = 15
    w = build_world()

    def attempt(password, otp):
        return client.post(
            "/accounts/login/",
            {"tab": "staff", "username": "town-clerk", "password": password, "otp_token": otp},
        )

    good = totp_code(w.town_clerk.totp_device, clock())
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    resp = attempt("wrong-password", good)
    assert resp.status_code == 400 and "再失败2次账户将被锁定15分钟" in page(resp)
    resp = attempt(PW, bad)
    assert resp.status_code == 400 and "动态验证码不正确" in page(resp)
    resp = attempt(PW, bad)
    assert resp.status_code == 400 and "账户已锁定至" in page(resp)
    resp = attempt(PW, totp_code(w.town_clerk.totp_device, clock()))
    assert resp.status_code == 400 and "连续登录失败次数过多" in page(resp)
    assert "_auth_user_id" not in client.session
    clock.advance(minutes=16)
    resp = attempt(PW, totp_code(w.town_clerk.totp_device, clock()))
    assert resp.status_code == 302
