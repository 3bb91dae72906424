"""Shared fixtures: a real redis-server, a local fake Twilio API, the app, a real worker.

Nothing here is mocked: the Redis server is a real process on a free port (started by the
project's own code), the fake Twilio is an HTTP server that the real ``twilio`` client talks
to, and the worker is ``python -m workers`` in a subprocess.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ResponseError
from twilio.request_validator import RequestValidator

from bot import create_app
from bot.config import Config
from bot.embedded_redis import RedisServer
from bot.keys import REPLY_QUEUE
from bot.logs import JsonFormatter, ScrubFilter
from bot.services import services
from bot.streams import INBOUND_STREAM, REPLY_STREAM, WorkStream
from tests.fake_twilio import FakeTwilio
from workers.context import build_deliverer
from workers.delivery import Deliverer
from workers.inbound import LEASE_SECONDS as INBOUND_LEASE
from workers.inbound import InboundPump

pytest_plugins = ("tests.browser", "tests.isolated")  # browser fixtures; the `stack` of tests that kill things

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_BASE_URL = "https://bot.example.test"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "whatsapp:+14155238886"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="session")
def templates_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates") / "whatsapp_templates.json"
    path.write_text("{}")
    return path


@pytest.fixture(scope="session")
def base_config(redis_server: RedisServer, fake_twilio: FakeTwilio, templates_path: Path) -> Config:
    """The settings every test process shares (the worker subprocess gets the same)."""
    return Config(
        whatsapp_templates=str(templates_path),
        redis_url=redis_server.url,
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=fake_twilio.auth_token,
        twilio_api_base_url=fake_twilio.base_url,
        twilio_sms_from=SMS_FROM,
        twilio_whatsapp_from=WHATSAPP_FROM,
        public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret-key-not-for-production",
        phone_hash_key="test-phone-hash-key-0123456789",
        log_level="DEBUG",
        log_format="json",  # the worker writes JSON lines, as in production (see test_zz_log_privacy)
        reply_retries=4,
        send_rate_per_second=1000.0,
        quiet_hours="00:00-00:00",  # quiet hours have their own tests (test_quiet_hours.py)
    )


def config_env(config: Config) -> dict[str, str]:
    """The environment that makes ``Config.from_env()`` return ``config``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "REDIS_"))}
    env.update({
        "REDIS_URL": config.redis_url,
        "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "TWILIO_API_BASE_URL": config.twilio_api_base_url,
        "TWILIO_SMS_FROM": config.twilio_sms_from,
        "TWILIO_WHATSAPP_FROM": config.twilio_whatsapp_from,
        "PUBLIC_BASE_URL": config.public_base_url,
        "SECRET_KEY": config.secret_key,
        "PHONE_HASH_KEY": config.phone_hash_key,
        "LOG_LEVEL": config.log_level,
        "LOG_FORMAT": config.log_format,
        "WHATSAPP_TEMPLATES": config.whatsapp_templates,
        "SEND_RATE_PER_SECOND": str(config.send_rate_per_second),
        "QUIET_HOURS": config.quiet_hours,
        "SEND_CONCURRENCY": str(config.send_concurrency),
        "PYTHONPATH": str(ROOT),
    })
    return env


# -- Log privacy over the whole suite (checked last, by test_zz_log_privacy.py) -------------
# Every test runs with the root logger and twilio's loggers at DEBUG. SESSION_LOG keeps each
# record as production writes it (ScrubFilter, then JsonFormatter) without changing the record
# other handlers see; the Twilio helper records every number and body it posts as a person,
# and every worker subprocess registers its log file.

_DIGITS = re.compile(r"\+?[1-9]\d{6,14}")
DEBUG_LOGGERS = ("", "twilio", "twilio.http_client")  # transport.py quiets twilio's at import


class SentAsPeople:
    """The phone numbers and message bodies the tests sent; none may reach a log."""

    def __init__(self) -> None:
        self.numbers: set[str] = set()  # E.164, with the +
        self.bodies: set[str] = set()
        self.worker_logs: list[Path] = []

    def record(self, form: dict[str, str] | list[tuple[str, str]]) -> None:
        for name, value in form.items() if isinstance(form, dict) else form:
            if name == "From":
                self.numbers.update("+" + m.group().lstrip("+") for m in _DIGITS.finditer(str(value)))
            elif name in ("Body", "ButtonText", "ButtonPayload"):
                self.bodies.add(str(value))


class SessionLog(logging.Handler):
    """Every log line of the test process, formatted like production's JSON lines."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.scrub = ScrubFilter()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []
        self.loggers: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            clone = copy.copy(record)  # others (caplog) keep the record untouched
            self.scrub.filter(clone)
            self.lines.append(self.format(clone))
            self.loggers.add(record.name)
        except Exception:
            self.handleError(record)


SENT = SentAsPeople()
SESSION_LOG = SessionLog()


@pytest.fixture(autouse=True)
def _debug_logging_captured() -> None:
    """Before each test: everything at DEBUG, into SESSION_LOG (a test may have reset logging)."""
    root = logging.getLogger()
    if SESSION_LOG not in root.handlers:
        root.addHandler(SESSION_LOG)
    for name in DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The log privacy check runs after every other test, whatever their file names."""
    last = [item for item in items if item.path.name == "test_zz_log_privacy.py"]
    items[:] = [item for item in items if item.path.name != "test_zz_log_privacy.py"] + last


class WorkerProcess:
    """A real ``python -m workers`` process; its log is kept for privacy assertions."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        SENT.worker_logs.append(log_path)

    def start(self) -> WorkerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "workers"], env=self.env,
                                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def worker(base_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """One worker for the session, like production: it outlives the tests' Redis clean-ups."""
    process = WorkerProcess(config_env(base_config),
                            tmp_path_factory.mktemp("worker") / "worker.log").start()
    yield process
    process.stop()


def clean_redis(redis: Redis) -> None:
    """Delete the bot's keys and RQ's jobs, but not the live worker's registration."""
    for pattern in ("msb:*", "rq:job:*", "rq:queue:*", "rq:wip:*", "rq:finished:*",
                    "rq:failed:*", "rq:deferred:*", "rq:scheduled:*", "rq:canceled:*",
                    "rq:results:*", "rq:executions:*"):
        keys = list(redis.scan_iter(match=pattern, count=1000))
        if keys:
            redis.delete(*keys)


def leave_no_replies_behind(redis: Redis, timeout: float = 5.0) -> None:
    """Drop what a test queued and let a reply being sent finish, then clean: the session's
    worker outlives tests, and must not send a test's replies during the next one."""
    for key in redis.scan_iter(match="rq:queue:*"):
        redis.delete(key)
    for stream in (INBOUND_STREAM, REPLY_STREAM):  # not read yet: dropped
        redis.xtrim(stream, maxlen=0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (any(
            redis.type(key) == b"zset" and redis.zcard(key) for key in redis.scan_iter(match="rq:wip:*"))
            or any(_pending(redis, stream) for stream in (INBOUND_STREAM, REPLY_STREAM))):
        time.sleep(0.05)
    clean_redis(redis)


def _pending(redis: Redis, stream: str) -> int:
    """Entries a worker has read and not yet acknowledged (sends still in flight)."""
    try:
        return int(redis.xpending(stream, "workers")["pending"])
    except ResponseError:  # no such stream or group
        return 0


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[Redis]:
    client = Redis.from_url(redis_server.url)
    clean_redis(client)
    yield client
    client.close()


@pytest.fixture
def twilio(fake_twilio: FakeTwilio) -> FakeTwilio:
    fake_twilio.reset()
    return fake_twilio


class TemplateFile:
    """The staff-editable WhatsApp templates file, as the running worker reads it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = 0

    def write(self, table: dict[str, dict[str, object]]) -> None:
        self.path.write_text(json.dumps(table))
        self.version += 1
        stamp = time.time() + self.version  # a distinct mtime, so the worker sees the change
        os.utime(self.path, (stamp, stamp))


@pytest.fixture
def templates(templates_path: Path) -> Iterator[TemplateFile]:
    file = TemplateFile(templates_path)
    file.write({})
    yield file
    file.write({})


@pytest.fixture
def config(base_config: Config) -> Config:
    return base_config


@pytest.fixture
def app(config: Config, redis: Redis) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign(url: str, params: dict[str, str] | list[tuple[str, str]], token: str) -> str:
    """What Twilio puts in X-Twilio-Signature for this URL and form."""
    validator = RequestValidator(token)
    if isinstance(params, list):
        from werkzeug.datastructures import MultiDict

        return str(validator.compute_signature(url, MultiDict(params)))
    return str(validator.compute_signature(url, params))


def nothing_queued(redis: Redis) -> bool:
    """No inbound message was received or queued, and no reply is waiting to be sent."""
    return (redis.xlen(INBOUND_STREAM) == 0 and redis.xlen(REPLY_STREAM) == 0
            and not list(redis.scan_iter(match="msb:received:*")) and redis.llen(f"rq:queue:{REPLY_QUEUE}") == 0)


def route_queued(app: Flask, message_sid: str, timeout: float = 10.0) -> None:
    """Run the worker's routing step in the test process, so that a test sees a posted
    message routed (its replies in the outbox) when ``post`` returns. The session's worker
    may route it first; then wait for that."""
    with app.app_context():
        svc = services()
        pump = InboundPump(WorkStream(svc.redis, INBOUND_STREAM, INBOUND_LEASE), svc.inbox, svc.intake)
        while pump.step("tests", block_seconds=None):
            pass
        deadline = time.monotonic() + timeout
        while not svc.redis.exists(svc.intake.keys.seen(message_sid)):
            assert time.monotonic() < deadline, "the posted message was never routed"
            time.sleep(0.01)


class Twilio:
    """Builds signed webhook posts the way Twilio sends them."""

    counter = 0

    def __init__(self, client: FlaskClient, config: Config) -> None:
        self.client = client
        self.config = config

    @classmethod
    def next_sid(cls) -> str:
        cls.counter += 1
        return f"SM{time.time_ns():x}{cls.counter:08d}"[:34].ljust(34, "0")

    def form(self, body: str, sender: str = "+14155550123", sid: str | None = None,
             **extra: str) -> dict[str, str]:
        to = WHATSAPP_FROM if sender.startswith("whatsapp:") else SMS_FROM
        form = {"MessageSid": sid or self.next_sid(), "AccountSid": self.config.twilio_account_sid,
                "From": sender, "To": to, "Body": body, "NumMedia": "0"}
        form.update(extra)
        return form

    def post(self, form: dict[str, str], signature: str | None = None, path: str = "/twilio/messages"):
        SENT.record(form)
        url = f"{self.config.public_base_url}{path}"
        headers = {"X-Twilio-Signature": signature if signature is not None
                   else sign(url, form, self.config.twilio_auth_token)}
        response = self.client.post(path, data=form, headers=headers)
        if path == "/twilio/messages" and response.status_code == 200:
            route_queued(self.client.application, form["MessageSid"])
        return response

    def send(self, body: str, sender: str = "+14155550123", **extra: str):
        return self.post(self.form(body, sender, **extra))


@pytest.fixture
def inbound(client: FlaskClient, config: Config) -> Twilio:
    return Twilio(client, config)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[Redis, str]]:
    """A Redis of this test's own, with its URL, for a broadcast batch run in the test's
    process: the suite's worker would otherwise pick up the broadcast's jobs and send it."""
    server = RedisServer(tmp_path / "redis").start()
    client = Redis.from_url(server.url)
    try:
        yield client, server.url
    finally:
        client.close()
        server.stop()


@pytest.fixture
def deliverers() -> Iterator[Callable[[Config, Redis], Deliverer]]:
    """Builds deliverers as a worker process builds its own, and closes them after the test
    (their HTTP connections and event loop)."""
    made: list[Deliverer] = []

    def build(config: Config, redis: Redis) -> Deliverer:
        made.append(build_deliverer(config, redis))
        return made[-1]

    yield build
    for deliverer in made:
        deliverer.close()
