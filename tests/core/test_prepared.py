"""Prepared queries (``core.prepared``): the ORM query's own answers, one
statement per call, compiled once per thread, and shapes that cannot be
prepared refused on their first call."""

import threading
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import region_tree, staff_with_role
from yiwang.accounts.models import Role, StaffRole
from yiwang.core.prepared import insert, prepared
from yiwang.regions.models import Hall, Region

pytestmark = pytest.mark.django_db


def _roles_of(user_id):
    return StaffRole.objects.filter(user_id=user_id, is_active=True).select_related(
        "user", "region", "hall__region"
    )


def test_answers_as_the_queryset_does_with_its_related_objects_in_one_statement():
    tree = region_tree()
    clerk = staff_with_role(Role.CLERK, region=tree.town, hall=tree.town_hall, totp=False)
    StaffRole.objects.create(user=clerk, role=Role.AGENT, region=tree.village)
    StaffRole.objects.create(user=clerk, role=Role.CLERK, region=tree.other_town, is_active=False)
    roles_of = prepared(uuid.UUID)(_roles_of)

    expected = sorted(_roles_of(clerk.pk), key=lambda r: r.pk)
    with CaptureQueriesContext(connection) as queries:
        got = sorted(roles_of(clerk.pk), key=lambda r: r.pk)
        # What select_related loaded is there: reading it asks nothing more.
        seen = {(r.user.pk, r.role, r.region.code, r.hall and r.hall.region.name) for r in got}
    assert len(queries) == 1
    assert [r.pk for r in got] == [r.pk for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert [getattr(mine, f.attname) for f in StaffRole._meta.concrete_fields] == [
            getattr(theirs, f.attname) for f in StaffRole._meta.concrete_fields
        ]
        assert mine._state.db == "default" and not mine._state.adding
    assert seen == {
        (clerk.pk, Role.CLERK, tree.town.code, tree.town.name),
        (clerk.pk, Role.AGENT, tree.village.code, None),
    }
    # Database converters ran: a datetime comes back as Django gives it.
    assert got[0].created_at == expected[0].created_at
    assert got[0].user.date_joined == clerk.date_joined


def test_each_call_runs_with_its_own_values_and_the_query_is_built_only_to_compile():
    tree = region_tree()
    built = []

    def by_code(code):
        built.append(code)
        return Region.objects.filter(code=code, is_active=True)

    find = prepared(str)(by_code)
    assert [r.pk for r in find(tree.town.code)] == [tree.town.pk]
    compiled = len(built)
    assert compiled == 2  # two samples, to see which parameter the argument fills
    assert [r.pk for r in find(tree.village.code)] == [tree.village.pk]
    assert find("000000000000") == []
    assert find.first(tree.village.code).pk == tree.village.pk  # first(): one or None
    assert find.first("000000000000") is None
    assert len(built) == compiled
    assert tree.town.code not in built


def test_an_argument_is_turned_into_its_declared_type_and_may_not_be_none():
    tree = region_tree()
    hall = prepared(uuid.UUID)(lambda pk: Hall.objects.filter(pk=pk).select_related("region"))
    assert [h.pk for h in hall(str(tree.town_hall.pk))] == [tree.town_hall.pk]
    with pytest.raises(ValueError):
        hall("not-a-uuid")
    with pytest.raises(TypeError, match="None"):
        hall(None)
    with pytest.raises(TypeError, match="takes 1 arguments"):
        hall(tree.town_hall.pk, 2)


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_its_own_plan_on_its_own_connection():
    tree = region_tree()
    find = prepared(str)(lambda code: Region.objects.filter(code=code))
    assert [r.pk for r in find(tree.town.code)] == [tree.town.pk]
    mine = find._local.plan
    seen, errors = [], []

    def other_thread():
        try:
            seen.append(getattr(find._local, "plan", None))
            seen.append([r.pk for r in find(tree.village.code)])
            seen.append(find._local.plan)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert not errors, errors
    assert seen[0] is None  # nothing compiled there before its first call
    assert seen[1] == [tree.village.pk]
    assert seen[2] is not mine and find._local.plan is mine


@pytest.mark.parametrize(
    "build, kind, why",
    [
        (lambda code: Region.objects.filter(name__contains=code), str, "not compared as it is"),
        (lambda code: Region.objects.filter(code__startswith=code), str, "not compared as it is"),
        (lambda code: Region.objects.filter(code="511602000000"), str, "not a value"),
        (lambda code: Region.objects.filter(code=code).values("name"), str, "model instances"),
        (
            lambda code: Region.objects.filter(code=code).prefetch_related("children"),
            str,
            "without prefetch_related",
        ),
        (lambda code: [code], str, "must return a QuerySet"),
        (lambda n: Region.objects.all()[:n], int, "changes the statement"),
    ],
)
def test_queries_that_cannot_be_prepared_are_refused_on_their_first_call(build, kind, why):
    region_tree()
    query = prepared(kind)(build)
    with pytest.raises(ImproperlyConfigured, match=why):
        query(kind("3") if kind is int else "511602001000")


def test_only_plain_value_types_may_be_declared():
    with pytest.raises(ImproperlyConfigured, match="argument type"):
        prepared(float)(lambda x: Region.objects.filter(pk=x))


# --- insert ------------------------------------------------------------------


def _row(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_insert_writes_the_rows_save_would_in_one_statement():
    from django.utils import timezone

    from yiwang.core.outbox import OutboxDelivery, OutboxEvent

    event = OutboxEvent(
        topic="t.moved", key="k", payload={"a": [1, "二"]}, created_at=timezone.now()
    )
    with CaptureQueriesContext(connection) as queries:
        insert(event)
    assert len(queries) == 1
    assert not event._state.adding and event._state.db == "default"
    assert _row(OutboxEvent.objects.get(pk=event.pk)) == _row(event)

    rows = [
        OutboxDelivery(event=event, handler=f"h{i}", next_attempt_at=event.created_at)
        for i in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        insert(*rows)
    assert len(queries) == 1
    stored = {d.handler: _row(d) for d in OutboxDelivery.objects.filter(event=event)}
    assert stored == {d.handler: _row(d) for d in rows}
    assert {d["status"] for d in stored.values()} == {"pending"}  # the field's default


def test_insert_gives_the_database_what_the_fields_would():
    """Plain values (a str for a CharField, an int, a UUID key) are passed as
    they are; anything else takes the field's own methods, which convert it."""
    from django.utils import timezone

    from yiwang.core.outbox import OutboxDelivery, OutboxEvent
    from yiwang.core.prepared import _insert_plan

    event = OutboxEvent(topic="t.moved", key="k", payload={"a": 1}, created_at=timezone.now())
    insert(event)
    delivery = OutboxDelivery(
        event=event, handler="h", attempts="3", next_attempt_at=event.created_at
    )
    _sql, fields = _insert_plan(OutboxDelivery, connection, 1)
    shortcut = {f.name for f, _attname, plain in fields if plain}
    assert {"handler", "status", "claim_token", "last_error"} <= shortcut
    # PostgreSQL's backend wraps integers (psycopg's Int4…): the sample check sees it.
    assert ("attempts" in shortcut) == (connection.vendor != "postgresql")
    assert "next_attempt_at" not in shortcut  # a datetime is adapted by the backend
    assert ("event" in shortcut) == connection.features.has_native_uuid_field
    expected = [f.get_db_prep_save(f.pre_save(delivery, True), connection) for f, _a, _p in fields]
    given = []

    def record(execute, sql, params, many, context):
        given.append(list(params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        insert(delivery)
    assert given == [expected]
    assert OutboxDelivery.objects.get(pk=delivery.pk).attempts == 3  # "3", converted


def test_insert_fills_auto_now_fields():
    tree = region_tree()
    clerk = staff_with_role(Role.CLERK, region=tree.town, hall=tree.town_hall, totp=False)
    role = StaffRole(user=clerk, role=Role.AGENT, region=tree.village)
    assert role.created_at is None
    insert(role)
    assert role.created_at is not None and role.updated_at is not None
    assert _row(StaffRole.objects.get(pk=role.pk)) == _row(role)


def test_insert_refuses_what_it_cannot_write_and_writes_nothing():
    from django.contrib.auth.models import Group
    from django.db import IntegrityError, transaction
    from django.db.models import F
    from django.utils import timezone

    from yiwang.accounts.models import User
    from yiwang.core.outbox import OutboxEvent

    with pytest.raises(ImproperlyConfigured, match="by the database"):
        insert(Group(name="x"))
    with pytest.raises(ImproperlyConfigured, match="own save"):
        insert(User(username="x"))
    with pytest.raises(ImproperlyConfigured, match="own save"):
        insert(Region(code="511602999000", name="x", level="town"))
    saved = OutboxEvent(topic="t", created_at=timezone.now())
    insert(saved)
    with pytest.raises(TypeError, match="already saved"):
        insert(saved)
    with pytest.raises(TypeError, match="one model"):
        insert(OutboxEvent(topic="t", created_at=timezone.now()), Group(name="y"))
    with pytest.raises(TypeError, match="expression"):
        insert(OutboxEvent(topic=F("key"), created_at=timezone.now()))
    twin = OutboxEvent(pk=saved.pk, topic="twin", created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(twin)
    assert OutboxEvent.objects.get().topic == "t"


@pytest.mark.django_db(transaction=True)
def test_a_prepared_lock_is_refused_outside_a_transaction_as_django_refuses_it():
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    if not connection.features.has_select_for_update:
        pytest.skip("SQLite locks the whole database; there is no FOR UPDATE")
    tree = region_tree()
    lock = prepared(str)(lambda code: Region.objects.select_for_update().filter(code=code))
    with transaction.atomic():
        assert [r.pk for r in lock(tree.town.code)] == [tree.town.pk]
    with pytest.raises(TransactionManagementError):
        lock(tree.town.code)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            lock(tree.town.code)
        assert "FOR UPDATE" in queries[0]["sql"]


# --- together ----------------------------------------------------------------


def _outbox_rows(n_deliveries: int = 2):
    from django.utils import timezone

    from yiwang.core.outbox import OutboxDelivery, OutboxEvent

    event = OutboxEvent(topic="t.together", key="k", payload={"n": "一"}, created_at=timezone.now())
    deliveries = [
        OutboxDelivery(event=event, handler=f"h{i}", next_attempt_at=event.created_at)
        for i in range(n_deliveries)
    ]
    return event, deliveries


def test_together_writes_the_rows_of_several_models_at_once():
    from yiwang.core.outbox import OutboxDelivery, OutboxEvent
    from yiwang.core.prepared import together

    tree = region_tree()
    clerk = staff_with_role(Role.CLERK, region=tree.town, hall=tree.town_hall, totp=False)
    event, deliveries = _outbox_rows()
    role = StaffRole(user=clerk, role=Role.AGENT, region=tree.village)
    with CaptureQueriesContext(connection) as queries, together():
        insert(event)
        insert(*deliveries)
        insert(role)
        assert not queries.captured_queries  # nothing written yet
        assert not event._state.adding and role.created_at is not None
    # One statement on PostgreSQL; one per insert elsewhere.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    assert _row(OutboxEvent.objects.get(pk=event.pk)) == _row(event)
    stored = {d.handler: _row(d) for d in OutboxDelivery.objects.filter(event=event)}
    assert stored == {d.handler: _row(d) for d in deliveries}
    assert _row(StaffRole.objects.get(pk=role.pk)) == _row(role)


def test_inside_together_every_statement_sees_the_rows_given_before_it():
    from django.db import IntegrityError, transaction

    from yiwang.core.outbox import OutboxDelivery, OutboxEvent
    from yiwang.core.prepared import together

    first, _ = _outbox_rows(0)
    second, (delivery,) = _outbox_rows(1)
    with together():
        insert(first)
        assert OutboxEvent.objects.filter(pk=first.pk).exists()  # written before the query
        try:
            with transaction.atomic():  # a savepoint: its rows go with its rollback
                insert(second)
                insert(delivery)
                raise IntegrityError("undo")
        except IntegrityError:
            pass
    assert OutboxEvent.objects.filter(pk=first.pk).exists()
    assert not OutboxEvent.objects.filter(pk=second.pk).exists()
    assert not OutboxDelivery.objects.filter(pk=delivery.pk).exists()


def test_together_reports_a_duplicate_at_its_end_and_nested_blocks_write_once():
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from yiwang.core.outbox import OutboxEvent
    from yiwang.core.prepared import together

    saved, _ = _outbox_rows(0)
    insert(saved)
    fresh, _ = _outbox_rows(0)
    twin = OutboxEvent(pk=saved.pk, topic="twin", created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic(), together():
        insert(fresh)
        insert(twin)  # accepted now, refused when the block writes
    assert list(OutboxEvent.objects.values_list("topic", flat=True)) == ["t.together"]
    assert not OutboxEvent.objects.filter(pk=fresh.pk).exists()  # all or nothing

    a, _ = _outbox_rows(0)
    b, _ = _outbox_rows(0)
    with CaptureQueriesContext(connection) as queries, together():
        insert(a)
        with together():
            insert(b)
        assert not queries.captured_queries  # the outer block writes both
    assert OutboxEvent.objects.filter(pk__in=[a.pk, b.pk]).count() == 2

    # A block that raises still writes what it was given, as without together.
    c, _ = _outbox_rows(0)
    with pytest.raises(ValueError), together():
        insert(c)
        raise ValueError("the caller's own error")
    assert OutboxEvent.objects.filter(pk=c.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_together_needs_a_transaction():
    from django.db.transaction import TransactionManagementError

    from yiwang.core.outbox import OutboxEvent
    from yiwang.core.prepared import together

    event, _ = _outbox_rows(0)
    with pytest.raises(TransactionManagementError, match="needs a transaction"), together():
        insert(event)
    assert not OutboxEvent.objects.exists()


# --- statement_cursor ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_statement_cursor_keeps_one_database_cursor_per_connection():
    from django.db import IntegrityError, transaction

    from yiwang.core.outbox import OutboxEvent
    from yiwang.core.prepared import statement_cursor

    a = statement_cursor(connection)
    a.execute("SELECT 1")
    assert a.fetchone()[0] == 1
    b = statement_cursor(connection)
    assert b.cursor is a.cursor  # the same one, still open
    b.execute("SELECT 2")
    assert b.fetchone()[0] == 2
    with CaptureQueriesContext(connection) as queries:  # the query log sees it
        statement_cursor(connection).execute("SELECT 3")
    assert [q["sql"] for q in queries] == ["SELECT 3"]
    # Django's error classes, and the cursor still serves afterwards.
    event, _ = _outbox_rows(0)
    insert(event)
    twin = OutboxEvent(pk=event.pk, topic="twin", created_at=event.created_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(twin)
    c = statement_cursor(connection)
    c.execute("SELECT 4")
    assert c.fetchone()[0] == 4
    # A new connection gets a cursor of its own.
    opened = connection.connection
    connection.close()  # (SQLite keeps a test's in-memory database open)
    d = statement_cursor(connection)
    assert (d.cursor is a.cursor) == (connection.connection is opened)
    d.execute("SELECT 5")
    assert d.fetchone()[0] == 5
