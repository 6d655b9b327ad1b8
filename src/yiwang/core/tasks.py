"""Background jobs of the shared kernel (huey; see ``settings.HUEY``).

- ``deliver_outbox``: kicked after a transaction that emitted events commits
  (``request_delivery``: at most one run waits in the queue at a time).
- ``sweep_outbox``: every minute, delivers whatever is due, including
  deliveries whose worker died (expired lease) and retries after back-off.
- ``seal_audit_checkpoint``: every ten minutes, seals the audit streams
  into a signed checkpoint (skipped when nothing was appended).

Periodic tasks run in the consumer (``yiwang run_huey``), which must be
started with periodic tasks enabled (the default).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from . import audit, outbox
from .middleware import RequestContext, reset_context, set_context


def _as_worker(fn, *args, **kwargs):
    token = set_context(RequestContext(channel="worker"))
    try:
        return fn(*args, **kwargs)
    finally:
        reset_context(token)


# Set while a delivery run waits in the queue; the run clears it before it
# claims anything, so a commit that finds it set is seen by that run.
KICK_PENDING = "outbox-kick-pending"


def request_delivery() -> None:
    """Queue a delivery run unless one is queued and has not started yet:
    a burst of commits (a busy window, a batch import) wakes the worker
    once, not once per event. The flag lives in huey's own storage (Redis,
    or the SQLite queue file), shared by every web process and worker."""
    if not HUEY.put_if_empty(KICK_PENDING, b"1"):
        return
    try:
        deliver_outbox()
    except Exception:
        HUEY.delete(KICK_PENDING)  # not queued after all: let the next commit try
        raise


@db_task()
def deliver_outbox() -> None:
    HUEY.delete(KICK_PENDING)
    _as_worker(outbox.deliver_due)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    # Also lifts a flag whose run was lost (its enqueue and the cleanup
    # both failed, say with the queue down): kicks resume within a minute.
    HUEY.delete(KICK_PENDING)
    _as_worker(outbox.deliver_due)


@db_periodic_task(crontab(minute="*/10"))
def seal_audit_checkpoint() -> None:
    _as_worker(audit.seal_checkpoint)
