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
