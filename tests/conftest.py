"""Fixtures shared by every test module."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real reference data (../shared/data)."""
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Transactional tests flush the database between tests; make sure no
    working-day data cached by one test is seen by the next."""
    from yiwang.core.calendar import clear_cache

    clear_cache()
    yield


@pytest.fixture(autouse=True)
def _fresh_django_cache():
    """Counters kept in Django's cache (failed progress lookups) start at
    zero in every test."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language: a request in English
    leaves English active in the thread (LocaleMiddleware activates the
    request's language and nothing puts it back), and a later test in the
    same worker would print English where it expects Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    """``yiwang <command>`` (``cli.main``) closes the database connections when
    it ends, as Django's ``run_from_argv`` does. Inside a test's transaction on
    PostgreSQL that would end the test's transaction and every query after it
    would fail, so tests keep the connection open."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)
