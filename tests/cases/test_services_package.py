"""The services package reads the time in one place, so that the tests'
clock (``services.clock.now``, see conftest) reaches every move."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

from yiwang.cases import services


def test_every_module_reads_the_time_through_the_clock():
    package = Path(services.__file__).parent
    for module in pkgutil.iter_modules([str(package)]):
        if module.name == "clock":
            continue
        text = (package / f"{module.name}.py").read_text(encoding="utf-8")
        assert "timezone.now" not in text, module.name
        # A bare now()/today() would be a copy the tests' clock does not reach.
        assert not re.search(r"(?<![\w.])(now|today)\(\)", text), module.name
        assert not re.search(r"import[^\n]*\b(now|today)\b", text), module.name


def test_the_old_patch_target_is_gone():
    """``monkeypatch.setattr(services, "now", …)`` fails loudly instead of
    moving nothing."""
    assert not hasattr(services, "now") and not hasattr(services, "today")
