"""What the hot paths cost in statements on PostgreSQL, counted through the
API as a client calls it: an application submitted at the window (the
bench's ``submit_per_s``) and a clerk's acceptance. A change that adds a
statement to either fails here and says so; lower the numbers when a change
removes some."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.conftest import token_for

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statements"),
]


def statements(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, [q["sql"] for q in queries.captured_queries]


def test_a_window_submission_and_its_acceptance(api, world, walk_in):
    w = world
    token_for(api, w.town_clerk)
    body = {"item": str(w.item.pk), "applicant": walk_in, "submit": True}
    # Warm, as a running server is: the hall's offer, the calendar, the templates.
    warm = api.post("/api/v1/cases/", body, format="json").json()
    api.post(f"/api/v1/cases/{warm['id']}/accept/", {}, format="json")

    r, sql = statements(lambda: api.post("/api/v1/cases/", body, format="json"))
    assert r.status_code == 201, r.json()
    # token + roles, item, version + hall offer with the applicant's account; in the
    # transaction the counter and one statement writing the case, its events,
    # the audit entry and head, the outbox event and its delivery.
    sql = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(sql) == 5, "\n".join(s[:100] for s in sql)
    assert sql[-1].startswith("WITH") and sql[-1].count("INSERT INTO ") == 6

    case = r.json()["id"]
    r, sql = statements(lambda: api.post(f"/api/v1/cases/{case}/accept/", {}, format="json"))
    assert r.status_code == 200, r.json()
    sql = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(sql) == 29, "\n".join(s[:100] for s in sql)
    # The notice's department comes with the locked case; the answer is the
    # moved case with its relations: the case is not read again.
    departments = [s for s in sql if s.startswith('SELECT "regions_department"."id"')]
    assert len(departments) == 1  # the steps' departments, for the answer
    assert sum(s.startswith('SELECT "cases_case"."id"') for s in sql) == 2  # get_object, lock
