"""A durable work queue on a Redis stream read by one consumer group.

Why a stream and not an RQ job per message: an RQ enqueue is four round trips and a job runs
alone in a SimpleWorker, so a reply waiting 150 ms on Twilio blocks the next one. A stream
entry is one ``XADD``, written inside the caller's own transaction or script; consumers read
entries in batches and work on many at once; an entry stays pending until acknowledged, and
one held by a consumer that died is reclaimed (``XAUTOCLAIM``) once idle past its lease. That
is at-least-once, like RQ; exactly-once is the outbox's promise, not the queue's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError

from bot.stored import text, texts

INBOUND_STREAM = "msb:inbound"  # inbound messages, sealed, waiting to be routed
REPLY_STREAM = "msb:replies"  # outbox record ids of replies waiting to be sent
REPLY_RETRIES = "msb:reply-retries"  # sorted set: replies whose send failed for now, by when to retry
GROUP = "workers"


@dataclass(frozen=True)
class Entry:
    """One stream entry as read: its id (which carries the time it was added) and fields."""

    id: str
    fields: dict[str, str]

    @property
    def added_at(self) -> float:
        """When the entry was added: the millisecond part of its id."""
        return int(self.id.split("-", 1)[0]) / 1000


def _entries(raw: Any) -> list[Entry]:
    found = []
    for entry_id, fields in raw or []:
        if fields is None:  # deleted while pending
            continue
        found.append(Entry(text(entry_id), texts(fields)))
    return found


@dataclass(frozen=True)
class WorkStream:
    """One stream and its consumer group. ``lease_seconds``: how long an entry may stay
    unacknowledged with its consumer before another consumer takes it over."""

    redis: Redis
    name: str
    lease_seconds: float

    def ensure_group(self) -> None:
        """Create the group (and the stream) if missing: first start, or Redis lost its data.
        Reading from id 0 takes entries added before any consumer existed."""
        try:
            self.redis.xgroup_create(self.name, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def read(self, consumer: str, count: int, block_seconds: float | None,
             before: Callable[[Any], None] | None = None) -> list[Entry]:
        """New entries for ``consumer``, waiting up to ``block_seconds`` for the first.
        ``before`` adds commands to send in the same round trip (acknowledgements)."""
        block = None if block_seconds is None else max(1, int(block_seconds * 1000))
        try:
            if before is None:
                answer: Any = self.redis.xreadgroup(GROUP, consumer, {self.name: ">"}, count=count, block=block)
            else:
                with self.redis.pipeline(transaction=False) as pipe:
                    before(pipe)
                    pipe.xreadgroup(GROUP, consumer, {self.name: ">"}, count=count, block=block)
                    answer = pipe.execute()[-1]
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            self.ensure_group()
            return []
        return _entries(answer[0][1]) if answer else []

    def reclaim(self, consumer: str, count: int) -> list[Entry]:
        """Entries another consumer held past the lease (it crashed or hangs), now ``consumer``'s."""
        try:
            answer = self.redis.xautoclaim(self.name, GROUP, consumer,
                                           min_idle_time=int(self.lease_seconds * 1000),
                                           start_id="0-0", count=count)
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            self.ensure_group()
            return []
        return _entries(answer[1])

    def done(self, *entry_ids: str, pipe: Any = None) -> None:
        """Acknowledge and delete: a finished entry is not kept, so the stream stays small.
        With ``pipe``, inside the caller's pipeline or transaction (it executes it)."""
        if not entry_ids:
            return
        if pipe is not None:
            pipe.xack(self.name, GROUP, *entry_ids)
            pipe.xdel(self.name, *entry_ids)
            return
        with self.redis.pipeline(transaction=True) as own:
            self.done(*entry_ids, pipe=own)
            own.execute()

    def depth_and_oldest_age(self, now: float | None = None) -> tuple[int, float | None]:
        """Entries not yet done, and how long the oldest has been waiting (for /healthz)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.name)
            pipe.xrange(self.name, count=1)
            length, first = pipe.execute()
        if not length or not first:
            return 0, None
        now = time.time() if now is None else now
        return int(length), max(0.0, now - Entry(text(first[0][0]), {}).added_at)
