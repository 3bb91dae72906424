"""The worker process: ``python -m workers``.

A ``SimpleWorker`` (no fork per job: a fork costs more than sending a message, and models
and connections load once) working the reply queue before the broadcast queue, with RQ's
scheduler so that retries wait out their backoff.
"""

from __future__ import annotations

import logging
import sys
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

from bot.config import Config, ConfigError
from bot.keys import BROADCAST_QUEUE, REPLY_QUEUE
from bot.logs import configure_logging
from workers.context import deliverer

log = logging.getLogger("workers")


def wait_for_redis(redis: Redis, timeout: float = 30.0) -> None:
    """Start-up order is not guaranteed (honcho, a PaaS): wait for Redis instead of dying."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.ping()
            return
        except RedisConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    try:
        config = Config.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(config.log_level, config.log_format)
    redis = Redis.from_url(config.redis_url)
    wait_for_redis(redis)
    deliverer()  # build connections and transports before the first job
    worker = SimpleWorker([REPLY_QUEUE, BROADCAST_QUEUE], connection=redis)
    log.info("worker ready")
    worker.work(with_scheduler=True, logging_level=config.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
