"""API tokens: a staff member's roles are read with the token, and only the
active ones give scope; every refusal is DRF's own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.accounts.models import Role, StaffRole

from .conftest import token_for
from .factories import CitizenFactory, staff_with_role

pytestmark = pytest.mark.django_db


def _ids(resp):
    return {row["id"] for row in resp.json()["results"]}


def test_a_staff_token_brings_its_active_roles_in_the_same_query(api, tree):
    clerk = staff_with_role(Role.CLERK, region=tree.town, hall=tree.town_hall, totp=False)
    # A role that was taken away gives no scope, though it is still a row.
    StaffRole.objects.create(user=clerk, role=Role.CLERK, region=tree.other_town, is_active=False)
    inside = CitizenFactory(region=tree.village)
    outside = CitizenFactory(region=tree.other_village)
    token_for(api, clerk)
    with CaptureQueriesContext(connection) as queries:
        resp = api.get("/api/v1/citizens/")
    assert resp.status_code == 200
    assert _ids(resp) == {str(inside.pk)}
    assert str(outside.pk) not in _ids(resp)
    role_reads = [q["sql"] for q in queries if '"accounts_staffrole"' in q["sql"]]
    assert len(role_reads) == 1, role_reads
    assert '"authtoken_token"' in role_reads[0]
    # Without the bookkeeping timestamps of the role and what it points at
    # (decoding them was ~3 % of a case submission); the user's are read.
    for table in ("accounts_staffrole", "regions_region", "regions_hall", "regions_department"):
        assert f'"{table}"."created_at"' not in role_reads[0]
    assert '"accounts_user"."date_joined"' in role_reads[0]
    assert not [q for q in queries if q["sql"].startswith('SELECT "authtoken_token"')]


def test_a_deactivated_staff_account_is_refused_with_drf_s_answer(api, tree):
    clerk = staff_with_role(Role.CLERK, region=tree.town, hall=tree.town_hall, totp=False)
    token_for(api, clerk)
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    resp = api.get("/api/v1/citizens/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 401
    assert resp.json()["code"] == "authentication_failed"


def test_staff_without_an_active_role_and_citizens_still_sign_in(api, tree):
    former = staff_with_role(Role.CLERK, region=tree.town, hall=tree.town_hall, totp=False)
    StaffRole.objects.filter(user=former).update(is_active=False)
    token_for(api, former)
    me = api.get("/api/v1/accounts/me/")
    assert me.status_code == 200 and me.json()["roles"] == []
    assert _ids(api.get("/api/v1/citizens/")) == set()

    citizen = CitizenFactory(region=tree.village)
    token_for(api, citizen)
    me = api.get("/api/v1/accounts/me/")
    assert me.status_code == 200 and me.json()["id"] == str(citizen.pk)


def test_an_unknown_token_is_refused(api, tree):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    resp = api.get("/api/v1/accounts/me/")
    assert resp.status_code == 401 and resp.json()["code"] == "authentication_failed"
