"""Integration tests against the real services CI runs: PostgreSQL, Redis and a Celery worker subprocess.

Skipped, with the reason shown, where DATABASE_URL is not PostgreSQL or Redis does not answer.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.criteria.conftest import small_world  # noqa: F401 - the same small tree as the recompute tests

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"


def _redis_answers() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip
        return f"Redis at {REDIS_URL} does not answer ({type(exc).__name__})"
    return None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(here)]
    if not mine:
        return
    reason = None
    if not (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql://")):
        reason = "integration tests need DATABASE_URL=postgres://… (the worker shares the test database)"
    else:
        reason = _redis_answers()
    for item in mine:
        item.add_marker(pytest.mark.integration)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


class Worker:
    """A Celery worker subprocess on the test database and its own Redis key prefix."""

    def __init__(self, prefix: str, log: Path, **env):
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_KEY_PREFIX": prefix,
            "CONN_MAX_AGE": "0",
            **env,
        }
        self.log = log
        self.process = None

    def start(self, timeout: float = 60) -> "Worker":
        offset = self.log.stat().st_size if self.log.exists() else 0
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "integration" / "worker.py")],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            if b" ready." in self.log.read_bytes()[offset:]:
                return self
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"the worker did not start within {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: no chance to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def _reset_pools(app):
    """Connections made with the previous broker options are dropped; the next send makes new ones."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools in a process-wide registry keyed by connection: one built on the pool closed
    # above would be handed out again ("Acquire on closed pool") to the next test that queues a task.
    pools.reset()


@pytest.fixture
def broker(settings):
    """This process queues onto real Redis under a key prefix of its own (parallel runs do not meet)."""
    from criteria import tasks
    from ntm_tracker.celery import app

    prefix = f"ntm-test-{uuid.uuid4().hex[:8]}:"
    options = {"visibility_timeout": 3, "global_keyprefix": prefix}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = REDIS_URL
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.update(task_always_eager=False, broker_url=REDIS_URL, broker_transport_options=options)
    _reset_pools(app)
    tasks._redis.cache_clear()
    yield prefix
    app.conf.update(task_always_eager=saved[0], broker_url=saved[1], broker_transport_options=saved[2])
    _reset_pools(app)
    tasks._redis.cache_clear()
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def workers(broker, tmp_path):
    started = []

    def start(**env):
        worker = Worker(broker, tmp_path / "worker.log", CELERY_VISIBILITY_TIMEOUT="3", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")
