"""A real Celery worker for tests: Redis as the broker, the production configuration, a queue of its own,
the worker in a thread of the test process (so it uses the test database)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

REDIS_URL = os.environ.get("JICENG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKER_START_TIMEOUT = 30.0
TASK_TIMEOUT = 30.0


def _redis_reachable(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def require_redis() -> None:
    if _redis_reachable(REDIS_URL):
        return
    message = f"Redis is not reachable at {REDIS_URL}"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{message}: CI must run the real-worker test (start redis-server)")
    pytest.skip(f"{message}; the real-worker test runs where Redis is (always in CI)")


@contextmanager
def _celery_state_restored() -> Iterator[None]:
    """start_worker makes its app the current and default one and sets the root log level: undo it."""
    from celery import _state

    current, default = _state.get_current_app(), _state.default_app
    root_level = logging.getLogger().level
    try:
        yield
    finally:
        current.set_current()
        _state.set_default_app(default)
        logging.getLogger().setLevel(root_level)


@contextmanager
def real_worker() -> Iterator[Any]:
    """Yield the Celery app of a running worker; tasks sent while it runs go through Redis to it."""
    require_redis()
    import celery.contrib.testing.tasks  # noqa: F401 - the ping task start_worker checks the worker with
    import redis
    from celery.contrib.testing.worker import TestWorkController, start_worker

    from jiceng.celery import create_app

    class Worker(TestWorkController):
        def ensure_started(self) -> None:
            if not self._on_started.wait(WORKER_START_TIMEOUT):
                self.stop(in_sighandler=False)
                raise RuntimeError(f"the Celery worker did not start within {WORKER_START_TIMEOUT} s")

    queue = f"jiceng-test-{uuid.uuid4().hex}"
    app = create_app("jiceng-test", set_as_current=False)
    app.conf.update(
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_always_eager=False,
        task_ignore_result=False,
        result_expires=300,
        task_default_queue=queue,
        broker_connection_retry_on_startup=False,
        broker_connection_max_retries=1,
    )
    assert app.conf.task_acks_late and app.conf.timezone == "Asia/Shanghai"  # the production settings
    try:
        with (
            _celery_state_restored(),
            start_worker(
                app, pool="solo", WorkController=Worker, ping_task_timeout=TASK_TIMEOUT, shutdown_timeout=10
            ),
        ):
            yield app
    finally:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
