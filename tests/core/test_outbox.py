"""The outbox: transactional emit, per-handler deliveries, back-off, leases.

The clock is ``yiwang.core.outbox.now``; tests move it instead of sleeping."""

import datetime as dt
import io
import os
import sys
import threading
import time
import types

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from yiwang.core import apps as core_apps
from yiwang.core import outbox
from yiwang.core.outbox import OutboxDelivery, OutboxEvent

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
TOPIC = "test.something_happened"


class Clock:
    def __init__(self, at=T0):
        self.at = at

    def __call__(self):
        return self.at

    def advance(self, **kw):
        self.at += dt.timedelta(**kw)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(outbox, "now", c)
    return c


@pytest.fixture
def calls():
    """Register handlers for TOPIC for one test; ``calls`` records what they saw."""
    seen: list[tuple[str, str]] = []
    registered: list[tuple[str, str]] = []

    def add(name, *, fail_times=0, topic=TOPIC, atomic=True, effect=None):
        state = {"left": fail_times}

        def fn(event):
            seen.append((name, str(event.id)))
            if effect:
                effect(event)
            if state["left"] > 0:
                state["left"] -= 1
                raise RuntimeError(f"{name} is down")

        outbox.register(topic, fn, name=name, atomic=atomic)
        registered.append((topic, name))
        return fn

    seen_obj = types.SimpleNamespace(seen=seen, add=add)
    yield seen_obj
    for topic, name in registered:
        outbox.unregister(topic, name)


def delivery(name):
    return OutboxDelivery.objects.get(handler=name)


# --- Emitting --------------------------------------------------------------


@pytest.mark.django_db
def test_event_rolled_back_with_its_transaction_is_never_delivered(
    calls, clock, django_capture_on_commit_callbacks
):
    calls.add("h1")

    class Boom(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        outbox.emit(TOPIC, {"x": 1})
        raise Boom
    assert callbacks == []
    assert not OutboxEvent.objects.exists() and not OutboxDelivery.objects.exists()
    assert outbox.deliver_due().claimed == 0
    assert calls.seen == []


@pytest.mark.django_db
def test_committed_event_is_delivered_by_the_kick(calls, clock, django_capture_on_commit_callbacks):
    calls.add("h1")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        event = outbox.emit(TOPIC, {"on": dt.date(2026, 3, 2)}, key="test.thing:1")
        # Inside the transaction nothing has been delivered yet.
        assert calls.seen == []
    assert len(callbacks) == 1  # the kick; huey runs inline in the tests
    assert calls.seen == [("h1", str(event.id))]
    d = delivery("h1")
    assert (d.status, d.attempts, d.done_at) == ("done", 1, T0)
    stored = OutboxEvent.objects.get(id=event.id)
    assert (stored.payload, stored.key, stored.created_at) == (
        {"on": "2026-03-02"},
        "test.thing:1",
        T0,
    )


def test_a_burst_of_kicks_queues_one_delivery_run_until_that_run_starts(monkeypatch):
    from huey.contrib.djhuey import HUEY

    from yiwang.core import tasks

    queued = []
    monkeypatch.setattr(tasks, "deliver_outbox", lambda: queued.append("run"))
    HUEY.delete(tasks.KICK_PENDING)
    for _ in range(3):
        outbox.kick()
    assert queued == ["run"]  # one run waits; it will see all three commits
    HUEY.delete(tasks.KICK_PENDING)  # what the run does before it claims
    outbox.kick()
    assert queued == ["run", "run"]

    # A run that could not be queued leaves no flag behind: the next commit tries.
    HUEY.delete(tasks.KICK_PENDING)

    def queue_down():
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "deliver_outbox", queue_down)
    outbox.kick()  # logged, never raised
    monkeypatch.setattr(tasks, "deliver_outbox", lambda: queued.append("run"))
    outbox.kick()
    assert queued == ["run", "run", "run"]
    HUEY.delete(tasks.KICK_PENDING)


class Sends:
    """``send_kick`` as the kicker thread calls it: each send is counted as
    it starts, and the first one can be held on its way."""

    def __init__(self):
        self.started = []
        self.lock = threading.Lock()
        self.first_begun = threading.Event()
        self.release_first = threading.Event()

    def __call__(self):
        with self.lock:
            self.started.append(time.monotonic())
            n = len(self.started)
        if n == 1:
            self.first_begun.set()
            assert self.release_first.wait(10)


def test_the_kicker_sends_a_kick_after_every_commit_and_one_for_those_made_meanwhile(
    monkeypatch,
):
    sends = Sends()
    monkeypatch.setattr(outbox, "send_kick", sends)
    kicker = outbox._Kicker()
    kicker.request()  # a commit: the thread starts and sends
    assert sends.first_begun.wait(10)
    # Three commits while that kick is on its way (it may have left before
    # they committed): one more kick, after them.
    for _ in range(3):
        kicker.request()
    sends.release_first.set()
    kicker.flush()  # waits for the kick on its way, sends one still due
    assert len(sends.started) == 2
    # Nothing due: flushing again sends nothing; a new commit kicks again.
    kicker.flush()
    assert len(sends.started) == 2
    kicker.request()
    kicker.flush()
    assert len(sends.started) == 3


def test_a_commit_hands_its_kick_to_the_kicker_when_jobs_are_queued(monkeypatch):
    handed = []
    monkeypatch.setattr(outbox._kicker, "request", lambda: handed.append("kicker"))
    monkeypatch.setattr(outbox, "send_kick", lambda: handed.append("sent here"))
    outbox.kick()
    assert handed == ["sent here"]  # jobs inline (the tests): at once
    monkeypatch.setattr(outbox, "_jobs_inline", lambda: False)
    outbox.kick()
    assert handed == ["sent here", "kicker"]


def test_a_forked_child_starts_its_own_kicker(monkeypatch):
    kicker = outbox._Kicker()
    monkeypatch.setattr(outbox, "send_kick", lambda: None)
    kicker.request()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread is gone, a new one starts
        code = 1
        try:
            sent = []
            outbox.send_kick = lambda: sent.append(1)
            kicker.request()  # no flush: the child's own thread must send it
            deadline = time.monotonic() + 10
            while not sent and time.monotonic() < deadline:
                time.sleep(0.01)  # waiting for another thread, not for the clock
            code = 0 if sent else 2
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    got = os.read(read, 1)
    os.waitpid(pid, 0)
    assert got == bytes([0])


@pytest.mark.django_db
def test_the_delivery_run_clears_the_flag_so_later_commits_kick_again(
    calls, clock, django_capture_on_commit_callbacks
):
    calls.add("h1")
    for n in range(2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            outbox.emit(TOPIC, {"n": n})
    # huey runs inline in the tests: each commit's run started and cleared
    # the flag, so the second commit was delivered by a run of its own.
    from huey.contrib.djhuey import HUEY

    from yiwang.core import tasks

    assert len(calls.seen) == 2
    assert OutboxDelivery.objects.filter(status="done").count() == 2
    assert HUEY.put_if_empty(tasks.KICK_PENDING, b"1")  # nothing left set
    HUEY.delete(tasks.KICK_PENDING)


@pytest.mark.django_db
def test_topic_without_handlers_keeps_the_event_and_kicks_nothing(
    clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        outbox.emit("test.nobody_listens", {})
    assert callbacks == []
    assert OutboxEvent.objects.filter(topic="test.nobody_listens").count() == 1
    assert not OutboxDelivery.objects.exists()


@pytest.mark.django_db
def test_payload_must_be_json():
    with pytest.raises(TypeError):
        outbox.emit(TOPIC, {"x": object()})
    assert not OutboxEvent.objects.exists()


# --- Retries and back-off ------------------------------------------------------


@pytest.mark.django_db
def test_handler_failing_twice_then_succeeding_backs_off(calls, clock):
    calls.add("flaky", fail_times=2)
    event = outbox.emit(TOPIC, {})

    stats = outbox.deliver_due()
    assert (stats.claimed, stats.retrying) == (1, 1)
    d = delivery("flaky")
    assert (d.status, d.attempts) == ("pending", 1)
    assert d.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert "flaky is down" in d.last_error
    assert d.claimed_until is None and d.claim_token == ""

    clock.advance(seconds=59)
    assert outbox.deliver_due().claimed == 0  # not due yet
    clock.advance(seconds=1)
    assert outbox.deliver_due().retrying == 1
    d.refresh_from_db()
    assert d.attempts == 2
    assert d.next_attempt_at == clock.at + dt.timedelta(minutes=2)

    clock.advance(minutes=2)
    assert outbox.deliver_due().done == 1
    d.refresh_from_db()
    assert (d.status, d.attempts, d.done_at) == ("done", 3, clock.at)
    assert calls.seen == [("flaky", str(event.id))] * 3
    assert outbox.deliver_due().claimed == 0


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    minutes = [outbox.backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


@pytest.mark.django_db
def test_one_failing_handler_does_not_redo_the_others(calls, clock):
    calls.add("good")
    calls.add("bad", fail_times=1)
    outbox.emit(TOPIC, {})
    outbox.deliver_due()
    assert (delivery("good").status, delivery("bad").status) == ("done", "pending")
    clock.advance(minutes=1)
    outbox.deliver_due()
    assert delivery("bad").status == "done"
    assert [name for name, _ in calls.seen].count("good") == 1


@pytest.mark.django_db
def test_atomic_handler_writes_roll_back_on_failure(calls, clock):
    from yiwang.core.audit import AuditEntry, record

    def write(event):
        record(actor=None, action="handled", target=("test.thing", "1"))

    calls.add("writer", fail_times=1, effect=write)
    outbox.emit(TOPIC, {})
    outbox.deliver_due()
    assert not AuditEntry.objects.exists()  # the failed attempt left nothing
    clock.advance(minutes=1)
    outbox.deliver_due()
    assert AuditEntry.objects.filter(action="handled").count() == 1


@pytest.mark.django_db
def test_exhausted_deliveries_fail_and_can_be_retried(calls, clock, settings):
    settings.YIWANG_OUTBOX_MAX_ATTEMPTS = 3
    calls.add("down", fail_times=3)
    outbox.emit(TOPIC, {})
    for _ in range(3):
        outbox.deliver_due()
        clock.advance(hours=1)
    d = delivery("down")
    assert (d.status, d.attempts) == ("failed", 3)
    assert outbox.deliver_due().claimed == 0  # failed stays failed

    out = io.StringIO()
    call_command("outbox", "status", stdout=out)
    assert (
        TOPIC in out.getvalue()
        and "投递失败" in out.getvalue()
        and "down is down" in out.getvalue()
    )

    assert outbox.retry() == 0  # plain retry leaves failed ones alone
    out = io.StringIO()
    call_command("outbox", "retry", "--failed", stdout=out)
    assert "已安排 1 项" in out.getvalue()
    out = io.StringIO()
    call_command("outbox", "deliver", stdout=out)
    assert "成功 1" in out.getvalue()
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("done", 4)


@pytest.mark.django_db
def test_retry_skips_the_backoff(calls, clock):
    calls.add("flaky", fail_times=1)
    outbox.emit(TOPIC, {})
    outbox.deliver_due()
    assert outbox.retry(topic="other.topic") == 0
    assert outbox.retry(topic=TOPIC) == 1
    assert outbox.deliver_due().done == 1


@pytest.mark.django_db
def test_delivery_for_an_unregistered_handler_is_retried_not_lost(calls, clock):
    calls.add("gone")
    outbox.emit(TOPIC, {})
    outbox.unregister(TOPIC, "gone")
    assert outbox.deliver_due().retrying == 1
    assert "no handler 'gone'" in delivery("gone").last_error
    calls.add("gone")  # the handler comes back (e.g. after a deploy)
    clock.advance(minutes=1)
    assert outbox.deliver_due().done == 1


# --- Leases: a worker that dies mid-delivery ---------------------------------------


@pytest.mark.django_db
def test_worker_dying_mid_delivery_is_redelivered_once_after_the_lease(calls, clock, settings):
    settings.YIWANG_OUTBOX_LEASE_SECONDS = 300
    calls.add("h1")
    event = outbox.emit(TOPIC, {})

    claimed = outbox.claim_due()  # worker 1 claims …
    assert [d.handler for d in claimed] == ["h1"]
    assert claimed[0].claimed_until == T0 + dt.timedelta(minutes=5)
    # … and dies: never marks it done.
    assert outbox.deliver_due().claimed == 0  # the lease protects it meanwhile
    clock.advance(minutes=4, seconds=59)
    assert outbox.deliver_due().claimed == 0
    clock.advance(seconds=2)
    stats = outbox.deliver_due()  # the sweep, past the lease
    assert (stats.claimed, stats.done) == (1, 1)
    assert calls.seen == [("h1", str(event.id))]
    d = delivery("h1")
    assert (d.status, d.attempts) == ("done", 2)
    clock.advance(hours=1)
    assert outbox.deliver_due().claimed == 0  # exactly once more, not again

    # Worker 1 was only stalled: when it resumes, its claim is gone, and
    # its (atomic) handler's writes are rolled back.
    assert outbox.deliver_one(claimed[0]) == "lost"
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("done", 2)


@pytest.mark.django_db
def test_claims_are_disjoint(calls, clock):
    calls.add("h1")
    for i in range(5):
        outbox.emit(TOPIC, {"i": i})
    first = outbox.claim_due(limit=3)
    second = outbox.claim_due(limit=3)
    assert len(first) == 3 and len(second) == 2
    assert not {d.id for d in first} & {d.id for d in second}
    assert outbox.claim_due() == []


@pytest.mark.django_db
def test_status_command_and_ping(clock):
    out = io.StringIO()
    call_command("outbox", "status", stdout=out)
    assert "没有投递记录" in out.getvalue()
    call_command("outbox", "ping", stdout=io.StringIO())
    out = io.StringIO()
    call_command("outbox", "status", stdout=out)
    assert "core.ping" in out.getvalue()
    assert outbox.deliver_due().done == 1
    assert OutboxDelivery.objects.get().handler == "yiwang.core.outbox.pong"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is PostgreSQL's")
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_claims_skip_rows_locked_by_another_worker(calls, clock, monkeypatch):
    import threading

    monkeypatch.setattr(outbox, "kick", lambda: None)  # emit commits at once here
    calls.add("h1")
    for i in range(4):
        outbox.emit(TOPIC, {"i": i})
    locked = threading.Event()
    release = threading.Event()
    held: list = []

    def other_worker():
        try:
            with transaction.atomic():
                rows = list(
                    OutboxDelivery.objects.select_for_update().order_by("next_attempt_at")[:2]
                )
                held.extend(r.id for r in rows)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    t = threading.Thread(target=other_worker)
    t.start()
    try:
        assert locked.wait(timeout=30)
        mine = outbox.claim_due()  # does not wait for the other worker's locks
        assert len(mine) == 2 and not {d.id for d in mine} & set(held)
    finally:
        release.set()
        t.join(timeout=30)


# --- Handler discovery ----------------------------------------------------------


def test_handlers_modules_of_yiwang_apps_are_imported(tmp_path, monkeypatch):
    pkg = tmp_path / "probe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "handlers.py").write_text(
        "from yiwang.core import outbox\n"
        "@outbox.handler('test.probe', name='probe.h')\n"
        "def h(event):\n    pass\n"
    )
    module = types.ModuleType("yiwang.probe")
    module.__path__ = [str(pkg)]
    monkeypatch.setitem(sys.modules, "yiwang.probe", module)
    config = types.SimpleNamespace(name="yiwang.probe", module=module)
    monkeypatch.setattr(core_apps.apps, "get_app_configs", lambda: [config])
    try:
        core_apps.autodiscover_handlers()
        assert outbox.get_handler("test.probe", "probe.h") is not None
    finally:
        outbox.unregister("test.probe", "probe.h")
        sys.modules.pop("yiwang.probe.handlers", None)


def test_ping_handler_is_registered_at_start_up():
    assert outbox.get_handler(outbox.PING_TOPIC, "yiwang.core.outbox.pong") is not None
