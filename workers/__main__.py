"""The worker process: ``python -m workers``.

Three loops share one process (models and connections load once):

- routing: inbound messages from the inbound stream through the intake (``workers.inbound``);
- replies: sent from the reply stream with many in flight, and retried from a sorted set
  when their backoff is over (``workers.replies``);
- RQ: a ``SimpleWorker`` (no fork per job: a fork costs more than sending a message) for
  broadcast jobs and for replies whose send raised (parked for staff, with RQ's retries and
  scheduler); and a thread that keeps broadcasts moving (``tend``).

Every send (reply or broadcast) runs on the process's one event loop (``workers.event_loop``).
SIGTERM stops all of them after the work in hand: the job, the message being routed and the
sends in flight, a broadcast batch's last ones included.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

from bot.config import Config, ConfigError
from bot.keys import BROADCAST_QUEUE, REPLY_QUEUE
from bot.logs import configure_logging
from workers.broadcasting import Broadcaster
from workers.context import broadcaster, deliverer, inbound_pump, reply_sender

log = logging.getLogger("workers")
TEND_EVERY_SECONDS = 1.0
BATCH_SETTLE_SECONDS = 35.0  # a send's connect and read timeouts (15 s each), and some room


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


class Worker(SimpleWorker):
    """RQ's SimpleWorker, remembering whether it was asked to stop (RQ only notes that when
    a job is running), so a loop that ended for any other reason can be restarted."""

    asked_to_stop = False
    stopping = threading.Event()  # the routing and reply loops watch it

    def request_stop(self, signum: int, frame: object) -> None:
        self.asked_to_stop = True
        Worker.stopping.set()
        broadcaster().stopping.set()  # the batch being sent hands out no more records
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]


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
    start_tending(broadcaster(), TEND_EVERY_SECONDS)
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    pump, sender = inbound_pump(), reply_sender()
    # What start-up built (modules, models, clients) lives as long as the process: keep it out
    # of the collector's full passes, which would otherwise walk it every few seconds while
    # holding the GIL (15 ms and more, every send waiting; a late send crowds Twilio's
    # sliding second).
    gc.freeze()
    loops = [start_loop("route-inbound", lambda: pump.step(consumer), Worker.stopping),
             start_loop("send-replies", lambda: sender.step(consumer), Worker.stopping)]
    while True:
        worker = Worker([REPLY_QUEUE, BROADCAST_QUEUE], connection=redis)
        log.info("worker ready")
        worker.work(with_scheduler=True, logging_level=config.log_level)
        if worker.asked_to_stop:  # SIGTERM/SIGINT: the current job finished, now leave
            for loop in loops:
                loop.join(timeout=5)
            sender.shutdown(wait=True)  # the sends in flight finish and are recorded
            broadcaster().finish_batches(timeout=BATCH_SETTLE_SECONDS)  # a batch's last sends too
            deliverer().close()
            return 0
        # RQ gives up when Redis goes away mid-job; the job's records are safe in the outbox,
        # so wait for Redis to come back and carry on instead of dying.
        log.warning("worker loop ended without a stop request; restarting when Redis is back")
        time.sleep(1.0)
        wait_for_redis(redis, timeout=300)


def start_loop(name: str, step: Callable[[], int], stopping: threading.Event) -> threading.Thread:
    """Run ``step`` (which blocks up to a second waiting for work) until asked to stop; a
    Redis outage pauses the loop instead of ending it."""

    def loop() -> None:
        while not stopping.is_set():
            try:
                step()
            except Exception:
                log.exception("%s failed; retrying in a second", name)
                stopping.wait(1.0)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def start_tending(owner: Broadcaster, every: float) -> threading.Thread:
    """Every worker keeps open broadcasts moving, so none depends on one process surviving."""

    def loop() -> None:
        while True:
            try:
                owner.tend()
            except Exception:  # Redis restarting, say: try again next round
                log.exception("tending broadcasts failed; retrying")
            time.sleep(every)

    thread = threading.Thread(target=loop, name="tend-broadcasts", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    sys.exit(main())
