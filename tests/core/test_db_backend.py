"""The PostgreSQL backend's health check (``yiwang.core.db.postgresql``): a
kept connection is judged by its socket, without a round trip, and one the
server has ended is found unusable and replaced before the request's first
query."""

import time

import pytest
from django.db import DatabaseError, connection, connections

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL backend"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def kept():
    """A second connection to the test database, kept and health-checked the
    way a server thread's is (outside the test's transaction)."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def last_query(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0] if row else ""


def test_backend_is_ours():
    assert type(connections["default"]).__module__ == "yiwang.core.db.postgresql.base"
    assert connection.vendor == "postgresql"


def test_an_idle_connection_is_usable_without_asking_the_server(kept):
    pid = kept.connection.info.backend_pid
    with kept.cursor() as cursor:
        cursor.execute("SELECT 42 AS health_probe")
    assert kept.is_usable()
    # The server's last statement from that connection is still ours: no SELECT 1.
    assert "health_probe" in last_query(pid)


def test_a_connection_the_server_ended_is_replaced(kept):
    pid = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while kept.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not kept.is_usable()
    # As at the start of a request: the failed check closes it, the query reconnects.
    kept.health_check_done = False
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert kept.connection.info.backend_pid != pid
    assert kept.is_usable()


def test_a_connection_in_a_failed_transaction_is_not_usable(kept):
    kept.set_autocommit(False)
    try:
        with pytest.raises(DatabaseError), kept.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        # The socket is quiet, but the transaction is dead: the server decides.
        assert not kept.is_usable()
    finally:
        kept.rollback()
        kept.set_autocommit(True)
    assert kept.is_usable()
