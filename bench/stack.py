"""The pieces a broadcast benchmark runs, each a real process as in production.

Why real processes: a broadcast's speed is decided by the worker processes (their threads,
their Redis round trips, the ``twilio`` client's CPU), by Redis and by the API's answers;
an in-process imitation would share one GIL among all of them and measure that instead.
Shared by ``bench.broadcast_drain`` and ``bench.memory``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from redis import Redis

from bench.webhook import ROOT, children
from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import REAL, Keys
from bot.subscriptions import subscribe, time_zones_of
from messages.model import Channel

PUBLIC_BASE_URL = "https://bot.example.test"
SMS_FROM = "+15005550006"
SECRET_KEY = "bench-secret-key-not-for-production"
PHONE_HASH_KEY = "bench-phone-hash-key-0123456789"
NUMBER_PREFIX = "+1415"


def rss_kib(pid: int) -> int:
    """Resident memory of one process (VmRSS from /proc, in KiB); 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class FakeApi:
    """``bench.fake_twilio_server`` as a child process, driven over its stdin/stdout."""

    def __init__(self, latency: float, rate: int | None, max_in_flight: int | None, log_path: Path) -> None:
        command = [sys.executable, "-m", "bench.fake_twilio_server", "--latency", str(latency)]
        if rate is not None:
            command += ["--rate", str(rate)]
        if max_in_flight is not None:
            command += ["--max-in-flight", str(max_in_flight)]
        self.latency, self.rate, self.max_in_flight = latency, rate, max_in_flight
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._log, text=True, bufsize=1,
                                        env={**os.environ, "PYTHONPATH": str(ROOT)})
        hello = self._read()
        self.base_url: str = hello["base_url"]
        self.account_sid: str = hello["account_sid"]
        self.auth_token: str = hello["auth_token"]
        self.pid: int = self.process.pid

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("fake Twilio server exited; see its log")
        return dict(json.loads(line))

    def ask(self, command: str) -> dict[str, Any]:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(command + "\n")
        stdin.flush()
        return self._read()

    def stats(self) -> dict[str, Any]:
        return self.ask("stats")

    def timeline(self) -> tuple[dict[int, int], dict[int, int]]:
        """(creates, 429s) per whole second of the fake's clock."""
        answer = self.ask("timeline")
        self.crowds: list[list[float]] = answer["crowds"]
        return ({int(k): v for k, v in answer["created"].items()},
                {int(k): v for k, v in answer["limited"].items()})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def bot_environment(redis_url: str, fake: FakeApi | None, **settings: str) -> dict[str, str]:
    """Production settings through the environment (as the Procfile's processes get them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "REDIS_", "SEND_", "QUIET_"))}
    env.update({
        "SECRET_KEY": SECRET_KEY, "PHONE_HASH_KEY": PHONE_HASH_KEY, "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    })
    if fake is not None:
        env.update({"TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
                    "TWILIO_API_BASE_URL": fake.base_url, "TWILIO_SMS_FROM": SMS_FROM})
    env.update(settings)
    return env


@dataclass
class Workers:
    """``python -m workers`` processes (the Procfile's worker line), logs kept in files."""

    env: dict[str, str]
    directory: Path
    count: int = 2
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, redis: Redis, timeout: float = 60.0) -> Workers:
        for index in range(self.count):
            with (self.directory / f"worker-{index}.log").open("ab") as log:
                self.processes.append(subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=self.env,
                                                       stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        while redis.scard("rq:workers") < self.count:  # each registers once its loop is running
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"workers did not start; see {self.directory}/worker-*.log")
            time.sleep(0.2)
        return self

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def cpu(self) -> float:
        return sum(self.cpu_split())

    def cpu_split(self) -> tuple[float, float]:
        """(user, system) CPU seconds of all the workers: system time is the syscalls
        (a Redis round trip or an HTTP request is a send and a receive) and thread switches."""
        user = system = 0.0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
            system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
        return user, system

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def web_pids(master: int) -> list[int]:
    """The gunicorn master and its workers."""
    return [master, *sorted(children(master))]


def seed_subscribers(redis: Redis, count: int, language: str = "en", chunk: int = 5000) -> None:
    """``count`` SMS subscribers as JOIN leaves them (sealed number, pseudonym, audience count),
    written in pipelines: seeding through the webhook would take longer than the benchmark."""
    book = AddressBook(PHONE_HASH_KEY)
    keys = Keys(REAL)
    zones = time_zones_of(f"{NUMBER_PREFIX}5550100")  # the same prefix for all: one look-up
    now = time.time()
    for start in range(0, count, chunk):
        with redis.pipeline(transaction=False) as pipe:
            for index in range(start, min(count, start + chunk)):
                number = f"{NUMBER_PREFIX}{index:07d}"
                subscribe(pipe, keys, channel=Channel.SMS, person=book.pseudonym(number),
                          sealed_address=book.seal(number), language=language, time_zones=zones,
                          now=now, previous_language=None)
            pipe.execute()


def used_memory(redis: Redis) -> int:
    """Redis's own count of the bytes its data takes (``INFO memory`` used_memory)."""
    return int(redis.info("memory")["used_memory"])


def settle_memory(redis: Redis) -> int:
    """used_memory once nothing is changing it (two equal readings 0.5 s apart, or 10 s)."""
    previous, deadline = -1, time.monotonic() + 10
    while time.monotonic() < deadline:
        current = used_memory(redis)
        if current == previous:
            return current
        previous = current
        time.sleep(0.5)
    return previous


def apply_redis_settings(redis: Redis, settings: list[str]) -> None:
    """``NAME=VALUE`` pairs applied with CONFIG SET: to measure a proposed Redis setting."""
    for setting in settings:
        name, _, value = setting.partition("=")
        redis.config_set(name, value)


def config_for(env: dict[str, str]) -> Config:
    """The same Config the processes build from ``env``."""
    return Config.from_env(env)
