"""Background jobs of the shared kernel (huey; see ``settings.HUEY``).

- ``deliver_outbox``: kicked after a transaction that emitted events commits.
- ``sweep_outbox``: every minute, delivers whatever is due, including
  deliveries whose worker died (expired lease) and retries after back-off.
- ``seal_audit_checkpoint``: every ten minutes, seals the audit streams
  into a signed checkpoint (skipped when nothing was appended).

Periodic tasks run in the consumer (``yiwang run_huey``), which must be
started with periodic tasks enabled (the default).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import audit, outbox
from .middleware import RequestContext, reset_context, set_context


def _as_worker(fn, *args, **kwargs):
    token = set_context(RequestContext(channel="worker"))
    try:
        return fn(*args, **kwargs)
    finally:
        reset_context(token)


@db_task()
def deliver_outbox() -> None:
    _as_worker(outbox.deliver_due)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    _as_worker(outbox.deliver_due)


@db_periodic_task(crontab(minute="*/10"))
def seal_audit_checkpoint() -> None:
    _as_worker(audit.seal_checkpoint)
