"""The WSGI entry point as a server process loads it: the application with
its URLconf and views loaded, the objects made so far frozen out of the
collector's sight, young collections less often."""

import json
import os
import subprocess
import sys

SCRIPT = """
import gc, json, sys
before = gc.get_threshold()
import yiwang.wsgi as w
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "threshold": gc.get_threshold(),
    "default": before,
    "views_loaded": "yiwang.cases.api" in sys.modules,
    "app": type(w.application).__name__,
}))
"""


def test_the_application_is_loaded_then_frozen(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**env, "YIWANG_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x"},
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout)
    assert got["app"] == "WSGIHandler"
    assert got["views_loaded"]  # the URLconf was imported before the freeze
    assert got["frozen"] > 50_000  # Django, DRF and the apps
    assert got["threshold"] == [5000, *got["default"][1:]]
