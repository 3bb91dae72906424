"""Routing queued inbound messages: read the inbound stream, take each message, acknowledge.

Why in the worker: routing (language detection, the lexicons) is most of a message's CPU, and
the webhook only has to make the message safe. A message is acknowledged in the intake's own
transaction (with its replies queued on the reply stream), so a worker killed half-way leaves
it pending, and another worker reclaims it after the lease; the intake's
``seen`` marker makes that second take answer nothing twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis import RedisError

from bot.inbox import Inbox
from bot.intake import Accepted, Intake
from bot.streams import Entry, WorkStream

log = logging.getLogger("workers.inbound")

BATCH = 50
# Longer than a take can last (50 WATCH retries of a few ms); a message's copy held by a dead
# worker waits this long, so keep it short.
LEASE_SECONDS = 15.0
RECLAIM_EVERY_SECONDS = 5.0


@dataclass
class InboundPump:
    """Takes messages off the inbound stream and through the intake."""

    stream: WorkStream
    inbox: Inbox
    intake: Intake

    reclaimed_at: float = 0.0

    def step(self, consumer: str, block_seconds: float | None = 1.0) -> int:
        """Take what is waiting (a dead worker's entries first, looked for every few seconds);
        returns how many were handled."""
        entries: list[Entry] = []
        if time.monotonic() - self.reclaimed_at >= RECLAIM_EVERY_SECONDS:
            self.reclaimed_at = time.monotonic()
            entries = self.stream.reclaim(consumer, BATCH)
        entries = entries or self.stream.read(consumer, BATCH, block_seconds)
        return sum(self.handle(entry) for entry in entries)

    def handle(self, entry: Entry) -> bool:
        """Route one entry and acknowledge it; False leaves it pending for a later try."""
        started = time.perf_counter()
        try:
            inbound, request_id = self.inbox.open(entry)
        except ValueError:  # sealed with another key: nobody can ever read it
            log.error("dropped an unreadable inbound entry", extra={"outcome": "unreadable"})
            self.stream.done(entry.id)
            return True
        person = self.intake.addresses.pseudonym(inbound.number)
        try:
            accepted = self.intake.accept(inbound, also=lambda pipe: self.stream.done(entry.id, pipe=pipe))
            if accepted is None:  # taken before (a copy, or this entry reclaimed after a crash)
                self.stream.done(entry.id)
        except RedisError:
            log.warning("routing failed; the message stays queued", exc_info=True,
                        extra={"request_id": request_id, "person": person, "outcome": "retry"})
            return False
        log_routed(request_id, inbound.channel, person, accepted, time.perf_counter() - started,
                   time.time() - entry.added_at)
        return True


def log_routed(request_id: str, channel: str, person: str, accepted: Accepted | None,
               seconds: float, waited: float) -> None:
    """One line per routed message: ids, pseudonym and routing, never number or text."""
    decision = accepted.decision if accepted else None
    log.info("inbound message routed", extra={
        "request_id": request_id, "channel": channel, "person": person,
        "outcome": "routed" if accepted else "already_routed",
        "intent": decision.intent if decision else None,
        "language": decision.language if decision else None,
        "replies": len(accepted.record_ids) if accepted else 0,
        "held_back": decision.held_back if decision else None,
        "duration_ms": round(seconds * 1000, 1),
        "queue_wait_ms": round(waited * 1000, 1),
    })
