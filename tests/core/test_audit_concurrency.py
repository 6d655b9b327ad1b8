"""Concurrent writers on PostgreSQL: one stream stays gapless, and writers on
different streams never wait on each other (no global audit lock).

Each thread uses its own database connection (Django's are per thread), so
these are real concurrent transactions; SQLite serialises all writers, so
the tests only run on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction

from tests.core.test_audit import signer  # noqa: F401 - autouse test signer
from yiwang.core import audit

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def in_thread(fn):
    def run(errors):
        try:
            fn()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    return run


def start(fns):
    errors: list[BaseException] = []
    threads = [threading.Thread(target=in_thread(fn), args=(errors,)) for fn in fns]
    for t in threads:
        t.start()
    return threads, errors


def test_concurrent_writers_on_one_stream_make_a_gapless_chain():
    writers, per_writer = 8, 15
    barrier = threading.Barrier(writers)

    def writer(n):
        def go():
            barrier.wait(timeout=30)
            for i in range(per_writer):
                audit.record(
                    actor=None,
                    action="bump",
                    target=("test.counter", "1"),
                    after={"writer": n, "i": i},
                    stream="test.counter:1",
                )

        return go

    threads, errors = start([writer(n) for n in range(writers)])
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    seqs = list(
        audit.AuditEntry.objects.filter(stream="test.counter:1")
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, writers * per_writer + 1))
    head = audit.AuditStream.objects.get(key="test.counter:1")
    assert head.last_seq == writers * per_writer
    report = audit.verify()
    assert report.ok, report.problems
    assert report.entries == writers * per_writer


def test_writers_on_other_streams_do_not_wait():
    holding = threading.Event()
    other_done = threading.Event()
    release = threading.Event()

    def hold_stream_a():
        with transaction.atomic():
            audit.record(actor=None, action="a", target=("test.a", "1"), stream="test.a:1")
            holding.set()  # stream A's head row is locked until we commit
            release.wait(timeout=30)

    def write_stream_b():
        assert holding.wait(timeout=30)
        audit.record(actor=None, action="b", target=("test.b", "1"), stream="test.b:1")
        other_done.set()

    threads, errors = start([hold_stream_a, write_stream_b])
    try:
        # B commits while A still holds its lock: no shared lock between them.
        assert other_done.wait(timeout=30), "a writer on another stream was blocked"
    finally:
        release.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    assert audit.verify().ok


def test_sealing_while_writers_append_stays_consistent():
    stop = threading.Event()

    def writer(n):
        def go():
            i = 0
            while not stop.is_set() and i < 200:
                audit.record(
                    actor=None, action="w", target=("test.w", str(n)), stream=f"test.w:{n % 3}"
                )
                i += 1

        return go

    threads, errors = start([writer(n) for n in range(4)])
    try:
        for _ in range(5):
            audit.seal_checkpoint(force=True)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    audit.seal_checkpoint()
    report = audit.verify(all_roots=True)
    assert report.ok, report.problems
