"""A stack of its own for tests that kill things: a Redis server and workers nobody else uses.

The session's Redis and worker are shared by every test; a test that kills a worker or
restarts Redis gets a ``Stack`` instead, started on free ports and stopped at teardown.
The fake Twilio API is still the session's (each test resets it).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

from bot.config import Config
from bot.embedded_redis import RedisServer
from tests.conftest import WorkerProcess, config_env


class Stack:
    """One Redis server and any number of ``python -m workers`` processes."""

    def __init__(self, directory: Path, base: Config, maxmemory: str | None = None) -> None:
        self.directory = directory
        self.server = RedisServer(directory / "redis", maxmemory=maxmemory).start()
        self.config = base.with_overrides(redis_url=self.server.url)
        self.redis = Redis.from_url(self.server.url)
        self.workers: list[WorkerProcess] = []

    def start_worker(self, **overrides: object) -> WorkerProcess:
        env = config_env(self.config.with_overrides(**overrides) if overrides else self.config)
        worker = WorkerProcess(env, self.directory / f"worker-{len(self.workers)}.log").start()
        self.workers.append(worker)
        return worker

    def kill_worker(self, worker: WorkerProcess) -> None:
        """``kill -9``: no clean-up, no goodbye; whatever it held is left mid-way."""
        assert worker.process is not None
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)

    def restart_redis(self, kill: bool = True) -> None:
        """Kill Redis and start it again on the same port and append-only file."""
        port = self.server.port
        self.server.stop(kill=kill)
        self.server = RedisServer(self.directory / "redis", port=port).start()

    def wait_until(self, description: str, check: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():  # type: ignore[operator]
                    return
            except RedisError:  # Redis restarting: keep waiting
                time.sleep(0.2)
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {description}")

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.redis.close()
        self.server.stop()


@pytest.fixture
def stack(tmp_path: Path, base_config: Config) -> Iterator[Stack]:
    built = Stack(tmp_path, base_config)
    yield built
    built.stop()
