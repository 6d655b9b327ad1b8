"""The services' clock.

Every module of the package reads the time through this one
(``clock.now()``, ``clock.today()``), so that a test moves it in one place:
``monkeypatch.setattr(yiwang.cases.services.clock, "now", fake)`` (tests never
sleep).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from yiwang.core import calendar


def now() -> dt.datetime:
    """Now (tests replace this function)."""
    return timezone.now()


def today() -> dt.date:
    return calendar.local_today(now())
