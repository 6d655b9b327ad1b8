"""Periodic jobs of the cases app.

- ``deem_accepted``: every hour, cases unanswered at the front desk for more
  than 5 working days count as accepted on their day of receipt (art. 32).
- ``refresh_running_deadlines``: every night, the deadlines of suspended
  cases (whose clock is stopped, so their ends move as days pass).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from yiwang.core.tasks import _as_worker

from . import services


@db_periodic_task(crontab(minute="7"))
def deem_accepted() -> None:
    _as_worker(services.deem_accepted_overdue)


@db_periodic_task(crontab(hour="0", minute="17"))
def refresh_running_deadlines() -> None:
    _as_worker(services.refresh_suspended_deadlines)
