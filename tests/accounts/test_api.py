"""The accounts API: registration, token login, me, deregistration, and the
scoped citizen records and staff directory (out of scope is 404)."""

import datetime as dt

import pytest

from yiwang.accounts import services
from yiwang.accounts.models import AccountStatus, User
from yiwang.core.audit import AuditEntry
from yiwang.core.identifiers import generate_resident_id

from .conftest import token_for
from .factories import credit_code, resident_id, totp_code
from .scoping import CITIZEN_CASES, STAFF_CASES, build_world

pytestmark = pytest.mark.django_db

PW = "Yiwang@2026"
ID = generate_resident_id("511602", dt.date(1992, 2, 29), 17)
REG = "/api/v1/accounts/register/citizen/"


def body(**overrides):
    data = {"id_number": ID, "real_name": "张三", "phone": "13812345678", "password": PW}
    data.update(overrides)
    return data


def test_register_citizen_returns_masked_account(api, tree):
    resp = api.post(REG, body(region_code=tree.village.code), format="json")
    assert resp.status_code == 201, resp.json()
    data = resp.json()
    assert data["id_number"] == ID[:4] + "**********" + ID[-4:]
    assert data["phone"] == "138****5678"
    assert data["region"] == tree.village.code
    assert ID not in resp.content.decode()


@pytest.mark.parametrize(
    "overrides, status, code, field",
    [
        (
            {"id_number": ID[:17] + ("0" if ID[-1] != "0" else "1")},
            400,
            "id_number.check_digit",
            "id_number",
        ),
        ({"id_number": "51160220230230123X"}, 400, "id_number.birth_date", "id_number"),
        (
            {"id_number": generate_resident_id("991602", dt.date(1990, 1, 1), 1)},
            400,
            "id_number.region",
            "id_number",
        ),
        ({"id_number": "123"}, 400, "id_number.length", "id_number"),
        ({"password": "123"}, 400, "password.weak", "password"),
        ({"phone": "02812345678"}, 400, "phone.invalid", "phone"),
        ({"real_name": ""}, 400, "real_name.required", "real_name"),
    ],
)
def test_register_errors_have_code_message_fields_and_write_nothing(
    api, overrides, status, code, field
):
    before = (User.objects.count(), AuditEntry.objects.count())
    resp = api.post(REG, body(**overrides), format="json")
    assert resp.status_code == status
    data = resp.json()
    assert data["code"] == code
    assert data["message"] and data["fields"][field]
    assert (User.objects.count(), AuditEntry.objects.count()) == before


def test_register_messages_are_chinese_by_default(api):
    resp = api.post(REG, body(id_number="51160220230230123X"), format="json")
    assert resp.json()["message"] == "出生日期 2023-02-30 不存在"


def test_register_messages_in_english_when_asked(api):
    resp = api.post(
        REG, body(id_number="51160220230230123X"), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert resp.status_code == 400
    assert resp.json()["message"] == "Birth date 2023-02-30 does not exist"


def test_duplicate_registration_is_409(api):
    assert api.post(REG, body(), format="json").status_code == 201
    before = User.objects.count()
    resp = api.post(REG, body(phone="13812345679"), format="json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "account.duplicate"
    assert User.objects.count() == before


def test_register_enterprise(api):
    code = credit_code(3)
    data = {
        "credit_code": code,
        "name": "广安测试有限公司",
        "legal_representative": "王五",
        "phone": "13812340000",
        "password": PW,
    }
    resp = api.post("/api/v1/accounts/register/enterprise/", data, format="json")
    assert resp.status_code == 201 and resp.json()["credit_code"] == code
    bad = dict(data, credit_code=code[:17] + ("0" if code[-1] != "0" else "1"))
    resp = api.post("/api/v1/accounts/register/enterprise/", bad, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "credit_code.check_char"


def test_token_login_me_patch_and_deregister(api, clock):
    api.post(REG, body(), format="json")
    resp = api.post(
        "/api/v1/accounts/token/", {"identifier": "13812345678", "password": PW}, format="json"
    )
    assert resp.status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token " + resp.json()["token"])
    me = api.get("/api/v1/accounts/me/").json()
    assert me["real_name"] == "张三" and me["id_number"].count("*") == 10
    resp = api.patch("/api/v1/accounts/me/", {"phone": "13987654321"}, format="json")
    assert resp.status_code == 200 and resp.json()["phone"] == "139****4321"
    resp = api.patch("/api/v1/accounts/me/", {"phone": "123"}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "phone.invalid"
    resp = api.post(
        "/api/v1/accounts/me/deregister/", {"reason": "迁出", "password": "wrong"}, format="json"
    )
    assert resp.status_code == 400 and resp.json()["code"] == "deregister.password"
    resp = api.post(
        "/api/v1/accounts/me/deregister/", {"reason": "迁出", "password": PW}, format="json"
    )
    assert resp.status_code == 200 and resp.json()["status"] == "closed"
    assert api.get("/api/v1/accounts/me/").status_code in (401, 403)  # token dropped
    api.credentials()
    resp = api.post("/api/v1/accounts/token/", {"identifier": ID, "password": PW}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "login.closed"
    assert User.objects.filter(status=AccountStatus.CLOSED).count() == 1


def test_token_login_errors(api, clock):
    api.post(REG, body(), format="json")
    resp = api.post(
        "/api/v1/accounts/token/", {"identifier": ID, "password": "wrong-one"}, format="json"
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "login.invalid"
    assert "再失败4次" in resp.json()["message"]


def test_staff_token_requires_otp(api, clock):
    w = build_world()
    url = "/api/v1/accounts/token/"
    resp = api.post(url, {"username": "town-clerk", "password": PW}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "login.otp_required"
    resp = api.post(
        url,
        {
            "username": "town-clerk",
            "password": PW,
            "otp_token": totp_code(w.town_clerk.totp_device, clock()),
        },
        format="json",
    )
    assert resp.status_code == 200
    assert resp.json()["account"]["roles"][0]["role"] == "clerk"


def test_staff_session_without_otp_is_refused(api, client):
    w = build_world()
    api.force_login(w.town_clerk, backend="django.contrib.auth.backends.ModelBackend")
    assert api.get("/api/v1/citizens/").status_code == 403


def _ids(resp):
    return {row["id"] for row in resp.json()["results"]}


@pytest.mark.parametrize("who, inside, outside", CITIZEN_CASES)
def test_citizen_records_are_scoped(api, who, inside, outside):
    w = build_world()
    token_for(api, getattr(w, who))
    listed = _ids(api.get("/api/v1/citizens/"))
    if inside:
        target = getattr(w, inside)
        resp = api.get(f"/api/v1/citizens/{target.pk}/")
        assert resp.status_code == 200
        assert resp.json()["id_number"] == target.masked_id_number
        assert target.clear_id_number not in resp.content.decode()
        assert str(target.pk) in listed
    if outside:
        target = getattr(w, outside)
        resp = api.get(f"/api/v1/citizens/{target.pk}/")
        assert resp.status_code == 404
        assert resp.json()["code"] == "not_found"
        assert target.real_name not in resp.content.decode()
        assert str(target.pk) not in listed


def test_agent_sees_only_the_village(api):
    w = build_world()
    token_for(api, w.agent)
    assert _ids(api.get("/api/v1/citizens/")) == {str(w.c_village.pk)}
    token_for(api, w.town_clerk)
    assert _ids(api.get("/api/v1/citizens/")) == {
        str(u.pk) for u in (w.c_village, w.c_village2, w.c_town, w.e_town)
    }


def test_citizen_lookup_by_id_number(api):
    w = build_world()
    token_for(api, w.sysadmin)
    resp = api.get("/api/v1/citizens/", {"id_number": w.c_other.clear_id_number.lower()})
    assert _ids(resp) == {str(w.c_other.pk)}


@pytest.mark.parametrize("who, inside, outside", STAFF_CASES)
def test_staff_directory_is_scoped(api, who, inside, outside):
    w = build_world()
    token_for(api, getattr(w, who))
    if inside:
        assert api.get(f"/api/v1/staff/{getattr(w, inside).pk}/").status_code == 200
    if outside:
        assert api.get(f"/api/v1/staff/{getattr(w, outside).pk}/").status_code == 404


def test_staff_directory_contents(api):
    w = build_world()
    token_for(api, w.sysadmin)
    assert api.get("/api/v1/staff/").json()["count"] == 7
    token_for(api, w.town_clerk)
    assert {r["username"] for r in api.get("/api/v1/staff/").json()["results"]} == {
        "agent",
        "town-clerk",
    }
    token_for(api, w.approver)
    assert {r["username"] for r in api.get("/api/v1/staff/").json()["results"]} == {
        "approver",
        "approver2",
    }


def test_reveal_is_for_clerks_and_agents_in_scope_and_audited(api):
    w = build_world()
    url = f"/api/v1/citizens/{w.c_village.pk}/reveal/"
    token_for(api, w.town_clerk)
    resp = api.post(url, {"reason": ""}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "pii.reason_required"
    resp = api.post(url, {"reason": "代办低保申请核对身份"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["value"] == w.c_village.clear_id_number
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert (
        entry.actor_id == str(w.town_clerk.pk) and entry.after["reason"] == "代办低保申请核对身份"
    )
    resp = api.post(url, {"reason": "x", "field": "phone"}, format="json")
    assert resp.json()["value"] == w.c_village.clear_phone
    token_for(api, w.other_clerk)
    assert api.post(url, {"reason": "x"}, format="json").status_code == 404
    token_for(api, w.sysadmin)  # may see the record, not the clear number
    assert api.post(url, {"reason": "x"}, format="json").status_code == 403
    token_for(api, w.c_village)
    assert api.post(url, {"reason": "x"}, format="json").status_code == 403
    assert AuditEntry.objects.filter(action="pii.reveal").count() == 2


def test_anonymous_gets_401(api):
    assert api.get("/api/v1/citizens/").status_code in (401, 403)
    assert api.get("/api/v1/accounts/me/").status_code in (401, 403)


def test_factories_make_valid_numbers():
    from yiwang.core.identifiers import parse_credit_code, parse_resident_id

    for n in range(1, 30):
        parse_resident_id(resident_id(n))
        parse_credit_code(credit_code(n))
    assert services.now() is not None
