"""Sending replies with many in flight: read the reply stream, send each on a thread pool.

Why not one RQ job per reply: a SimpleWorker runs one job at a time, and a send waits about
150 ms for Twilio, so a worker would manage six replies a second. Here up to
``SEND_CONCURRENCY`` sends wait at once: each thread hands its delivery to the worker's event
loop (``Deliverer.deliver``), where replies and broadcasts share one cap on requests in
flight, and waits for the outcome. An entry is acknowledged once its record is final or
waits for a retry; a worker killed mid-send leaves it pending, and another worker reclaims it
after the lease, where the outbox's claim and lookup keep it from going twice.

Retries: a send that failed for now (429, 5xx, network) waits in a sorted set scored by when
to try again, with backoff; every worker's reply loop moves the due ones back onto the
stream. Why not RQ's ``Retry``: its backoff needs RQ's scheduler, which runs in one worker at
a time, and when that worker dies another takes over only after RQ's fallback period
(about two minutes), so every retry waited for it.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from redis import Redis, RedisError
from rq import Queue, Retry

from bot import metrics
from bot.config import Config
from bot.keys import REPLY_QUEUE
from bot.streams import REPLY_RETRIES, REPLY_STREAM, Entry, WorkStream
from workers.delivery import Deliverer, RetryLater
from workers.outbox import CLAIM_LEASE_SECONDS

log = logging.getLogger("workers.replies")

DELIVER_JOB = "workers.jobs.deliver"
# Past the outbox's claim lease: by then a reclaimed record's first send is over or abandoned.
LEASE_SECONDS = CLAIM_LEASE_SECONDS + 15
RECLAIM_EVERY_SECONDS = 5.0  # looking for a dead worker's entries costs a round trip
RETRY_AFTER_SECONDS = (1, 2, 4, 8, 16, 32, 60, 120)  # before the 2nd, 3rd... attempt; then 120
MOVE_DUE_EVERY_SECONDS = 0.5  # how often a worker looks for retries that are due
MOVE_AT_ONCE = 100

# KEYS: retries (sorted set), reply stream. ARGV: now, most. Moves the retries that are due
# onto the stream, each in the same step as its removal, so none is lost or moved twice.
_MOVE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, record in ipairs(due) do
  redis.call('ZREM', KEYS[1], record)
  redis.call('XADD', KEYS[2], '*', 'record', record)
end
return #due
"""


def retry_policy(config: Config) -> Retry:
    """Backoff for a reply whose send raised (a bug), as an RQ job staff can see and retry."""
    intervals = list(RETRY_AFTER_SECONDS[: config.reply_retries])
    return Retry(max=config.reply_retries, interval=intervals)


class ReplySender:
    """Keeps up to ``concurrency`` replies in flight from one worker process."""

    def __init__(self, redis: Redis, config: Config, deliverer: Deliverer, concurrency: int) -> None:
        self.stream = WorkStream(redis, REPLY_STREAM, LEASE_SECONDS)
        self.deliverer = deliverer
        self.config = config
        self.retries = Queue(REPLY_QUEUE, connection=redis)
        self.slots = threading.BoundedSemaphore(concurrency)
        self.concurrency = concurrency
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="reply")
        # Finished entries and their waits, written with the next read's batch (one round
        # trip for many replies). Lost in a crash, they are only sent to be found final.
        self.finished: list[str] = []
        self.waits: list[float] = []
        self.lock = threading.Lock()
        self.reclaimed_at = 0.0
        self.moved_at = 0.0
        self.in_flight = 0
        self._move_due = redis.register_script(_MOVE_DUE)

    def step(self, consumer: str, block_seconds: float | None = 1.0) -> int:
        """Start sending what is waiting, as many as there are free slots; returns how many.
        What finished since the last step is acknowledged in the same round trip as the read."""
        self.slots.acquire()  # at least one slot, so a read never takes more than can start
        free = 1
        while free < self.concurrency and self.slots.acquire(blocking=False):
            free += 1
        finished, waits = self._take_finished()
        try:
            self._move_due_retries()
            entries = self._reclaim(consumer, free)
            if entries:
                self._write_finished(finished, waits)
            else:
                entries = self.stream.read(consumer, free, block_seconds,
                                           before=lambda pipe: self._acknowledge(pipe, finished, waits))
        except BaseException:
            self._put_back(finished, waits)
            for _ in range(free):
                self.slots.release()
            raise
        for _ in range(free - len(entries)):
            self.slots.release()
        with self.lock:
            self.in_flight += len(entries)
        for entry in entries:
            self.pool.submit(self._send, entry)
        return len(entries)

    def _reclaim(self, consumer: str, count: int) -> list[Entry]:
        if time.monotonic() - self.reclaimed_at < RECLAIM_EVERY_SECONDS:
            return []
        self.reclaimed_at = time.monotonic()
        return self.stream.reclaim(consumer, count)

    def _move_due_retries(self) -> None:
        if time.monotonic() - self.moved_at < MOVE_DUE_EVERY_SECONDS:
            return
        self.moved_at = time.monotonic()
        self._move_due(keys=[REPLY_RETRIES, REPLY_STREAM], args=[f"{time.time():.3f}", MOVE_AT_ONCE])

    def _take_finished(self) -> tuple[list[str], list[float]]:
        with self.lock:
            finished, self.finished = self.finished, []
            waits, self.waits = self.waits, []
        return finished, waits

    def _put_back(self, finished: list[str], waits: list[float]) -> None:
        with self.lock:  # tried again with the next batch
            self.finished += finished
            self.waits += waits

    def _acknowledge(self, pipe: Any, finished: list[str], waits: list[float]) -> None:
        self.stream.done(*finished, pipe=pipe)
        for seconds in waits:
            metrics.observe_queue_wait(pipe, seconds)

    def _write_finished(self, finished: list[str], waits: list[float]) -> None:
        if not finished and not waits:
            return
        with self.stream.redis.pipeline(transaction=False) as pipe:
            self._acknowledge(pipe, finished, waits)
            pipe.execute()

    def flush(self) -> None:
        """Acknowledge the finished entries and record their waits, in one round trip."""
        finished, waits = self._take_finished()
        try:
            self._write_finished(finished, waits)
        except RedisError:
            self._put_back(finished, waits)
            raise

    def _send(self, entry: Entry) -> None:
        try:
            self.send(entry)
        except Exception:  # stays pending, reclaimed after the lease
            log.exception("reply send failed; it stays queued", extra={"outcome": "retry"})
        finally:
            with self.lock:
                self.in_flight -= 1
                last = self.in_flight == 0
            self.slots.release()
        if last:  # nothing else in flight to batch with: acknowledge now
            try:
                self.flush()
            except RedisError:
                log.warning("acknowledging replies failed; retrying with the next batch")

    def send(self, entry: Entry) -> None:
        """Deliver one entry's record; a transient failure waits for a retry with backoff."""
        record_id = entry.fields.get("record", "")
        waits: list[float] = []
        try:
            self.deliverer.deliver(record_id, queued_at=entry.added_at, waits=waits)
        except RetryLater:
            self._retry_later(record_id)
        except RedisError:
            raise
        except Exception:  # a bug: park it where staff can see it and press Retry
            log.exception("reply send raised; handed to the retry queue",
                          extra={"record": record_id, "outcome": "error"})
            # Give up the claim (as 'maybe sent': the retry looks before it sends), or the
            # retry would find the record claimed and leave it for a worker that is gone.
            self.deliverer.outbox.release(record_id, ambiguous=True)
            self._park_for_staff(record_id)
        with self.lock:
            self.finished.append(entry.id)
            self.waits += waits

    def _retry_later(self, record_id: str) -> None:
        """Back in the stream after a delay that grows with the record's attempts (the outbox
        gives up after ``REPLY_RETRIES`` of them)."""
        attempts = max(1, self.deliverer.outbox.attempts(record_id))
        delay = RETRY_AFTER_SECONDS[min(attempts, len(RETRY_AFTER_SECONDS)) - 1]
        self.stream.redis.zadd(REPLY_RETRIES, {record_id: time.time() + delay})

    def _park_for_staff(self, record_id: str) -> None:
        """An RQ job with retries, which ends in the failed-job registry the console's queue
        page shows, with a Retry button."""
        self.retries.enqueue_in(timedelta(seconds=1), DELIVER_JOB, record_id, job_id=record_id,
                                retry=retry_policy(self.config), result_ttl=300,
                                failure_ttl=7 * 86400)

    def shutdown(self, wait: bool = True) -> None:
        """Let the sends in flight finish (SIGTERM) and acknowledge them; nothing new starts."""
        self.pool.shutdown(wait=wait)
        self.flush()
