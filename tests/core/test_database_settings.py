"""What the settings make of ``DATABASE_URL``: a PostgreSQL server keeps its
connections and prepares its statements unless told otherwise; SQLite gets
none of that. Read in a fresh interpreter, as a server process reads them."""

import json
import os
import subprocess
import sys

import pytest

PG = "postgres://yiwang@db.invalid:5432/yiwang"


def database(tmp_path, **env) -> dict:
    script = "import json, yiwang.settings as s; print(json.dumps(s.DATABASES['default']))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_DB_", "DATABASE_"))}
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, "YIWANG_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    "env, max_age, prepared",
    [
        ({"DATABASE_URL": PG}, 60, True),
        ({"DATABASE_URL": PG + "?conn_max_age=300"}, 300, True),
        ({"DATABASE_URL": PG, "YIWANG_DB_CONN_MAX_AGE": "0"}, 0, True),
        ({"DATABASE_URL": PG, "YIWANG_DB_PREPARE": "false"}, 60, False),
    ],
)
def test_postgresql_keeps_connections_and_prepares_statements(tmp_path, env, max_age, prepared):
    db = database(tmp_path, **env)
    assert db["CONN_MAX_AGE"] == max_age and db["CONN_HEALTH_CHECKS"] is True
    assert db["ENGINE"] == "yiwang.core.db.postgresql"  # the socket-polling health check
    options = db.get("OPTIONS", {})
    if prepared:
        assert options["server_side_binding"] is True and options["prepare_threshold"] == 5
    else:
        assert "server_side_binding" not in options and "prepare_threshold" not in options


def test_sqlite_gets_neither(tmp_path):
    db = database(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    assert db.get("CONN_MAX_AGE", 0) == 0
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert "server_side_binding" not in db["OPTIONS"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
