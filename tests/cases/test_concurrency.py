"""Concurrent writers on PostgreSQL: case numbers never repeat and never skip
under simultaneous submissions, and of two clerks pressing "accept" at once
exactly one wins while the other gets a conflict (409 through the API).

Each thread uses its own database connection (Django's are per thread), so
these are real concurrent transactions; SQLite serialises all writers, so the
tests only run on PostgreSQL (``make test`` runs the suite there too).
``bench/bench_cases.py`` does the same at 200 submissions and 200 accepts."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.accounts.conftest import token_for
from tests.accounts.factories import resident_id
from yiwang.cases import services
from yiwang.cases.models import Case, CaseCounter, CaseEvent, Status
from yiwang.core.errors import Conflict

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


def race(fns):
    """Run ``fns`` in threads released together; each returns or raises.
    Returns the results (the exception for a call that raised)."""
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fns[i]()
        except BaseException as exc:  # reported to the main thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return results


def applicant(n: int) -> dict:
    return {
        "kind": "citizen",
        "name": f"申请人{n}",
        "id_number": resident_id(5000 + n),
        "phone": f"139{n:08d}",
    }


def drafts(world, clerk, n: int) -> list[Case]:
    return [services.create_draft(world.item, by=clerk, applicant=applicant(i)) for i in range(n)]


def received(world, clerk, n: int) -> list[Case]:
    return [services.submit(case, by=clerk) for case in drafts(world, clerk, n)]


def sequence(case_no: str) -> tuple[str, int]:
    region, day, seq = case_no.split("-")
    return f"{region}:{day}", int(seq)


def test_concurrent_submissions_never_repeat_or_skip_a_number(world):
    clerk = world.town_clerk
    cases = drafts(world, clerk, THREADS)

    def submitter(case):
        return lambda: services.submit(Case.objects.get(pk=case.pk), by=clerk).case_no

    results = race([submitter(c) for c in cases])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert len(set(results)) == THREADS, Counter(results).most_common(3)
    keys = {sequence(no)[0] for no in results}
    assert len(keys) == 1  # one region, one day: the same counter for all
    key = keys.pop()
    assert sorted(sequence(no)[1] for no in results) == list(range(1, THREADS + 1))
    assert CaseCounter.objects.get(key=key).value == THREADS
    stored = list(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("case_no", flat=True)
    )
    assert sorted(stored) == sorted(results)


def test_concurrent_submissions_in_two_regions_keep_their_own_sequences(world):
    town, county = world.town_clerk, world.county_clerk
    cases = drafts(world, town, THREADS // 2) + drafts(world, county, THREADS // 2)
    by = {c.pk: c.created_by for c in cases}

    results = race(
        [
            (lambda c=c: services.submit(Case.objects.get(pk=c.pk), by=by[c.pk]).case_no)
            for c in cases
        ]
    )
    assert not [r for r in results if isinstance(r, BaseException)]
    per_key: dict[str, list[int]] = {}
    for no in results:
        key, seq = sequence(no)
        per_key.setdefault(key, []).append(seq)
    assert len(per_key) == 2
    for key, seqs in per_key.items():
        assert sorted(seqs) == list(range(1, THREADS // 2 + 1)), key
        assert CaseCounter.objects.get(key=key).value == THREADS // 2


def test_two_clerks_accepting_at_once_one_wins_the_other_conflicts(world):
    a, b = world.town_clerk, world.county_clerk  # both see the town hall's cases
    cases = received(world, a, THREADS // 2)

    def accepter(case, clerk):
        def go():
            services.accept(Case.objects.get(pk=case.pk), by=clerk)
            return "won"

        return go

    results = race([accepter(c, clerk) for c in cases for clerk in (a, b)])
    for i in range(len(cases)):
        pair = results[2 * i : 2 * i + 2]
        assert sorted(type(r).__name__ if isinstance(r, BaseException) else r for r in pair) == [
            "Conflict",
            "won",
        ], pair
        loser = next(r for r in pair if isinstance(r, BaseException))
        assert isinstance(loser, Conflict)
        assert loser.code == "case.illegal_transition"
    accepts = Counter(
        CaseEvent.objects.filter(case__in=cases, action="accept").values_list("case_id", flat=True)
    )
    assert accepts == Counter({c.pk: 1 for c in cases})
    for case in Case.objects.filter(pk__in=[c.pk for c in cases]):
        assert case.status == Status.ACCEPTED
        assert case.revision == 2  # submitted, then accepted once
        seqs = list(case.events.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))


def test_two_clerks_accepting_through_the_api_loser_gets_409(world):
    a, b = world.town_clerk, world.county_clerk
    cases = received(world, a, 5)
    clients = {}
    for clerk in (a, b):
        clients[clerk.pk] = token_for(APIClient(), clerk)

    def accepter(case, clerk):
        def go():
            # One client per thread: an APIClient is not shared across threads.
            api = APIClient()
            api.credentials(**clients[clerk.pk]._credentials)
            r = api.post(f"/api/v1/cases/{case.pk}/accept/", {}, format="json")
            return r.status_code, r.json().get("code")

        return go

    results = race([accepter(c, clerk) for c in cases for clerk in (a, b)])
    for i in range(len(cases)):
        pair = sorted(results[2 * i : 2 * i + 2], key=lambda r: r[0])
        assert [p[0] for p in pair] == [200, 409], pair
        assert pair[1][1] == "case.illegal_transition"
    assert CaseEvent.objects.filter(case__in=cases, action="accept").count() == len(cases)
