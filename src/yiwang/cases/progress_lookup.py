"""The public progress lookup (公开进度查询), for the page and the API.

Anyone may ask with a case number and the applicant's phone, so guessing is
bounded: an address that has missed ``YIWANG_PROGRESS_MAX_MISSES`` times
within the hour is refused every lookup, right or wrong, until that hour is
over (as failed logins lock an account). Found lookups cost nothing; 0
switches the guard off. The count lives in Django's cache: per process in
the embedded default, shared through Redis when ``REDIS_URL`` is set."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from yiwang.core.errors import TooManyAttempts
from yiwang.core.middleware import current_context

from . import selectors
from .models import Case

WINDOW_SECONDS = 3600
logger = logging.getLogger(__name__)


def _key(ip: str, now: float) -> str:
    return f"cases.progress.misses:{ip}:{int(now // WINDOW_SECONDS)}"


def lookup(case_no: str, phone: str) -> Case | None:
    """The case with that number whose applicant has that phone, or None;
    ``TooManyAttempts`` (429) once the asking address (the request's, as the
    audit trail records it) has missed too often this hour. If the cache is
    unreachable the lookup still answers (and says so in the log)."""
    limit = settings.YIWANG_PROGRESS_MAX_MISSES
    if limit <= 0:  # the guard is switched off
        return selectors.find_by_number_and_phone(case_no, phone)
    now = time.time()
    key = _key(current_context().ip, now)
    if _misses(key) >= limit:
        raise TooManyAttempts(
            _("查询失败次数过多，请一小时后再试，或携带身份证件到窗口查询"),
            code="progress.too_many_misses",
            retry_after=WINDOW_SECONDS - int(now) % WINDOW_SECONDS,
        )
    case = selectors.find_by_number_and_phone(case_no, phone)
    if case is None:
        _count_miss(key)
    return case


def _misses(key: str) -> int:
    try:
        return cache.get(key, 0)
    except Exception:
        logger.exception("progress lookup: the cache is unreachable; lookups are not counted")
        return 0


def _count_miss(key: str) -> None:
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS)
    except Exception:
        logger.exception("progress lookup: the cache is unreachable; a miss was not counted")
