"""``/healthz``: Redis, live workers and the age of the oldest queued reply.

The shared session worker is never stopped: "no worker" and "a stuck queue" are tested on
another database of the same Redis server, where no worker is registered unless the test
registers one itself (an RQ worker registration, like the real worker's, without a process).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.utils import now, utcformat

from bot import create_app
from bot.config import Config
from bot.embedded_redis import RedisServer, free_port
from bot.keys import BROADCAST_QUEUE, REPLY_QUEUE
from bot.metrics import WORKER_HEARTBEAT_MAX_AGE
from bot.streams import REPLY_RETRIES
from tests.conftest import WorkerProcess

SPARE_DB = 11


def healthz(app: Flask) -> tuple[int, dict[str, object]]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def test_200_with_redis_and_the_session_worker(client, worker: WorkerProcess, redis: Redis) -> None:
    deadline = time.monotonic() + 60  # the worker loads its language models before registering
    while True:
        response = client.get("/healthz")
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["redis"] == "ok" and body["problems"] == []
    assert body["workers"] >= 1
    assert set(body["queues"]) == {"inbound", REPLY_QUEUE, BROADCAST_QUEUE}
    assert body["queues"][REPLY_QUEUE]["depth"] == 0
    assert body["queues"][REPLY_QUEUE]["oldest_age_seconds"] is None
    assert body["max_queue_age_seconds"] == 300


def test_503_when_redis_is_unreachable(config: Config) -> None:
    closed = create_app(config.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    status, body = healthz(closed)
    assert status == 503
    assert body["status"] == "unhealthy" and body["redis"] == "unreachable"


@pytest.fixture
def spare(redis_server: RedisServer) -> Iterator[Redis]:
    """An empty database of the same server: nothing of the session worker is in it."""
    url = redis_server.url.rsplit("/", 1)[0] + f"/{SPARE_DB}"
    client = Redis.from_url(url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def spare_app(config: Config, spare: Redis) -> Flask:
    url = spare.connection_pool.connection_kwargs
    return create_app(config.with_overrides(redis_url=f"redis://127.0.0.1:{url['port']}/{SPARE_DB}"))


@pytest.fixture
def registered(spare: Redis) -> Iterator[SimpleWorker]:
    """A worker registration for the reply queue, with a fresh heartbeat."""
    worker = SimpleWorker([REPLY_QUEUE, BROADCAST_QUEUE], connection=spare, name="health-test-worker")
    worker.register_birth()
    yield worker
    worker.register_death()


def age_job(redis: Redis, job: Job, seconds: float) -> None:
    redis.hset(Job.key_for(job.id), "enqueued_at", utcformat(now() - timedelta(seconds=seconds)))


def test_503_when_no_worker_is_registered(spare_app: Flask) -> None:
    status, body = healthz(spare_app)
    assert status == 503
    assert body["redis"] == "ok" and body["workers"] == 0
    assert body["problems"] == ["no worker alive"]


def test_503_when_the_only_worker_has_stopped_beating(spare_app: Flask, spare: Redis,
                                                      registered: SimpleWorker) -> None:
    assert healthz(spare_app)[0] == 200
    stale = now() - timedelta(seconds=WORKER_HEARTBEAT_MAX_AGE + 30)
    spare.hset(registered.key, "last_heartbeat", utcformat(stale))
    status, body = healthz(spare_app)
    assert status == 503 and body["problems"] == ["no worker alive"]


def test_503_when_the_oldest_reply_has_waited_too_long(spare_app: Flask, spare: Redis,
                                                       registered: SimpleWorker) -> None:
    queue = Queue(REPLY_QUEUE, connection=spare)
    fresh = queue.enqueue_call("workers.jobs.deliver", args=("r-health-1",), job_id="r-health-1")
    status, body = healthz(spare_app)
    assert status == 200, body
    assert body["queues"][REPLY_QUEUE]["depth"] == 1
    assert 0 <= body["queues"][REPLY_QUEUE]["oldest_age_seconds"] < 60
    age_job(spare, fresh, 301)
    status, body = healthz(spare_app)
    assert status == 503
    assert body["workers"] == 1
    assert body["queues"][REPLY_QUEUE]["oldest_age_seconds"] >= 301
    [problem] = body["problems"]
    assert problem.startswith("oldest job in 'replies' has waited")


def assert_late_by_400_seconds(app: Flask, queue: str, depth: int) -> None:
    """/healthz fails, naming the queue whose oldest entry has waited about 400 s."""
    status, body = healthz(app)
    assert status == 503
    assert body["queues"][queue]["depth"] == depth
    assert 400 <= body["queues"][queue]["oldest_age_seconds"] < 460
    [problem] = body["problems"]
    assert problem.startswith(f"oldest job in '{queue}' has waited")


@pytest.mark.parametrize("stream", ["msb:inbound", "msb:replies"])
def test_503_when_a_message_or_reply_has_waited_too_long_in_its_stream(
    spare_app: Flask, spare: Redis, registered: SimpleWorker, stream: str
) -> None:
    """Nobody reads the stream (the workers are stuck or busy elsewhere): the oldest entry's
    id says when it was added."""
    name = "inbound" if stream == "msb:inbound" else REPLY_QUEUE
    spare.xadd(stream, {"record": "r-health-3"}, id=f"{int((time.time() - 400) * 1000)}-0")
    spare.xadd(stream, {"record": "r-health-4"})
    assert_late_by_400_seconds(spare_app, name, depth=2)


def test_a_reply_waiting_for_its_retry_counts_and_is_late_only_once_due(
    spare_app: Flask, spare: Redis, registered: SimpleWorker
) -> None:
    """Retries wait in a sorted set by when they fall due: one whose backoff has not run out
    is waiting, not late; one due long ago means no reply loop is moving them."""
    spare.zadd(REPLY_RETRIES, {"r-health-5": time.time() + 60})
    status, body = healthz(spare_app)
    assert status == 200, body
    assert body["queues"][REPLY_QUEUE]["depth"] == 1
    assert body["queues"][REPLY_QUEUE]["oldest_age_seconds"] is None
    spare.zadd(REPLY_RETRIES, {"r-health-6": time.time() - 400})
    assert_late_by_400_seconds(spare_app, REPLY_QUEUE, depth=2)


def test_the_age_limit_is_configurable(config: Config, spare: Redis, registered: SimpleWorker) -> None:
    port = spare.connection_pool.connection_kwargs["port"]
    app = create_app(config.with_overrides(redis_url=f"redis://127.0.0.1:{port}/{SPARE_DB}",
                                           health_max_queue_age_seconds=3600))
    job = Queue(REPLY_QUEUE, connection=spare).enqueue_call("workers.jobs.deliver", args=("r-health-2",),
                                                             job_id="r-health-2")
    age_job(spare, job, 1800)
    status, body = healthz(app)
    assert status == 200 and body["max_queue_age_seconds"] == 3600


def test_a_long_wait_in_the_broadcast_queue_is_reported_not_failed(
    spare_app: Flask, spare: Redis, registered: SimpleWorker
) -> None:
    job = Queue(BROADCAST_QUEUE, connection=spare).enqueue_call("workers.jobs.send_batch", args=("b", 0))
    age_job(spare, job, 3600)
    status, body = healthz(spare_app)
    assert status == 200, body  # broadcasts are paced on purpose (quiet hours, pace per hour)
    assert body["queues"][BROADCAST_QUEUE]["depth"] == 1
    assert body["queues"][BROADCAST_QUEUE]["oldest_age_seconds"] >= 3600


def test_the_config_reads_the_age_limit_from_the_environment(config: Config) -> None:
    env = {"SECRET_KEY": "s" * 20, "PHONE_HASH_KEY": "k" * 20, "HEALTH_MAX_QUEUE_AGE_SECONDS": "42"}
    assert Config.from_env(env).health_max_queue_age_seconds == 42
    assert Config.from_env({k: v for k, v in env.items() if k.startswith(("S", "P"))}) \
        .health_max_queue_age_seconds == 300
