"""The transactional outbox: events that leave a transaction safely.

A service calls :func:`emit` inside its transaction. The event row, and one
:class:`OutboxDelivery` row per handler registered for the topic, commit or
roll back with the change; an event whose transaction rolled back never
existed. After commit, a huey task is kicked to deliver; a periodic sweep
(every minute, ``core.tasks.sweep_outbox``) delivers whatever the kick
missed, so nothing depends on the kick.

Delivery is **at least once**. A worker claims due deliveries with a lease
(``claimed_until``); if it dies mid-delivery the lease expires and another
worker delivers again. Handlers must therefore be idempotent: they receive
the :class:`OutboxEvent`, whose ``id`` is stable across redeliveries and is
the thing to dedupe on. By default a handler runs in one transaction with
the "done" mark, so its own database writes happen exactly once; side
effects outside the database (SMS, HTTP) may repeat.

Register handlers in an app's ``handlers.py`` (imported at start-up by
``core.apps``)::

    from yiwang.core import outbox

    @outbox.handler("accounts.user_registered")
    def send_welcome(event):
        ...

Each (event, handler) pair is tracked on its own: one failing handler is
retried with exponential back-off without redoing the others, and after
``MAX_ATTEMPTS`` it is marked failed (visible in ``yiwang outbox status``,
revived by ``yiwang outbox retry --failed``).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .ids import uuid7
from .prepared import insert

logger = logging.getLogger(__name__)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# Tunables (seconds / counts); read at call time so tests and settings can change them.
def lease_seconds() -> int:
    return _setting("YIWANG_OUTBOX_LEASE_SECONDS", 300)


def backoff_base_seconds() -> int:
    return _setting("YIWANG_OUTBOX_BACKOFF_BASE_SECONDS", 60)


def backoff_cap_seconds() -> int:
    return _setting("YIWANG_OUTBOX_BACKOFF_CAP_SECONDS", 3600)


def max_attempts() -> int:
    return _setting("YIWANG_OUTBOX_MAX_ATTEMPTS", 10)


BATCH_SIZE = 50
MAX_BATCHES_PER_RUN = 100  # a run stops after this; the next kick or sweep goes on


def now() -> datetime:
    """The outbox's clock. Tests monkeypatch ``yiwang.core.outbox.now``."""
    return timezone.now()


def backoff(attempts: int) -> timedelta:
    """Delay after the ``attempts``-th failed attempt: base, 2×base, 4×base …
    capped (1 min → 1 h by default)."""
    seconds = backoff_base_seconds() * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, backoff_cap_seconds()))


# --- Models --------------------------------------------------------------


class OutboxEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    topic = models.CharField(_("主题"), max_length=120)
    key = models.CharField(_("关联键"), max_length=120, blank=True)
    payload = models.JSONField(_("内容"), default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("待发事件")
        verbose_name_plural = _("待发事件")
        ordering = ["created_at", "id"]
        # Equality only: declared here, not with db_index, which on
        # PostgreSQL adds a LIKE index per column, written on every event.
        indexes = [
            models.Index(fields=["topic"], name="outbox_event_topic"),
            models.Index(fields=["key"], name="outbox_event_key"),
        ]

    def __str__(self):
        return f"{self.topic} {self.id}"


class OutboxDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        DONE = "done", _("已投递")
        FAILED = "failed", _("投递失败")

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    event = models.ForeignKey(
        OutboxEvent,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("事件"),
        db_index=False,  # the unique (event, handler) serves it
    )
    handler = models.CharField(_("处理程序"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    claimed_until = models.DateTimeField(_("租约到期"), null=True, blank=True)
    claim_token = models.CharField(_("认领标记"), max_length=32, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    done_at = models.DateTimeField(_("投递时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_unique")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["claim_token"], name="outbox_delivery_claim"),
        ]

    def __str__(self):
        return f"{self.handler} ← {self.event_id} ({self.status})"


# --- Handler registry ----------------------------------------------------


@dataclass(frozen=True)
class Handler:
    topic: str
    name: str
    func: Callable[[OutboxEvent], object]
    atomic: bool = True


_registry: dict[str, dict[str, Handler]] = {}


def handler(topic: str, *, name: str | None = None, atomic: bool = True):
    """Register the decorated function as a handler of ``topic``.

    ``name`` (default: the function's dotted path) is stored on each
    delivery, so renaming a handler orphans its pending deliveries: keep it
    stable, or pass the old name. With ``atomic`` (the default) the handler
    runs in a transaction together with marking the delivery done; pass
    ``atomic=False`` for handlers that spend long outside the database (on
    SQLite an open transaction holds the write lock)."""

    def decorator(func):
        register(topic, func, name=name, atomic=atomic)
        return func

    return decorator


def register(
    topic: str, func: Callable[[OutboxEvent], object], *, name: str | None = None, atomic=True
) -> Handler:
    name = name or f"{func.__module__}.{func.__qualname__}"
    entry = Handler(topic=topic, name=name, func=func, atomic=atomic)
    _registry.setdefault(topic, {})[name] = entry
    return entry


def unregister(topic: str, name: str) -> None:
    _registry.get(topic, {}).pop(name, None)


def handlers_for(topic: str) -> list[Handler]:
    return list(_registry.get(topic, {}).values())


def get_handler(topic: str, name: str) -> Handler | None:
    return _registry.get(topic, {}).get(name)


# --- Emitting ------------------------------------------------------------


def emit(topic: str, payload: dict, *, key: str = "") -> OutboxEvent:
    """Write an event in the current transaction, with one pending delivery
    per handler registered for ``topic``, and kick delivery after commit.

    ``payload`` must be JSON-able (DjangoJSONEncoder: dates, decimals and
    UUIDs become strings); handlers receive it as stored. ``key`` names what
    the event is about (e.g. ``cases.case:<id>``) for searching and tracing;
    it does not order delivery: handlers must not rely on order."""
    stored = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    handlers = handlers_for(topic)
    with transaction.atomic(savepoint=False):  # part of the caller's change
        event = OutboxEvent(topic=topic, key=key, payload=stored, created_at=now())
        insert(event)
        insert(
            *(
                OutboxDelivery(event=event, handler=h.name, next_attempt_at=event.created_at)
                for h in handlers
            )
        )
    if handlers:
        transaction.on_commit(kick)
    return event


def kick() -> None:
    """After a commit that emitted events: ask a worker to deliver now.

    The request that committed does not wait for the queue: it hands the
    kick to its process's kicker thread (:class:`_Kicker`), which sends one
    kick for every commit made before it sends. With jobs run inline (the
    tests, ``YIWANG_HUEY_IMMEDIATE``) the kick is sent here, at once. Never
    raises: if the queue is down, the periodic sweep delivers later."""
    if _jobs_inline():
        send_kick()
    else:
        _kicker.request()


def _jobs_inline() -> bool:
    from huey.contrib.djhuey import HUEY

    return HUEY.immediate


def send_kick() -> None:
    """Queue a delivery run (``tasks.request_delivery``: once for a burst of
    commits, across processes). Never raises."""
    try:
        from .tasks import request_delivery

        request_delivery()
    except Exception:
        logger.exception("outbox: could not enqueue delivery; the sweep will deliver")


class _Kicker:
    """One thread per process that sends the kicks of its requests' commits.

    A kick is a round trip to the queue (Redis, or the SQLite queue file);
    made by the committing request it was about a twelfth of a walk-in's
    submission. Here a commit only sets ``due``; the thread clears ``due``
    and *then* sends, so a commit that finds ``due`` set is made before a
    kick that is still to be sent, and a commit that finds it clear wakes
    the thread for another. Commits while a kick is on its way share the
    next one. The thread is started on first use in each process (gunicorn
    forks its workers) and a kick still due at exit is sent then (a command
    such as ``yiwang outbox ping`` ends right after its commit)."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # Also in a forked child: the parent's thread is not there, and its
        # lock may have been held at the fork.
        self._cv = threading.Condition(threading.Lock())
        self._due = self._sending = self._started = False

    def request(self) -> None:
        with self._cv:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="outbox-kicker", daemon=True).start()
                atexit.register(self.flush)
            if not self._due:
                self._due = True
                self._cv.notify_all()

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._due)
                self._due, self._sending = False, True
            try:
                send_kick()
            finally:
                with self._cv:
                    self._sending = False
                    self._cv.notify_all()

    def flush(self, timeout: float = 5.0) -> None:
        """Let a kick on its way arrive, and send one still due, from the
        calling thread (at exit: a daemon thread is not waited for)."""
        with self._cv:
            self._cv.wait_for(lambda: not self._sending, timeout)
            due, self._due = self._due, False
        if due:
            send_kick()


_kicker = _Kicker()


# --- Delivering ----------------------------------------------------------


@dataclass
class DeliveryStats:
    claimed: int = 0
    done: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # our lease expired and someone else took the delivery
    errors: list[str] = field(default_factory=list)


class _LostClaim(Exception):
    pass


def _due(at: datetime) -> Q:
    return Q(status=OutboxDelivery.Status.PENDING, next_attempt_at__lte=at) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=at)
    )


def claim_due(*, limit: int = BATCH_SIZE) -> list[OutboxDelivery]:
    """Claim up to ``limit`` due deliveries (pending and due, unclaimed or
    with an expired lease) for this worker, counting the attempt.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent workers
    take disjoint batches without waiting. SQLite: one ``UPDATE … WHERE id IN
    (SELECT … LIMIT n)``, atomic under SQLite's single writer. Either way the
    claim is a token plus a lease, committed at once: the handler runs
    outside the claiming transaction and no row stays locked meanwhile."""
    at = now()
    token = uuid.uuid4().hex
    due = _due(at)
    with transaction.atomic():
        candidates = OutboxDelivery.objects.filter(due).order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            ids = list(
                candidates.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit]
            )
            target = OutboxDelivery.objects.filter(id__in=ids)
        else:
            # Repeat the due condition at the top level: the UPDATE re-checks
            # it on the row it actually changes.
            target = OutboxDelivery.objects.filter(due, id__in=candidates.values("id")[:limit])
        target.update(
            claim_token=token,
            claimed_until=at + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    return list(
        OutboxDelivery.objects.filter(claim_token=token)
        .select_related("event")
        .order_by("next_attempt_at")
    )


def _finish(delivery: OutboxDelivery, **fields) -> bool:
    """Update the delivery if we still hold its claim."""
    fields.setdefault("claim_token", "")
    fields.setdefault("claimed_until", None)
    return bool(
        OutboxDelivery.objects.filter(
            id=delivery.id, claim_token=delivery.claim_token, status=OutboxDelivery.Status.PENDING
        ).update(**fields)
    )


def deliver_one(delivery: OutboxDelivery) -> str:
    """Run one claimed delivery; return ``done``, ``retrying``, ``failed`` or
    ``lost``."""
    event = delivery.event
    entry = get_handler(event.topic, delivery.handler)
    try:
        if entry is None:
            raise LookupError(f"no handler {delivery.handler!r} registered for {event.topic!r}")
        if entry.atomic:
            with transaction.atomic():
                entry.func(event)
                if not _finish(delivery, status=OutboxDelivery.Status.DONE, done_at=now()):
                    raise _LostClaim
        else:
            entry.func(event)
            if not _finish(delivery, status=OutboxDelivery.Status.DONE, done_at=now()):
                raise _LostClaim
    except _LostClaim:
        logger.warning("outbox: lost the claim on %s; another worker delivers it", delivery)
        return "lost"
    except Exception:
        error = traceback.format_exc()[-4000:]
        logger.warning("outbox: %s failed (attempt %s)\n%s", delivery, delivery.attempts, error)
        if delivery.attempts >= max_attempts():
            _finish(delivery, status=OutboxDelivery.Status.FAILED, last_error=error)
            return "failed"
        _finish(delivery, next_attempt_at=now() + backoff(delivery.attempts), last_error=error)
        return "retrying"
    return "done"


def deliver_due(
    *, limit: int = BATCH_SIZE, max_batches: int = MAX_BATCHES_PER_RUN
) -> DeliveryStats:
    """Claim and run due deliveries in batches until none are due (or
    ``max_batches`` ran). This is what the huey tasks and ``yiwang outbox
    deliver`` call."""
    stats = DeliveryStats()
    for _batch in range(max_batches):
        batch = claim_due(limit=limit)
        if not batch:
            break
        stats.claimed += len(batch)
        for delivery in batch:
            outcome = deliver_one(delivery)
            setattr(stats, outcome, getattr(stats, outcome) + 1)
    return stats


# --- Operating -----------------------------------------------------------


def retry(*, failed: bool = False, topic: str | None = None) -> int:
    """Make backing-off deliveries due now; with ``failed``, revive failed
    ones too (each gets one more attempt before it fails again). Returns how
    many were rescheduled; kicks delivery after commit."""
    at = now()
    statuses = [OutboxDelivery.Status.PENDING]
    if failed:
        statuses.append(OutboxDelivery.Status.FAILED)
    qs = OutboxDelivery.objects.filter(status__in=statuses).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=at)
    )
    if topic:
        qs = qs.filter(event__topic=topic)
    with transaction.atomic():
        count = qs.update(status=OutboxDelivery.Status.PENDING, next_attempt_at=at)
    if count:
        transaction.on_commit(kick)
    return count


def status_counts() -> list[dict]:
    """Deliveries counted by topic and status (``in_flight``: pending with a
    live lease)."""
    at = now()
    rows = (
        OutboxDelivery.objects.values("event__topic", "status")
        .annotate(
            n=Count("id"),
            in_flight=Count("id", filter=Q(claimed_until__gte=at)),
        )
        .order_by("event__topic", "status")
    )
    return [
        {
            "topic": r["event__topic"],
            "status": r["status"],
            "count": r["n"],
            "in_flight": r["in_flight"],
        }
        for r in rows
    ]


# A handler of our own, so an operator (and the tests) can check that a
# worker is consuming: ``yiwang outbox ping``.
PING_TOPIC = "core.ping"


@handler(PING_TOPIC, name="yiwang.core.outbox.pong")
def _pong(event: OutboxEvent) -> None:
    logger.info("outbox: ping %s delivered", event.id)
