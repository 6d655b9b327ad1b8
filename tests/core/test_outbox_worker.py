"""The outbox with a real huey consumer in another process.

pytest-django's test database is in memory (SQLite) or private to this
process's transaction, so a worker process could not see it. These tests
therefore run the platform as an operator would: the real settings, a
temporary ``YIWANG_VAR_DIR`` holding a migrated SQLite database file and
(by default) the SQLite huey queue, ``yiwang outbox ping`` to emit an event
(its on-commit kick goes onto the real, non-immediate queue) and ``yiwang
run_huey`` to consume it. They need no pytest-django database, so they run
the same whether or not ``DATABASE_URL`` points at PostgreSQL."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("YIWANG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEADLINE = 90  # seconds a worker gets to deliver before the test fails


def yiwang(*args, env, **kw):
    return subprocess.run(
        [sys.executable, "-m", "yiwang.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kw,
    )


def platform_env(var_dir: Path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "YIWANG_HUEY_IMMEDIATE"}
    }
    env.update(YIWANG_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="yiwang.settings", **extra)
    return env


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("yiwang-var")
    done = yiwang("migrate", "--no-input", "-v", "0", env=platform_env(path))
    assert done.returncode == 0, done.stderr
    return path


def db(var_dir: Path):
    return sqlite3.connect(var_dir / "yiwang.sqlite3", timeout=20)


def ping(env, var_dir) -> str:
    done = yiwang("outbox", "ping", env=env)
    assert done.returncode == 0, done.stderr
    with db(var_dir) as conn:
        (event_id,) = conn.execute(
            "SELECT id FROM core_outboxevent WHERE topic = 'core.ping' ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    return event_id


def delivery_state(var_dir, event_id):
    with db(var_dir) as conn:
        return conn.execute(
            "SELECT status, attempts FROM core_outboxdelivery WHERE event_id = ?", [event_id]
        ).fetchone()


def consume_until_delivered(env, var_dir, event_id, log_path):
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "yiwang.cli", "run_huey", "-w", "1", "-k", "thread"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + DEADLINE
            state = delivery_state(var_dir, event_id)
            while state[0] != "done" and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)  # waiting for another process, not for the clock
                state = delivery_state(var_dir, event_id)
        finally:
            worker.send_signal(signal.SIGINT)  # huey's graceful shutdown
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    return state


def test_real_consumer_delivers_from_the_sqlite_queue(var_dir):
    env = platform_env(var_dir)
    first = ping(env, var_dir)
    event_id = ping(env, var_dir)
    assert delivery_state(var_dir, event_id) == ("pending", 0)
    with sqlite3.connect(var_dir / "huey.sqlite3") as queue:
        # Two commits, one run queued: it delivers both.
        assert queue.execute("SELECT count(*) FROM task").fetchone()[0] == 1
    log = var_dir / "huey-sqlite.log"
    state = consume_until_delivered(env, var_dir, event_id, log)
    assert state == ("done", 1), log.read_text()[-3000:]
    assert delivery_state(var_dir, first) == ("done", 1)
    # The run cleared its flag: the next commit queues a run again.
    later = ping(env, var_dir)
    with sqlite3.connect(var_dir / "huey.sqlite3") as queue:
        assert queue.execute("SELECT count(*) FROM task").fetchone()[0] == 1
    state = consume_until_delivered(env, var_dir, later, log)
    assert state == ("done", 1), log.read_text()[-3000:]


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception:
        return None


@pytest.mark.redis
def test_real_consumer_delivers_through_redis(var_dir):
    client = _redis()
    if client is None:
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    name = f"yiwangtest{uuid.uuid4().hex[:8]}"  # huey keeps [a-z0-9] only
    env = platform_env(var_dir, REDIS_URL=REDIS_URL, YIWANG_HUEY_NAME=name)
    try:
        event_id = ping(env, var_dir)
        assert delivery_state(var_dir, event_id) == ("pending", 0)
        assert any(client.scan_iter(match=f"*{name}*"))  # the kick sits in Redis
        log = var_dir / "huey-redis.log"
        state = consume_until_delivered(env, var_dir, event_id, log)
        assert state == ("done", 1), log.read_text()[-3000:]
    finally:
        keys = list(client.scan_iter(match=f"*{name}*"))
        if keys:
            client.delete(*keys)
